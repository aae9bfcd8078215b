"""Envelope encryption with AES-256-GCM.

Each record gets its own random data key; the data key is wrapped by a master key.
Associated data binds a ciphertext to its workspace, record and purpose, so a
ciphertext copied onto another row fails to open. Rotation re-wraps data keys only.

Blob layout (version 1)::

    b"\x01" | key_id (8 bytes) | wrap_nonce (12) | wrapped_dek (32 + 16 tag)
           | data_nonce (12) | ciphertext + tag
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crossdesk.errors import VaultError
from crossdesk.vault.keys import KeySet, KeySource, MasterKey, StaticKeys, derive_master_key

__all__ = ["Envelope", "MasterKey", "associated_data", "blob_key_id", "derive_master_key"]

_VERSION = b"\x01"
_WRAPPED_LEN = 32 + 16
_HEADER_LEN = 1 + 8 + 12 + _WRAPPED_LEN + 12


def associated_data(workspace_id: str, record_id: str, purpose: str) -> bytes:
    return f"{workspace_id}\x1f{record_id}\x1f{purpose}".encode()


class Envelope:
    """Seal and open records under a current master key (plus older keys while rotating).

    ``Envelope(current, previous)`` uses fixed keys; :meth:`from_source` follows a key
    source (a key file that ``crossdesk vault rotate`` rewrites while servers run).
    """

    def __init__(self, current: MasterKey, previous: tuple[MasterKey, ...] = ()) -> None:
        self._source: KeySource = StaticKeys(KeySet(current, previous))

    @classmethod
    def from_source(cls, source: KeySource) -> "Envelope":
        envelope = cls.__new__(cls)
        envelope._source = source
        return envelope

    @property
    def keys(self) -> KeySet:
        return self._source.keys()

    def refresh(self) -> bool:
        """Re-read the keys now (after a rotation started elsewhere)."""
        return self._source.refresh()

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        current = self._source.keys().current
        data_key = AESGCM.generate_key(bit_length=256)
        wrap_nonce, data_nonce = os.urandom(12), os.urandom(12)
        wrapped = AESGCM(current.key).encrypt(wrap_nonce, data_key, aad)
        ciphertext = AESGCM(data_key).encrypt(data_nonce, plaintext, aad)
        return _VERSION + current.key_id + wrap_nonce + wrapped + data_nonce + ciphertext

    def open(self, blob: bytes, aad: bytes, *, record: str) -> bytes:
        """Decrypt; ``record`` names the record in errors (never the contents)."""
        data_key = self._unwrap(blob, aad, record)
        data_nonce = blob[_HEADER_LEN - 12 : _HEADER_LEN]
        try:
            return AESGCM(data_key).decrypt(data_nonce, blob[_HEADER_LEN:], aad)
        except InvalidTag:
            raise VaultError(f"record {record} failed authentication (tampered or moved)") from None

    def rewrap(self, blob: bytes, aad: bytes, *, record: str) -> bytes:
        """Re-wrap the record's data key under the current master key; data stays as is.

        The data key is checked against the ciphertext first, so a tampered record is
        reported here rather than re-wrapped into a record that can never open.
        """
        current = self._source.keys().current
        data_key = self._unwrap(blob, aad, record)
        try:
            AESGCM(data_key).decrypt(blob[_HEADER_LEN - 12 : _HEADER_LEN], blob[_HEADER_LEN:], aad)
        except InvalidTag:
            raise VaultError(f"record {record} failed authentication (tampered or moved)") from None
        wrap_nonce = os.urandom(12)
        wrapped = AESGCM(current.key).encrypt(wrap_nonce, data_key, aad)
        tail = blob[_HEADER_LEN - 12 :]
        return _VERSION + current.key_id + wrap_nonce + wrapped + tail

    def is_current(self, blob: bytes) -> bool:
        """Whether ``blob`` is wrapped by the current key (read from its header, no decryption)."""
        return blob_key_id(blob) == self._source.keys().current.key_id

    def _unwrap(self, blob: bytes, aad: bytes, record: str) -> bytes:
        if len(blob) < _HEADER_LEN + 16 or blob[:1] != _VERSION:
            raise VaultError(f"record {record} is not a crossdesk vault blob")
        key_id = blob[1:9]
        key = self._source.keys().find(key_id)
        if key is None and self._source.refresh():
            key = self._source.keys().find(key_id)
        if key is None:
            raise VaultError(
                f"record {record} was sealed with an unknown master key ({key_id.hex()}): "
                "is this the CROSSDESK_MASTER_KEY or key file the data was written with?"
            )
        wrap_nonce = blob[9:21]
        wrapped = blob[21 : 21 + _WRAPPED_LEN]
        try:
            return AESGCM(key.key).decrypt(wrap_nonce, wrapped, aad)
        except InvalidTag:
            raise VaultError(f"record {record} failed authentication (tampered or moved)") from None


def blob_key_id(blob: bytes) -> bytes | None:
    """The id of the master key that wraps ``blob`` (public header bytes), or None."""
    if len(blob) < _HEADER_LEN or blob[:1] != _VERSION:
        return None
    return blob[1:9]
