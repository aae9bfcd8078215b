"""The exact path's shortcuts give the answers of the plain definitions they replace."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.guard import boundaries, segment
from crossdesk.guard.folding import script_of
from crossdesk.guard.normalize import Norm, normalize
from crossdesk.guard.patterns import Kind, Pattern

LETTERS = st.text(
    alphabet=st.sampled_from("abcXYZ аеорсхБ αβο ﻻسلام 微信 1!@ \u200b-.é"), max_size=30
)


def _scripts_ok_by_definition(text: str, pattern: Pattern) -> bool:
    if pattern.head not in ("latin", "cyrillic", "greek"):
        return True
    scripts = {script_of(ch) for ch in text if ch.isalpha()}
    scripts.discard("other")
    return not scripts or pattern.head in scripts or len(scripts) > 1


@given(LETTERS, st.sampled_from(["latin", "cyrillic", "greek", "arabic", "han", "other"]))
@settings(max_examples=300, deadline=None)
def test_scripts_ok_matches_its_definition(text: str, head: str) -> None:
    pattern = Pattern("x", 0, 0, Kind.TERM, head, head, frozenset(), 0)
    got = boundaries.scripts_ok(text, 0, len(text), pattern)
    assert got == _scripts_ok_by_definition(text, pattern)


@given(LETTERS)
@settings(max_examples=300, deadline=None)
def test_needed_bits_is_needed(text: str) -> None:
    norm = normalize(text)
    for start in range(len(norm.text)):
        for end in range(start + 1, len(norm.text) + 1):
            assert norm.needed(start, end) == Norm(norm.needed_bits(start, end))


def test_crosses_word_answers_follow_added_words() -> None:
    # "过去死活" reads 过去 / 死活: 去死 crosses a word, and the remembered answer is the same
    assert segment.crosses_word("过去死活", 1, 3, "去死", True)
    assert segment.crosses_word("过去死活", 1, 3, "去死", True)
    # a new word forgets every remembered answer (jieba may now cut any text differently)
    segment._added("测试用词甲乙", True)
    assert not segment._verdicts
    assert segment.crosses_word("过去死活", 1, 3, "去死", True)
