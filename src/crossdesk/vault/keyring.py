"""Master keys: where they come from, and how a running process learns of a rotation.

A :class:`KeySet` is the current key (seals) plus previous keys (open only). Keys come
either from the environment (static for the life of the process) or from a key file
(``master.key`` in the data directory, mode 0600), which processes re-read when it
changes, so that ``crossdesk vault rotate`` needs no restart.

Key file format (text, one key per line, base64 of 32 bytes)::

    # comments
    current <base64>
    previous <base64>
"""

import base64
import binascii
import logging
import os
import secrets
import time
from pathlib import Path

from crossdesk.errors import ConfigError
from crossdesk.vault.keys import KeySet, KeySource, MasterKey, StaticKeys

logger = logging.getLogger(__name__)

KEY_FILE_HEADER = (
    "# crossdesk vault master keys. BACK THIS FILE UP, apart from the database: without it\n"
    "# every sealed account secret, browser session and message original is lost.\n"
    "# Owner-only permissions (chmod 600). 'current' seals; 'previous' keys only open.\n"
)
BACKUP_WARNING = (
    "generated a NEW vault master key in %s. BACK IT UP NOW (apart from the database): "
    "without it every sealed secret, browser session and message original is unreadable."
)


def generate_key() -> MasterKey:
    return MasterKey(secrets.token_bytes(32))


def encode_key(key: MasterKey) -> str:
    return base64.b64encode(key.key).decode()


def parse_key(text: str, *, source: str) -> MasterKey:
    """A base64 (standard or URL-safe) 32-byte key; errors name the source, never the value."""
    value = text.strip()
    try:
        raw = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{source} is not base64") from None
    if len(raw) != 32:
        raise ConfigError(f"{source} must be 32 bytes (base64), got {len(raw)}")
    return MasterKey(raw)


def parse_key_list(text: str, *, source: str) -> tuple[MasterKey, ...]:
    """Comma- or whitespace-separated keys."""
    parts = [p for p in text.replace(",", " ").split() if p]
    return tuple(parse_key(p, source=f"{source} (item {i + 1})") for i, p in enumerate(parts))


class KeyFile:
    """The key file: read (refusing group/world access), written atomically with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def stamp(self) -> tuple[int, int] | None:
        """(mtime_ns, inode), or None when missing; changes whenever the file is replaced."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_ino

    def read(self) -> KeySet:
        if self.path.stat().st_mode & 0o077:
            raise ConfigError(f"{self.path} must be readable by its owner only (chmod 600)")
        current: MasterKey | None = None
        previous: list[MasterKey] = []
        for number, line in enumerate(self.path.read_text().splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            label, _, value = line.partition(" ")
            source = f"{self.path} line {number}"
            if label == "current" and current is None:
                current = parse_key(value, source=source)
            elif label == "previous":
                previous.append(parse_key(value, source=source))
            else:
                raise ConfigError(f"{source}: expected 'current KEY' once, then 'previous KEY'")
        if current is None:
            raise ConfigError(f"{self.path} has no 'current' key")
        return KeySet(current, tuple(previous))

    def write(self, keys: KeySet) -> None:
        """Replace the file atomically (a reader sees the old or the new file, never half)."""
        lines = [KEY_FILE_HEADER, f"current {encode_key(keys.current)}\n"]
        lines += [f"previous {encode_key(k)}\n" for k in keys.previous]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write("".join(lines))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def create(self) -> KeySet:
        """Generate a key into a new file; if another process won the race, read theirs."""
        keys = KeySet(generate_key())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self.read()
        with os.fdopen(fd, "w") as handle:
            handle.write(KEY_FILE_HEADER + f"current {encode_key(keys.current)}\n")
            handle.flush()
            os.fsync(handle.fileno())
        logger.warning(BACKUP_WARNING, self.path)
        return keys


class FileKeys:
    """Keys from a key file, re-read when the file changes (checked at most every
    ``interval`` seconds on seal, and at once when a record names an unknown key)."""

    def __init__(
        self,
        key_file: KeyFile,
        *,
        extra_previous: tuple[MasterKey, ...] = (),
        interval: float = 2.0,
    ) -> None:
        self._file = key_file
        self._extra = extra_previous
        self._interval = interval
        self._stamp = key_file.stamp()
        self._keys = key_file.read().with_previous(extra_previous)
        self._checked = time.monotonic()

    @property
    def key_file(self) -> KeyFile:
        return self._file

    def keys(self) -> KeySet:
        if time.monotonic() - self._checked >= self._interval:
            self.refresh()
        return self._keys

    def refresh(self) -> bool:
        self._checked = time.monotonic()
        stamp = self._file.stamp()
        if stamp == self._stamp or stamp is None:
            return False
        self._keys = self._file.read().with_previous(self._extra)
        self._stamp = stamp
        logger.info("vault keys reloaded from %s (current %s)", self._file.path, self._keys.current)
        return True


def load_master_keys(
    *,
    env_key: str | None,
    env_previous: str | None,
    key_file: Path,
    fallback: tuple[MasterKey, ...] = (),
) -> KeySource:
    """The process's key source.

    ``env_key`` (CROSSDESK_MASTER_KEY) wins and is static; otherwise ``key_file`` is read,
    or generated on first run with a loud warning. ``fallback`` keys (the key formerly
    derived from the installation secret) open old records but never seal.
    """
    previous = (
        parse_key_list(env_previous, source="CROSSDESK_MASTER_KEY_PREVIOUS") if env_previous else ()
    )
    if env_key:
        current = parse_key(env_key, source="CROSSDESK_MASTER_KEY")
        return StaticKeys(KeySet(current).with_previous((*previous, *fallback)))
    file = KeyFile(key_file)
    if not file.exists():
        file.create()
    return FileKeys(file, extra_previous=(*previous, *fallback))


def describe(keys: KeySet) -> str:
    """Key ids only (public), for messages."""
    older = ", ".join(k.key_id.hex() for k in keys.previous) or "none"
    return f"current {keys.current.key_id.hex()}; previous: {older}"


__all__ = [
    "BACKUP_WARNING",
    "FileKeys",
    "KeyFile",
    "KeySet",
    "KeySource",
    "StaticKeys",
    "describe",
    "encode_key",
    "generate_key",
    "load_master_keys",
    "parse_key",
    "parse_key_list",
]
