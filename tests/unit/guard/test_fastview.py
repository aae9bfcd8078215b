"""The compiled pre-filter answers as the Python one does (and is built at all)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.guard import Guard, Lexicon, Term
from crossdesk.guard.lexicon import read_terms

SHARED = Path(__file__).resolve().parents[4] / "shared"
DEV_TERMS = [t.text for t in read_terms(SHARED / "data" / "guard-dictionary.txt")]
EXTRA = ["ab12", "62ox", "هييي", "几到太", "干接它", "sarel", "tosple", "微信", "wa", "vx", "qq"]
GUARD = Guard([Lexicon("dev", tuple(Term(t, "custom") for t in [*DEV_TERMS, *EXTRA]))])
DEV_LINES = (SHARED / "data" / "guard-dev.jsonl").read_text("utf-8").splitlines()
DEV_TEXTS = [json.loads(line)["text"] for line in DEV_LINES if line.strip()]


def test_the_compiled_prefilter_is_built() -> None:
    # `make test` builds it; without it the guard runs several times slower (docs/guard.md)
    module = importlib.import_module("crossdesk.guard._fastview")
    assert GUARD._prefilter._fast is not None
    assert isinstance(GUARD._prefilter._fast, module.FastPrefilter)


def _agrees(text: str) -> None:
    prefilter = GUARD._prefilter
    assert prefilter._fast is not None
    answer = prefilter._fast.check(text)
    assert answer in (-1, 0, 1)
    if answer >= 0:
        assert (answer == 1) == prefilter.may_match_python(text), text


@pytest.mark.parametrize("text", DEV_TEXTS)
def test_dev_set_lines_get_the_same_answer(text: str) -> None:
    _agrees(text)


# Pieces that exercise every view: leet digits and symbols, order numbers, letters next to
# digits, punctuation inside words, spelled-out letters, Hanzi (homophones, part pinyin,
# traditional), Cyrillic and Arabic (with look-alikes), full-width and styled letters,
# zero-width characters, emoji, masks.
_PIECES = [
    "whatsapp", "wh4ts", "@pp", "w.e.c.h.a.t", "微信", "威信", "wei信", "薇 信", "加我", "vx",
    "v x", "s e x", "q-q", "qq4", "ab12", "a b 1 2", "62ox", "订单号", "123456789", "12", "3",
    "telegram", "teleeegram", "тг", "телега", "сука", "с у к а", "сукой", "к@рта", "هييي",
    "واتس", "غ-بي", "ＷｅＣｈａｔ", "𝐰𝐞𝐜𝐡𝐚𝐭", "🅦", "\u200b", "😊", "，", "。", " ", "  ", ".",
    "-", "'", "!", "$", "€", "|", "*", "a**", "I'm", "don't", "3.5", "x.com", "几到太", "寄到台",
    "私1聊", "XL码", "cnm", "wx", "l1ne", "ｌｉｎｅ", "微信支付", "Ü", "ß", "é", "ي", "ى",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=10), st.text(max_size=12))
@settings(max_examples=1500, deadline=None)
def test_compiled_and_python_prefilters_agree(pieces: list[str], noise: str) -> None:
    _agrees("".join(pieces))
    _agrees(noise.join(pieces))
    _agrees(noise)


@given(st.text(max_size=80))
@settings(max_examples=800, deadline=None)
def test_they_agree_on_any_text(text: str) -> None:
    _agrees(text)


# (the last four: the table's edges, a compatibility Hanzi and a rare one it leaves to Python)
_HAN_CHARS = [*"微信威薇加我几到太寄台中要天0123456789aabwxinlLqq ，。!😊蛋王八"]
_HAN_TEXT = st.text(
    alphabet=st.sampled_from([*_HAN_CHARS, "\u9fa5", "\u3400", "\uf900", "\U00020000"]),
    max_size=40,
)


@given(_HAN_TEXT)
@settings(max_examples=500, deadline=None)
def test_compiled_pinyin_spelling_equals_the_python_one(text: str) -> None:
    from crossdesk.guard._fastview import PinyinSpeller
    from crossdesk.guard.normalize import normalize, pinyin_view_python
    from crossdesk.guard.view_tables import view_tables

    norm = normalize(text)
    spelled = PinyinSpeller(view_tables()).spell(norm.text)
    expected = pinyin_view_python(norm)
    if spelled is None:  # a Hanzi the tables lack: the Python spelling answers
        assert any(0xF900 <= ord(ch) <= 0xFAFF or ord(ch) >= 0x20000 for ch in norm.text)
        return
    assert spelled == (expected.text, expected.units, expected.unit_start)


@pytest.mark.parametrize(
    "text", ["\ud800abc", "call 13812345678 \udfff", "whats\ud800app", "\udfff"]
)
def test_lone_surrogates_never_break_a_scan(text: str) -> None:
    # JSON bodies may carry them; the contact rules' RE2 passes cannot encode them
    result = GUARD.scan(text)
    assert [h.term for h in result.hits] == (
        ["whatsapp"] if "whats" in text else ["<PHONE>"] if "138" in text else []
    )


# Long messages: past the stack buffers of check() (1024 folded characters, 8192 words of view
# tables), the folded text and the views move to the heap; the answers must not change.
@given(st.lists(st.sampled_from(_PIECES), min_size=120, max_size=260), st.text(max_size=3))
@settings(max_examples=120, deadline=None)
def test_long_messages_get_the_same_answer(pieces: list[str], noise: str) -> None:
    _agrees(noise.join(pieces))


# pieces the Python pre-filter passes alone: long messages of them are often clean, so the
# heap path is checked on "no" answers too (the pieces above nearly always hold a key)
_CLEAN_PIECES = [p for p in _PIECES if not GUARD._prefilter.may_match_python(p)]


@given(st.lists(st.sampled_from(_CLEAN_PIECES), min_size=120, max_size=260))
@settings(max_examples=120, deadline=None)
def test_long_clean_messages_get_the_same_answer(pieces: list[str]) -> None:
    _agrees(" ".join(pieces))


def test_the_dev_set_as_one_long_message_gets_the_same_answer() -> None:
    _agrees(" ".join(DEV_TEXTS[:40]))
    _agrees("".join(DEV_TEXTS[:40]))


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [("add me on wh@ts@pp", -1, True), ("how much is shipping?", 0, False), ("加我微信", 1, True)],
)
def test_the_gate_asks_the_python_prefilter_only_when_unsure(
    text: str, answer: int, expected: bool
) -> None:
    prefilter = GUARD._prefilter
    assert prefilter._fast is not None
    assert prefilter._fast.check(text) == answer
    assert prefilter.gate(text) is expected
    assert prefilter.may_match(text) is expected
