"""Master keys and key sets (no I/O: see keyring for where keys come from)."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crossdesk.errors import VaultError


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
    """Derive a key from the installation secret (how the vault key was made before
    master keys existed; now only a fallback that opens old records)."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=b"crossdesk", info=purpose.encode())
    return MasterKey(hkdf.derive(secret))


@dataclass(frozen=True, slots=True)
class KeySet:
    """The key that seals, and the older keys that may still open records."""

    current: MasterKey
    previous: tuple[MasterKey, ...] = ()

    def find(self, key_id: bytes) -> MasterKey | None:
        for key in (self.current, *self.previous):
            if key.key_id == key_id:
                return key
        return None

    def with_previous(self, extra: Iterable[MasterKey]) -> "KeySet":
        """Append keys as previous ones, skipping duplicates (and the current key)."""
        seen = {self.current.key_id, *(k.key_id for k in self.previous)}
        added: list[MasterKey] = []
        for key in extra:
            if key.key_id not in seen:
                seen.add(key.key_id)
                added.append(key)
        return KeySet(self.current, (*self.previous, *added))


class KeySource(Protocol):
    """Where an :class:`~crossdesk.vault.Envelope` gets its keys."""

    def keys(self) -> KeySet:
        """The keys to use now (cheap; called on every seal)."""
        ...

    def refresh(self) -> bool:
        """Re-read the keys at once; True when they changed."""
        ...


class StaticKeys:
    """Keys fixed for the life of the process (environment variables, tests)."""

    def __init__(self, keys: KeySet) -> None:
        self._keys = keys

    def keys(self) -> KeySet:
        return self._keys

    def refresh(self) -> bool:
        return False
