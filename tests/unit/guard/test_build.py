"""Compiling a guard: the fast build paths give what their plain definitions give."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import ahocorasick_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.guard import Guard, Lexicon, Term, normalize
from crossdesk.guard.folding import fold_char
from crossdesk.guard.lexicon import read_terms
from crossdesk.guard.matcher import Automaton
from crossdesk.guard.normalize import ALL_NORMS, Norm, fold_key
from crossdesk.guard.patterns import _derive_generic, derive

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
DICTIONARY = [t.text for t in read_terms(SHARED / "guard-dictionary.txt")]

# letters that fold (case, width, accents, traditional Hanzi), repeat, or join words
LETTERS = "aAbcdellLoOsstwxyzéÉａ微信私下交易國語сукаСУКАоواتساب 　\t"
WORDS = st.text(alphabet=LETTERS, min_size=1, max_size=14)
NORM_SETTINGS = [
    ALL_NORMS,
    ALL_NORMS & ~Norm.PINYIN,
    ALL_NORMS & ~Norm.REPEATS,
    ALL_NORMS & ~Norm.VARIANTS,
    ALL_NORMS & ~Norm.CONFUSABLES,
    Norm.NONE,
]
_RUN = re.compile(r"([^\W\d_\u3400-\u9fff\uf900-\ufaff])\1+")


_LATIN_NEXT_TO_OTHER = re.compile(r"[a-zA-Z][\u0370-\u04ff]|[\u0370-\u04ff][a-zA-Z]")


def _fold_key_by_word(term: str) -> str:
    """fold_key's definition: the normalizer for look-alike mixes, else each word folded with
    its letter runs collapsed, the words joined."""
    if _LATIN_NEXT_TO_OTHER.search(term):
        return normalize(term).text
    return "".join(_RUN.sub(r"\1", "".join(map(fold_char, w))) for w in term.split())


@given(WORDS)
@settings(max_examples=400, deadline=None)
def test_fold_key_folds_word_by_word(term: str) -> None:
    assert fold_key(term) == _fold_key_by_word(term)


def test_fold_key_keeps_runs_across_words() -> None:
    # a double letter across the join of two words stays (the words are folded one by one)
    assert fold_key("is shit") == "isshit"
    assert fold_key("Teleeegram") == "telegram"


@given(WORDS, st.sampled_from(NORM_SETTINGS))
@settings(max_examples=400, deadline=None)
def test_derive_equals_its_generic_definition(term: str, norms: Norm) -> None:
    key = fold_key(term)
    han = bool(key) and re.fullmatch(r"[\u4e00-\u9fff]+", key) is not None
    assert derive(term, 2, 5, norms) == list(_derive_generic(term, key, 2, 5, int(norms), han))


def test_derive_equals_its_generic_definition_on_the_dictionary() -> None:
    checked = 0
    for ti, term in enumerate([*DICTIONARY, "whatsapp", "微信", "сучка", "lol lol"]):
        key = fold_key(term)
        han = bool(key) and re.fullmatch(r"[\u4e00-\u9fff]+", key) is not None
        for norms in NORM_SETTINGS:
            expected = list(_derive_generic(term, key, 0, ti, int(norms), han))
            assert derive(term, 0, ti, norms) == expected, term
            checked += len(expected)
    assert checked > 4 * len(DICTIONARY)


KEYS = st.lists(st.text(alphabet="abc微信 ", min_size=1, max_size=5), unique=True, max_size=30)


@given(KEYS, st.text(alphabet="abc微信 x", max_size=60))
@settings(max_examples=400, deadline=None)
def test_automaton_reports_like_one_built_in_the_callers_order(keys: list[str], text: str) -> None:
    """Keys go in sorted; indexes and the order of matches are the caller's all the same."""
    automaton = Automaton(keys)
    expected = []
    if keys and text:
        plain = ahocorasick_rs.AhoCorasick(keys, matchkind=ahocorasick_rs.MatchKind.Standard)
        expected = plain.find_matches_as_indexes(text, overlapping=True)
    assert automaton.find(text) == expected
    assert automaton.any(text) == bool(expected)
    for ki, start, end in automaton.find(text):
        assert text[start:end] == keys[ki]


def test_fingerprint_hashes_each_part_followed_by_nul() -> None:
    lexicon = Lexicon("n", (Term("微信", "diversion"), Term("wa", "custom")), allow=("ok",))
    digest = hashlib.sha256()
    parts = [lexicon.name, lexicon.category, lexicon.action, str(lexicon.severity)]
    parts += [lexicon.direction, str(int(lexicon.normalizations)), lexicon.scope]
    parts += ["t:微信\tdiversion", "t:wa\tcustom", "a:ok"]
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    assert lexicon.version == digest.hexdigest()[:16]


def test_a_guard_built_twice_compiles_the_same() -> None:
    """Building is deterministic: key order (the automata's indexes) included."""
    terms = tuple(Term(t, "custom") for t in DICTIONARY)
    lexicons = [
        Lexicon("a", terms, allow=("whatsapp business",)),
        Lexicon("b", terms[::2], normalizations=ALL_NORMS & ~Norm.PINYIN),
    ]
    first, second = Guard(lexicons, allow=["wa"]), Guard(lexicons, allow=["wa"])
    assert first._main.keys == second._main.keys
    assert first._keyed == second._keyed
    assert first._prefilter._modes == second._prefilter._modes
    assert first._prefilter._han_modes == second._prefilter._han_modes
    # every exact key is in one of the two automata, with its patterns
    exact = dict(zip(first._main.keys, first._keyed, strict=False))
    exact.update(zip(first._short.keys, first._short_patterns, strict=True))
    for key, group in zip(first._main_keys, first._main_patterns, strict=True):
        assert exact[key] == group
