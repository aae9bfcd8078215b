"""Operators: partial mask styles, redact, keyed hash, tokenize."""

from __future__ import annotations

import pytest

from crossdesk.masking import (
    EntityType,
    Hash,
    MaskingEngine,
    MaskStyle,
    Operators,
    PartialMask,
    PiiSpan,
    Redact,
    TokenEntry,
    Tokenize,
    TokenMap,
)

E = EntityType
ENGINE = MaskingEngine()
KEY = b"0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("text", "lang", "masked"),
    [
        ("+1 415-555-2671", "en", "+1 415-***-**71"),
        ("13812345678", "zh", "138****5678"),
        ("+86 138 1234 5678", "zh", "+86 138 **** 5678"),
        ("john.doe@gmail.com", "en", "j***@gmail.com"),
        ("4242 4242 4242 4242", "en", "**** **** **** 4242"),
        ("4242424242424242", "en", "************4242"),
        ("GB82 WEST 1234 5698 7654 32", "en", "GB** **** **** **** **54 32"),
        ("from 203.0.113.77", "en", "from 203.*.***.**"),
        ("write to john at gmail dot com", "en", "write to j***@gmail.com"),
        ("six four six, nine zero four, three five zero one", "en", "646*****01"),
        ("me llamo Ana Pérez", "es", "me llamo A** P****"),
        ("wa.me/5581979143499", "pt", "wa.me/***********99"),
        ("send to @maria_store88", "en", "send to @m****_******8"),
        ("ship to 221 Baker Street, London NW1 6XE", "en", "ship to [ADDRESS]"),
    ],
)
def test_default_operators(text: str, lang: str, masked: str) -> None:
    assert ENGINE.mask(text, lang=lang).text == masked


def test_styles_are_configurable() -> None:
    ops = Operators(default=PartialMask(styles={E.PHONE: MaskStyle(keep_first=0, keep_last=4)}))
    assert ENGINE.mask("13812345678", lang="zh", operators=ops).text == "*******5678"


def test_redact() -> None:
    ops = Operators(default=Redact(), by_type={})
    out = ENGINE.mask("mail a.b@c.com or call 13812345678", lang="zh", operators=ops)
    assert out.text == "mail [EMAIL] or call [PHONE]"
    assert [m.operator for m in out.spans] == ["redact", "redact"]


def test_hash_is_keyed_and_canonical() -> None:
    ops = Operators(default=Hash(KEY), by_type={})
    a = ENGINE.mask("+86 138 1234 5678", lang="zh", operators=ops).text
    b = ENGINE.mask("13812345678", lang="zh", operators=ops).text
    other = Operators(default=Hash(b"another-key-of-32-bytes-length!!"), by_type={})
    c = ENGINE.mask("13812345678", lang="zh", operators=other).text
    assert a == b
    assert a.startswith("[PHONE:") and len(a) == len("[PHONE:]") + 12
    assert a != c


def test_hash_refuses_short_keys() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Hash(b"short")


def test_tokenize_is_stable_within_a_conversation_and_reversible() -> None:
    ops = Operators(default=Tokenize(), by_type={})
    tokens = TokenMap()
    first = ENGINE.mask("call 13812345678 or mail a@b.com", lang="zh", operators=ops, tokens=tokens)
    second = ENGINE.mask("again: 138 1234 5678", lang="zh", operators=ops, tokens=tokens)
    assert first.text == "call [PHONE_1] or mail [EMAIL_1]"
    assert second.text == "again: [PHONE_1]"
    assert [e.token for e in first.new_tokens] == ["[PHONE_1]", "[EMAIL_1]"]
    assert second.new_tokens == ()
    assert tokens.reveal("[PHONE_1]") == "13812345678"
    assert [m.token for m in first.spans] == ["[PHONE_1]", "[EMAIL_1]"]


def test_token_map_can_be_seeded_from_storage() -> None:
    stored = [TokenEntry("[PHONE_3]", E.PHONE, "13812345678")]
    tokens = TokenMap(stored, canonical=["+8613812345678"])
    ops = Operators(default=Tokenize(), by_type={})
    out = ENGINE.mask("138 1234 5678 / 13912345678", lang="zh", operators=ops, tokens=tokens)
    assert out.text == "[PHONE_3] / [PHONE_4]"
    assert [e.token for e in out.new_tokens] == ["[PHONE_4]"]
    with pytest.raises(KeyError):
        tokens.reveal("[PHONE_9]")


def test_apply_rejects_overlapping_spans() -> None:
    spans = [PiiSpan(E.PHONE, 0, 5, 1.0), PiiSpan(E.EMAIL, 3, 8, 1.0)]
    with pytest.raises(ValueError, match="overlaps"):
        ENGINE.apply("0123456789", spans)


def test_span_rejects_bad_offsets() -> None:
    with pytest.raises(ValueError, match="invalid span"):
        PiiSpan(E.PHONE, 5, 5, 1.0)
