"""Master keys: environment, key file (0600, generated once, reloaded on change), fallback."""

import base64
import logging
import os
from pathlib import Path

import pytest

from crossdesk.errors import ConfigError, VaultError
from crossdesk.vault import Envelope, KeyFile, KeySet, MasterKey, derive_master_key
from crossdesk.vault.crypto import associated_data, blob_key_id
from crossdesk.vault.keyring import FileKeys, encode_key, generate_key, load_master_keys

AAD = associated_data("ws1", "rec1", "session.state")


def b64(key: MasterKey) -> str:
    return base64.b64encode(key.key).decode()


def test_environment_key_wins_and_is_used_to_seal(tmp_path: Path) -> None:
    key = generate_key()
    source = load_master_keys(env_key=b64(key), env_previous=None, key_file=tmp_path / "k")
    assert source.keys().current == key
    assert not (tmp_path / "k").exists()
    blob = Envelope.from_source(source).seal(b"x", AAD)
    assert blob_key_id(blob) == key.key_id


@pytest.mark.parametrize(
    ("value", "problem"),
    [("not base64!!", "not base64"), (base64.b64encode(b"short").decode(), "must be 32 bytes")],
)
def test_bad_environment_key_is_a_clear_config_error(
    tmp_path: Path, value: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem) as info:
        load_master_keys(env_key=value, env_previous=None, key_file=tmp_path / "k")
    assert "CROSSDESK_MASTER_KEY" in info.value.message
    assert value not in info.value.message


def test_url_safe_base64_is_accepted(tmp_path: Path) -> None:
    key = MasterKey(bytes([251] * 32))  # encodes with + and / in standard base64
    url_safe = base64.urlsafe_b64encode(key.key).decode()
    source = load_master_keys(env_key=url_safe, env_previous=None, key_file=tmp_path / "k")
    assert source.keys().current == key


def test_key_file_is_generated_once_with_0600_and_a_loud_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "data" / "master.key"
    with caplog.at_level(logging.WARNING, logger="crossdesk.vault.keyring"):
        first = load_master_keys(env_key=None, env_previous=None, key_file=path)
    assert "BACK IT UP" in caplog.text
    assert path.stat().st_mode & 0o777 == 0o600
    caplog.clear()
    second = load_master_keys(env_key=None, env_previous=None, key_file=path)
    assert second.keys().current == first.keys().current
    assert "BACK IT UP" not in caplog.text
    assert encode_key(first.keys().current) not in caplog.text


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    KeyFile(path).create()
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_master_keys(env_key=None, env_previous=None, key_file=path)


def test_derived_fallback_opens_records_sealed_before_master_keys(tmp_path: Path) -> None:
    legacy = derive_master_key(b"installation-secret", "vault")
    old_blob = Envelope(legacy).seal(b"token", AAD)
    source = load_master_keys(
        env_key=None, env_previous=None, key_file=tmp_path / "master.key", fallback=(legacy,)
    )
    envelope = Envelope.from_source(source)
    assert envelope.open(old_blob, AAD, record="secret s1") == b"token"
    assert not envelope.is_current(old_blob)
    assert envelope.is_current(envelope.rewrap(old_blob, AAD, record="secret s1"))
    # Without the fallback the record is named, not silently emptied.
    bare = Envelope.from_source(
        load_master_keys(env_key=None, env_previous=None, key_file=tmp_path / "master.key")
    )
    with pytest.raises(VaultError, match="record secret s1 was sealed with an unknown master key"):
        bare.open(old_blob, AAD, record="secret s1")


def test_a_rewritten_key_file_is_picked_up_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    file = KeyFile(path)
    old = file.create()
    server = Envelope.from_source(FileKeys(file, interval=3600))
    new = KeySet(generate_key(), (old.current,))
    file.write(new)
    assert path.stat().st_mode & 0o777 == 0o600
    # Another process re-wraps a record under the new key: this one opens it at once ...
    blob = Envelope(new.current, new.previous).seal(b"cookie", AAD)
    assert server.open(blob, AAD, record="r") == b"cookie"
    # ... and seals with the new key from then on.
    assert blob_key_id(server.seal(b"y", AAD)) == new.current.key_id


def test_key_file_seal_rechecks_the_file_after_the_interval(tmp_path: Path) -> None:
    file = KeyFile(tmp_path / "master.key")
    old = file.create()
    source = FileKeys(file, interval=0.0)
    new = KeySet(generate_key(), (old.current,))
    file.write(new)
    assert source.keys().current == new.current


def test_malformed_key_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# header\ncurrent " + b64(generate_key()) + "\nnext abc\n")
    with pytest.raises(ConfigError, match="line 3"):
        KeyFile(path).read()


def test_tampered_header_or_body_is_named() -> None:
    key = generate_key()
    envelope = Envelope(key)
    blob = bytearray(envelope.seal(b'{"cookies": []}', AAD))
    blob[30] ^= 1  # inside the wrapped data key
    with pytest.raises(VaultError, match="record session s1 failed authentication"):
        envelope.open(bytes(blob), AAD, record="session s1")
    with pytest.raises(VaultError, match="record session s1 failed authentication"):
        envelope.rewrap(bytes(blob), AAD, record="session s1")
    body = bytearray(envelope.seal(b'{"cookies": []}', AAD))
    body[-3] ^= 1
    with pytest.raises(VaultError, match="failed authentication"):
        Envelope(generate_key(), (key,)).rewrap(bytes(body), AAD, record="session s1")
