"""The compiled normalizer (``_fastnorm``) gives what the Python fast path gives."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.guard import normalize as normalize_text
from crossdesk.guard.normalize import Normalized, normalize_reference

NORMALIZE = sys.modules["crossdesk.guard.normalize"]
SHARED = Path(__file__).resolve().parents[4] / "shared"
DEV_LINES = (SHARED / "data" / "guard-dev.jsonl").read_text("utf-8").splitlines()
DEV_TEXTS = [json.loads(line)["text"] for line in DEV_LINES if line.strip()]


def _compiled(text: str) -> Normalized | None:
    module = importlib.import_module("crossdesk.guard._fastnorm")
    compiled = NORMALIZE._compile()
    assert isinstance(compiled.__self__, module.FastNormalizer)
    result: Normalized | None = compiled(text)
    return result


def _fields(norm: Normalized | None) -> object:
    if norm is None:
        return None
    return (norm.text, norm.starts, norm.ends, norm._reps, norm._leet, norm._source)


def _agrees(text: str) -> None:
    compiled, python = _compiled(text), NORMALIZE._normalize_fast(text)
    assert _fields(compiled) == _fields(python), text
    if compiled is not None:
        reference = normalize_reference(text)
        assert compiled.flags == reference.flags, text


def test_normalize_uses_the_compiled_pass() -> None:
    # `make test` builds it; without it the exact path runs about ten times slower
    NORMALIZE._compile()
    assert type(NORMALIZE._compiled.__self__).__name__ == "FastNormalizer"
    assert normalize_text("Ｗ3 ch4t").text == "w3chat"
    # two digits inside a word are leetspeak, three are a number
    assert normalize_text("ab10cd ab100cd").text == "abiocdab100cd"


@pytest.mark.parametrize("text", DEV_TEXTS)
def test_dev_set_lines(text: str) -> None:
    _agrees(text)


# leet digits and symbols next to letters and numbers, repeated letters with and without
# gaps between them, look-alikes (the reference decides), Hanzi, invisible characters
_PIECES = [
    "wh4ts", "@pp", "put@", "$hit", "a$$", "h3ll0", "l33t", "AE88213409", "4 pcs", "123",
    "12", "s a p p", "is shit", "teleeegram", "goood", "zz", "a", "b", "ll", "o o", "ι", "ѕ",
    "сука", "wеchat", "微信", "微微", "國", "\u200b", "\u200d", "😊", " ", ".", "-", "€", "|",
    "!", "ﬁ", "ß", "Ｗ", "🅦", "Ⓐ", "²", "٣٤٥", "١٢", "ـ", "ا", "ى", "𠀀", "é", "e\u0301",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=12))
@settings(max_examples=2000, deadline=None)
def test_pieces(pieces: list[str]) -> None:
    _agrees("".join(pieces))


@given(st.text(max_size=60))
@settings(max_examples=1000, deadline=None)
def test_any_text(text: str) -> None:
    _agrees(text)


def test_long_text_goes_through_the_heap() -> None:
    text = "wh4ts @pp goood s a p p 微信 " * 200  # beyond the on-stack buffer
    _agrees(text)
    assert normalize_text(text).text.startswith("whatsapgodsap微信whatsap")


def test_class_and_fold_must_give_two_characters() -> None:
    module = importlib.import_module("crossdesk.guard._fastnorm")
    broken = module.FastNormalizer(lambda cp: "a", {}, frozenset(), Normalized)
    with pytest.raises(ValueError, match="two characters"):
        broken.normalize("x")
    with pytest.raises(ValueError, match="single characters"):
        module.FastNormalizer(lambda cp: "aa", {"ab": "c"}, frozenset(), Normalized)
