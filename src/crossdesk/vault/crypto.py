"""Envelope encryption with AES-256-GCM.

Each record gets its own random data key; the data key is wrapped by a master key.
Associated data binds a ciphertext to its workspace, record and purpose, so a
ciphertext copied onto another row fails to open. Rotation re-wraps data keys only.

Blob layout (version 1)::

    b"\x01" | key_id (8 bytes) | wrap_nonce (12) | wrapped_dek (32 + 16 tag)
           | data_nonce (12) | ciphertext + tag
"""

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crossdesk.errors import VaultError

_VERSION = b"\x01"
_WRAPPED_LEN = 32 + 16
_HEADER_LEN = 1 + 8 + 12 + _WRAPPED_LEN + 12


@dataclass(frozen=True, slots=True)
class MasterKey:
    """A 32-byte key-encryption key and its short public id."""

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise VaultError("a master key must be 32 bytes")

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(b"crossdesk-kid" + self.key).digest()[:8]

    def __repr__(self) -> str:
        return f"MasterKey(id={self.key_id.hex()})"


def derive_master_key(secret: bytes, purpose: str = "vault") -> MasterKey:
    """Derive a master key from the installation secret (embedded default)."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=b"crossdesk", info=purpose.encode())
    return MasterKey(hkdf.derive(secret))


def associated_data(workspace_id: str, record_id: str, purpose: str) -> bytes:
    return f"{workspace_id}\x1f{record_id}\x1f{purpose}".encode()


class Envelope:
    """Seal and open records under a current master key (plus older keys while rotating)."""

    def __init__(self, current: MasterKey, previous: tuple[MasterKey, ...] = ()) -> None:
        self._current = current
        self._keys = {k.key_id: k for k in (current, *previous)}

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        data_key = AESGCM.generate_key(bit_length=256)
        wrap_nonce, data_nonce = os.urandom(12), os.urandom(12)
        wrapped = AESGCM(self._current.key).encrypt(wrap_nonce, data_key, aad)
        ciphertext = AESGCM(data_key).encrypt(data_nonce, plaintext, aad)
        return _VERSION + self._current.key_id + wrap_nonce + wrapped + data_nonce + ciphertext

    def open(self, blob: bytes, aad: bytes, *, record: str) -> bytes:
        """Decrypt; ``record`` names the record in errors (never the contents)."""
        data_key = self._unwrap(blob, aad, record)
        data_nonce = blob[_HEADER_LEN - 12 : _HEADER_LEN]
        try:
            return AESGCM(data_key).decrypt(data_nonce, blob[_HEADER_LEN:], aad)
        except InvalidTag:
            raise VaultError(f"record {record} failed authentication (tampered or moved)") from None

    def rewrap(self, blob: bytes, aad: bytes, *, record: str) -> bytes:
        """Re-wrap the record's data key under the current master key; data stays as is."""
        data_key = self._unwrap(blob, aad, record)
        wrap_nonce = os.urandom(12)
        wrapped = AESGCM(self._current.key).encrypt(wrap_nonce, data_key, aad)
        tail = blob[_HEADER_LEN - 12 :]
        return _VERSION + self._current.key_id + wrap_nonce + wrapped + tail

    def _unwrap(self, blob: bytes, aad: bytes, record: str) -> bytes:
        if len(blob) < _HEADER_LEN + 16 or blob[:1] != _VERSION:
            raise VaultError(f"record {record} is not a crossdesk vault blob")
        key = self._keys.get(blob[1:9])
        if key is None:
            raise VaultError(f"record {record} was sealed with an unknown master key")
        wrap_nonce = blob[9:21]
        wrapped = blob[21 : 21 + _WRAPPED_LEN]
        try:
            return AESGCM(key.key).decrypt(wrap_nonce, wrapped, aad)
        except InvalidTag:
            raise VaultError(f"record {record} failed authentication (tampered or moved)") from None
