"""Hypothesis properties: masks hide digits, offsets round-trip, tokens reverse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.masking import EntityType, MaskingEngine, Operators, Tokenize, TokenMap
from crossdesk.masking.operators.mask import DEFAULT_STYLES
from crossdesk.masking.text import digits_only

ENGINE = MaskingEngine()
FILLER = st.lists(
    st.sampled_from(["abc", "xyz", ",", ".", "!", "你好", "мир", "🙂", "thanks", "pls", " "]),
    max_size=8,
).map(" ".join)


@st.composite
def cn_mobiles(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["135", "136", "138", "139", "150", "158", "186", "188"]))
    return prefix + draw(st.text("0123456789", min_size=8, max_size=8))


@st.composite
def cards(draw: st.DrawFn) -> str:
    body = "4" + draw(st.text("0123456789", min_size=14, max_size=14))
    for check in "0123456789":
        candidate = body + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            sep = draw(st.sampled_from(["", " ", "-"]))
            return sep.join(candidate[i : i + 4] for i in range(0, 16, 4))
    raise AssertionError("unreachable: one check digit always fits")


@settings(max_examples=60, deadline=None)
@given(before=FILLER, value=st.one_of(cn_mobiles(), cards()), after=FILLER)
def test_mask_keeps_no_more_digits_than_the_style(before: str, value: str, after: str) -> None:
    text = f"{before} {value} {after}"
    out = ENGINE.mask(text, lang="zh")
    for placed in out.spans:
        style = DEFAULT_STYLES[placed.span.type]
        original = digits_only(text[placed.span.start : placed.span.end])
        shown = digits_only(out.text[placed.start : placed.end])
        assert len(shown) <= style.keep_first + max(style.keep_last, style.keep_last_long or 0)
        assert len(shown) < len(original)


@settings(max_examples=60, deadline=None)
@given(before=FILLER, value=st.one_of(cn_mobiles(), cards()), after=FILLER)
def test_offsets_round_trip(before: str, value: str, after: str) -> None:
    text = f"{before} {value} {after}"
    out = ENGINE.mask(text, lang="zh")
    rebuilt, cursor = [], 0
    for placed in out.spans:
        rebuilt.append(out.text[cursor : placed.start])
        rebuilt.append(text[placed.span.start : placed.span.end])
        cursor = placed.end
    rebuilt.append(out.text[cursor:])
    assert "".join(rebuilt) == text
    assert any(text[p.span.start : p.span.end] == value for p in out.spans)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(cn_mobiles(), min_size=1, max_size=4))
def test_tokenize_then_reveal_returns_the_original(values: list[str]) -> None:
    text = " / ".join(values)
    tokens = TokenMap()
    out = ENGINE.mask(
        text, lang="zh", operators=Operators(default=Tokenize(), by_type={}), tokens=tokens
    )
    for placed in out.spans:
        assert placed.token is not None
        assert tokens.reveal(placed.token) == text[placed.span.start : placed.span.end]
    assert {p.span.type for p in out.spans} == {EntityType.PHONE}
    assert len(out.new_tokens) == len(set(values))
