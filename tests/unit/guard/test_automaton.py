"""The compiled automaton reports what ahocorasick-rs reports (and is built at all)."""

from __future__ import annotations

import pickle

import ahocorasick_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.guard import matcher
from crossdesk.guard._automaton import KeyAutomaton
from crossdesk.guard.matcher import Automaton


def _reference(keys: list[str], text: str) -> list[tuple[int, int, int]]:
    """ahocorasick-rs, overlapping, with the caller's key indexes."""
    if not keys:
        return []
    ac = ahocorasick_rs.AhoCorasick(keys, matchkind=ahocorasick_rs.MatchKind.Standard)
    return [tuple(m) for m in ac.find_matches_as_indexes(text, overlapping=True)]


# a small alphabet makes keys share prefixes and suffixes (deep failure chains); the astral
# letter and the CJK ones take the other class lookups
_ALPHABET = "abcé 微信😀"
_KEYS = st.lists(st.text(_ALPHABET, min_size=1, max_size=6), max_size=30, unique=True)


@given(_KEYS, st.text(_ALPHABET, max_size=60))
@settings(max_examples=2000, deadline=None)
def test_reports_every_overlapping_match_like_ahocorasick_rs(keys: list[str], text: str) -> None:
    automaton = KeyAutomaton(keys)
    expected = _reference(keys, text)
    assert automaton.find(text) == expected
    assert automaton.any(text) == bool(expected)


@given(_KEYS, st.text(max_size=40))
@settings(max_examples=500, deadline=None)
def test_characters_no_key_holds_reset_the_walk(keys: list[str], text: str) -> None:
    assert KeyAutomaton(keys).find(text) == _reference(keys, text)


def test_a_node_with_many_children_is_searched_by_halves() -> None:
    # more than eight children under one state: the binary search, not the short scan
    keys = ["x" + chr(c) for c in range(0x61, 0x7B)] + [chr(0x4E00 + i) * 2 for i in range(40)]
    text = "xa xq xz xxz " + "".join(chr(0x4E00 + i) * 3 for i in range(0, 40, 3))
    assert KeyAutomaton(keys).find(text) == _reference(keys, text)


@pytest.mark.parametrize(
    "astral",
    [
        "😀🙏\U000f0001\U000f0002",  # within 0x10000 of each other: looked up in a table
        "😀\U00020000\U000e0041",  # far apart: looked up by halves
    ],
)
def test_astral_characters_are_classed_either_way(astral: str) -> None:
    keys = [astral[:2], astral[1:], "a" + astral[-1], astral[0] + "b"]
    text = f"x{astral}a{astral}{astral[0]}b\U0001f601{astral[::-1]}"
    assert KeyAutomaton(keys).find(text) == _reference(keys, text)


def test_no_keys_find_nothing() -> None:
    automaton = KeyAutomaton([])
    assert automaton.find("anything") == []
    assert not automaton.any("anything")
    assert automaton.state_count == 1


@pytest.mark.parametrize(
    ("keys", "message"),
    [(["ok", ""], "key 1"), (["ok", 3], "key 1"), (["a", "b", "a"], "duplicate")],
)
def test_bad_keys_are_refused_with_the_key_named(keys: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeyAutomaton(keys)  # type: ignore[arg-type]


def test_it_pickles_and_shares_states_along_prefixes() -> None:
    automaton = KeyAutomaton(["weixin", "weixing", "wechat"])
    assert automaton.state_count == 1 + len("weixing") + len("chat")
    clone = pickle.loads(pickle.dumps(automaton))
    assert clone.find("wechat weixing") == automaton.find("wechat weixing")
    assert [m[0] for m in clone.find("wechat weixing")] == [2, 0, 1]


def test_the_matcher_uses_it_when_built() -> None:
    # `make test` builds it; the guard's compiled pre-filter walks it (ADR 0006)
    assert isinstance(Automaton(["a"]).compiled, KeyAutomaton)


@given(_KEYS, st.text(_ALPHABET, max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_matcher_answers_alike_without_the_compiled_automaton(
    keys: list[str], text: str
) -> None:
    compiled = Automaton(keys)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matcher, "KeyAutomaton", None)
        twin = Automaton(keys)
    assert twin.compiled is None
    assert twin.find(text) == compiled.find(text)
    assert twin.any(text) == compiled.any(text)


@given(_KEYS, st.data(), st.text(_ALPHABET, max_size=40))
@settings(max_examples=300, deadline=None)
def test_a_share_of_the_keys_reports_their_indexes_into_all_of_them(
    keys: list[str], data: st.DataObject, text: str
) -> None:
    picked = sorted(data.draw(st.sets(st.sampled_from(range(len(keys))))) if keys else [])
    share = sorted(picked, key=keys.__getitem__)
    expected = [m for m in Automaton(keys).find(text) if m[0] in picked]
    assert Automaton(keys, share).find(text) == expected
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matcher, "KeyAutomaton", None)
        assert Automaton(keys, share).find(text) == expected
