"""Envelope encryption: round trip, binding to its record, tampering, rotation."""

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdesk.errors import VaultError
from crossdesk.vault import Envelope, MasterKey, derive_master_key
from crossdesk.vault.crypto import associated_data

KEY = MasterKey(os.urandom(32))
AAD = associated_data("ws1", "rec1", "message.body")


@given(st.binary(max_size=2000))
def test_round_trip(plaintext: bytes) -> None:
    envelope = Envelope(KEY)
    assert envelope.open(envelope.seal(plaintext, AAD), AAD, record="r") == plaintext


def test_ciphertext_copied_to_another_record_fails_and_names_the_record() -> None:
    envelope = Envelope(KEY)
    blob = envelope.seal(b"+34 612 345 678", AAD)
    other = associated_data("ws1", "rec2", "message.body")
    with pytest.raises(VaultError, match="record message rec2"):
        envelope.open(blob, other, record="message rec2")


def test_tampered_blob_fails_cleanly() -> None:
    envelope = Envelope(KEY)
    blob = bytearray(envelope.seal(b"secret", AAD))
    blob[-1] ^= 1
    with pytest.raises(VaultError, match="failed authentication"):
        envelope.open(bytes(blob), AAD, record="r")
    with pytest.raises(VaultError, match="not a crossdesk vault blob"):
        envelope.open(b"garbage", AAD, record="r")


def test_rotation_rewraps_without_touching_the_data() -> None:
    old, new = MasterKey(os.urandom(32)), MasterKey(os.urandom(32))
    blob = Envelope(old).seal(b"token-123", AAD)
    rotating = Envelope(new, previous=(old,))
    rewrapped = rotating.rewrap(blob, AAD, record="r")
    assert Envelope(new).open(rewrapped, AAD, record="r") == b"token-123"
    with pytest.raises(VaultError, match="unknown master key"):
        Envelope(old).open(rewrapped, AAD, record="r")


def test_derived_keys_differ_by_purpose_and_repr_hides_the_key() -> None:
    a, b = derive_master_key(b"s", "vault"), derive_master_key(b"s", "other")
    assert a.key != b.key
    assert a.key.hex() not in repr(a)
