"""The pre-filter never rejects a message the exact path would flag; homophone limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.guard import Guard, Lexicon, Term
from crossdesk.guard.lexicon import read_terms
from crossdesk.guard.normalize import fold_key

TERMS = ["перевод на карту", "мудак", "сука", "whatsapp", "微信", "几到太", "ab12", "telegram"]
GUARD = Guard([Lexicon("p", tuple(Term(t, "custom") for t in TERMS))])

EVASIONS = [
    ("Можно перевод на к@рту, без комиссии", "перевод на карту"),
    ("Вы муд@к, где посылка?", "мудак"),
    ("сукой", "сука"),
    ("w h a t s a p p me", "whatsapp"),
    ("s.a.p.p wh@ts@pp", "whatsapp"),
    ("加我薇信", "微信"),
    ("my id ab12 ok", "ab12"),
    ("teleeegram pls", "telegram"),
    ("加我wei信", "微信"),
    ("a1а b12", "ab12"),  # a leet digit joins Latin and Cyrillic letters into one word
    ("сук4а", "сука"),  # a leet digit read as a Latin letter, then as its Cyrillic look-alike
]


@pytest.mark.parametrize(("text", "term"), EVASIONS)
def test_prefilter_passes_evasions(text: str, term: str) -> None:
    assert GUARD._prefilter.may_match(text)
    assert term in {h.term for h in GUARD.scan(text).hits}


@pytest.mark.parametrize(
    "text", ["Hello, is this still available?", "寄到台中要几天", "亲，在吗，这件卫衣有XL码吗"]
)
def test_clean_messages_stop_at_the_prefilter(text: str) -> None:
    assert not GUARD.scan(text).hits


SHORT = Guard([Lexicon("s", tuple(Term(t, "custom") for t in ["vx", "sex", "хуй", "wa", "tg"]))])


@pytest.mark.parametrize(
    ("text", "term"),
    [("add me on v x", "vx"), ("s e x", "sex"), ("х у й", "хуй"), ("buy 3 v x", "vx"),
     ("s. e. x", "sex")],
)  # fmt: skip
def test_a_short_term_spelled_out_letter_by_letter_is_found(text: str, term: str) -> None:
    assert [h.term for h in SHORT.scan(text).hits] == [term]


@pytest.mark.parametrize("text", ["w a t e r", "T G I F", "A B testing", "it's ex-wife"])
def test_only_a_whole_spelled_out_run_is_a_short_term(text: str) -> None:
    assert not SHORT.scan(text).hits


def test_a_homophone_changes_at_most_half_of_a_longer_term() -> None:
    assert not GUARD.scan("寄到台中要几天").hits  # 寄到台 reads like 几到太 but keeps one of three
    assert [h.term for h in GUARD.scan("几到台").hits] == ["几到太"]


# -- the pre-filter over-approximates the exact path ---------------------------------------

DEV_TERMS = [
    t.text
    for t in read_terms(
        Path(__file__).resolve().parents[4] / "shared" / "data" / "guard-dictionary.txt"
    )
]
# the dev dictionary plus spellings of the generated big dictionaries' kinds (handles with
# digits, collapsed Arabic runs, Hanzi terms that share syllables with common words)
BIG = Guard(
    [Lexicon("big", tuple(Term(t, "custom") for t in [*DEV_TERMS, "ab12", "62ox", "هييي",
                                                        "几到太", "干接它", "sarel", "tosple"]))]
)  # fmt: skip
_CONTEXT = ["", "hi ", "x", "4", "12", "加我", "你好，", "привет ", "订单号是123456789，", "ok. ",
            "¿", "😊", "\u200b", "revisar el ", "yo", "S码", "wei", " at "]  # fmt: skip
_LEETS = {"a": "@4", "e": "3€", "i": "1!|", "o": "0", "s": "5$", "t": "7", "l": "|1"}


@st.composite
def _evasions(draw: st.DrawFn) -> str:
    term = draw(st.sampled_from(BIG.lexicons[0].terms)).text
    chars = list(term)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(chars) - 1))
        op = draw(st.integers(0, 4))
        if op == 0:
            # known limit: a plain space splitting a term of three letters or fewer into a
            # letter and a pair ("х уй") is bridged by the exact path but not by the
            # pre-filter (docs/guard.md); letter by letter ("х у й") is, see _spelled
            gaps = [" ", "  "] if len(fold_key(term)) > 3 else []
            chars.insert(i, draw(st.sampled_from([*gaps, ".", "\u200b", "-", "😊", "，"])))
        elif op == 1 and chars[i].lower() in _LEETS and not any(ch.isdigit() for ch in term):
            # (a leet digit beside a handle's digits, "4b12" for "ab12", is a known limit of
            # the pre-filter, docs/guard.md)
            chars[i] = draw(st.sampled_from(_LEETS[chars[i].lower()]))
        elif op == 2:
            chars[i] = chars[i] * draw(st.integers(2, 3))
        elif op == 3:
            chars[i] = chars[i].upper()
        else:
            chars.insert(i, draw(st.sampled_from(["1", "x", "加", "а"])))
    return draw(st.sampled_from(_CONTEXT)) + "".join(chars) + draw(st.sampled_from(_CONTEXT))


_SHORT = sorted(
    t.text for t in BIG.lexicons[0].terms if t.text.isalpha() and len(fold_key(t.text)) <= 3
)


@st.composite
def _spelled(draw: st.DrawFn) -> str:
    """A short term spelled out letter by letter ("v x", "х у й"), in context."""
    term = draw(st.sampled_from(_SHORT))
    gap = draw(st.sampled_from([" ", "  ", " . ", "\u200b ", " 😊 "]))
    before = draw(st.sampled_from(["", "add ", "加我 ", "my ", "1 "]))
    return before + gap.join(term) + draw(st.sampled_from(["", " ok", " pls", "!"]))


@given(st.one_of(_evasions(), _spelled(), st.text(max_size=60)))
@settings(max_examples=400, deadline=None)
def test_prefilter_never_drops_an_exact_hit(text: str) -> None:
    if BIG._scan_terms(text, [True]):
        assert BIG._prefilter.may_match(text), text


@pytest.mark.parametrize("text", ["it was sent, contact me", "my qqs", "add my vxs", "QQÖ"])
def test_a_short_spelling_takes_no_ending(text: str) -> None:
    # "wa" + "s" is the English "was": spellings of three letters or fewer are whole words,
    # for the exact path as for the pre-filter
    assert not BIG._scan_terms(text, [True])


@pytest.mark.parametrize(
    ("text", "found"),
    [("b v x", False), ("a.v x", False), ("x v x ok", False), ("add me on v x", True),
     ("buy 3 v x", True), ("v x, ok", True)],
)  # fmt: skip
def test_a_short_spelling_spelled_out_is_the_whole_run_for_the_exact_path_too(
    text: str, found: bool
) -> None:
    # letters spelled out one by one make one word: "b v x" is not "vx"
    assert bool(BIG._scan_terms(text, [True])) is found
    if found:
        assert BIG._prefilter.may_match(text)


@pytest.mark.parametrize(
    "text",
    [
        "12غ ب ي 3 x",
        "غ ب ي 3 x",
        "ok 4 v x 5 z",
        "غ ب ي3 x",
        "hi 3те3леграм",
        "муда4к 3 x",
        "12私1下а-交易¿",
    ],  # (the last: a leet digit between Hanzi makes "а" a Latin look-alike)
)
def test_digits_around_and_inside_words(text: str) -> None:
    assert BIG._prefilter.may_match(text) and BIG._prefilter.may_match_python(text)
    assert len(BIG.scan(text).hits) == 1


# a guard without keys holding a digit: its pre-filter builds the view reading digits as
# written only for the letters spelled out in it
NO_DIGIT_KEYS = Guard(
    [Lexicon("s", tuple(Term(t, "custom") for t in [*_SHORT, "whatsapp", "微信", "сука"]))]
)


@st.composite
def _digits_between(draw: st.DrawFn) -> str:
    """A term with digits beside or inside it, maybe spelled out with digits between the
    letters: where the views reading digits as letters and as written differ."""
    term = draw(st.sampled_from([*BIG.lexicons[0].terms, *NO_DIGIT_KEYS.lexicons[0].terms])).text
    # (not inside a handle with digits: "62o0x" is "62ox" with a leet digit in it, a known
    # limit of the pre-filter, docs/guard.md)
    split = draw(st.booleans()) and not any(ch.isdigit() for ch in term)
    pieces = list(term) if split else [term]
    out: list[str] = []
    for piece in pieces:
        if draw(st.integers(0, 2)) == 0:
            out.append(draw(st.sampled_from(["3", "1", "12", "123", "8", "0", "4"])))
        out.append(piece)
    gap = draw(st.sampled_from(["", " ", " . "]))
    after = draw(st.sampled_from(["", " 4", " 77 ok", "9", " 3 x"]))
    return draw(st.sampled_from(_CONTEXT)) + gap.join(out) + after


@given(st.one_of(_digits_between(), _spelled()))
@settings(max_examples=400, deadline=None)
def test_digits_as_written_are_searched_where_they_can_matter(text: str) -> None:
    for guard in (BIG, NO_DIGIT_KEYS):
        if guard._scan_terms(text, [True]):
            assert guard._prefilter.may_match(text), text
            assert guard._prefilter.may_match_python(text), text


@given(st.lists(st.one_of(_evasions(), st.text(max_size=40)), max_size=40))
@settings(max_examples=60, deadline=None)
def test_scan_many_equals_scan(texts: list[str]) -> None:
    assert BIG.scan_many(texts) == [BIG.scan(t) for t in texts]
