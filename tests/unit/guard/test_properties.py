"""Hypothesis properties: offsets stay inside the text; separators never hide a term."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.guard import Guard, Lexicon, Term, normalize
from crossdesk.guard.normalize import normalize_reference

TERMS = ["wechat", "whatsapp", "微信", "私下交易", "сука", "telegram", "واتساب"]
GUARD = Guard([Lexicon("p", tuple(Term(t, "custom") for t in TERMS))])
# A plain space is not here on purpose: "we chat" splits off a function word and is English,
# not an evasion (see test_letters_spaced_out for spaced-out letters).
SEPARATORS = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", ".", "-", "_", "*", "😊", "~"]


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_normalized_offsets_map_inside_the_text(text: str) -> None:
    norm = normalize(text)
    assert len(norm.starts) == len(norm.ends) == len(norm.text)
    for start, end in zip(norm.starts, norm.ends, strict=True):
        assert 0 <= start < end <= len(text)
    assert list(norm.starts) == sorted(norm.starts)


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_hit_offsets_map_inside_the_text(text: str) -> None:
    for hit in GUARD.scan(text).hits:
        assert 0 <= hit.start < hit.end <= len(text)
        assert text[hit.start : hit.end] == hit.matched


@given(
    st.sampled_from(TERMS),
    st.lists(st.tuples(st.integers(min_value=1), st.sampled_from(SEPARATORS)), max_size=3),
    st.sampled_from(["", "hi ", "你好，", "привет "]),
)
@settings(max_examples=300, deadline=None)
def test_inserted_separators_never_hide_a_term(
    term: str, inserts: list[tuple[int, str]], prefix: str
) -> None:
    chars = list(term)
    for position, sep in inserts:
        index = 1 + position % (len(chars) - 1) if len(chars) > 1 else 1
        # one separator per gap, the way evaders space letters out
        if chars[index - 1] not in SEPARATORS and (
            index == len(chars) or chars[index] not in SEPARATORS
        ):
            chars.insert(index, sep)
    text = prefix + "".join(chars) + " ok"
    assert term in {h.term for h in GUARD.scan(text).hits}, text


@given(st.sampled_from(TERMS), st.sampled_from([" ", "  ", " . ", "\u3000"]))
@settings(max_examples=100, deadline=None)
def test_letters_spaced_out(term: str, sep: str) -> None:
    text = "hey " + sep.join(term) + " ok"
    assert term in {h.term for h in GUARD.scan(text).hits}, text


# characters that exercise every branch of the normalizer: leet digits and symbols, look-alike
# letters, traditional Hanzi, styled and full-width letters, invisible and multi-letter folds
_TRICKY = st.text(
    alphabet=st.sampled_from(
        list("aabcelopstwx013457@$!|€ .-,\u200b\u200dсаоерхΑοé微信薇威號國ＷｅßﬁＣ🅦Ⓐ😊ـاىة")
    ),
    max_size=40,
)


@given(st.one_of(st.text(max_size=80), _TRICKY))
@settings(max_examples=500, deadline=None)
def test_fast_normalizer_equals_the_reference(text: str) -> None:
    fast, reference = normalize(text), normalize_reference(text)
    assert (fast.text, fast.starts, fast.ends) == (reference.text, reference.starts, reference.ends)
    assert fast.flags == reference.flags
    for i in range(len(fast.text)):
        for j in range(i + 1, min(len(fast.text), i + 6) + 1):
            assert fast.needed(i, j) == reference.needed(i, j)
