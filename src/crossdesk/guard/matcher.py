"""Aho-Corasick search over normalized text.

The compiled ``KeyAutomaton`` (``_automaton.pyx``, ADR 0006) does the search where it is
built: the guard's compiled pre-filter walks it over views it never turns into Python strings.
Without a C compiler, ahocorasick-rs (Rust, ``aho-corasick`` crate) answers the same; it was
measured against pyahocorasick in ``bench/guard.py`` (docs/benchmarks.md) and the compiled
automaton against it (tests/unit/guard/test_automaton.py checks they report the same matches).
"""

from __future__ import annotations

from collections.abc import Sequence

import ahocorasick_rs

try:
    from crossdesk.guard._automaton import KeyAutomaton
except ImportError:  # built without a C compiler (ADR 0005)
    KeyAutomaton = None  # type: ignore[assignment,misc]

__all__ = ["Automaton", "KeyAutomaton"]


class Automaton:
    """All overlapping occurrences of a fixed set of keys.

    Matches come as (key index, start, end), by end position, the longest first at one end.

    Args:
        keys: the keys to search for (non-empty strings, no duplicates).
        share: the indexes of the keys to hold, sorted by key (all of them when omitted);
            matches still carry indexes into ``keys``.
    """

    def __init__(self, keys: Sequence[str], share: list[int] | None = None) -> None:
        self.keys = list(keys)
        # the key indexes sorted by key: both automata insert keys in that order (the trie is
        # then built along shared prefixes: 0.8 -> 0.4 s for 158,000 keys in ahocorasick-rs)
        self.order = (
            share if share is not None else sorted(range(len(self.keys)), key=self.keys.__getitem__)
        )
        self.compiled = KeyAutomaton(self.keys, self.order) if KeyAutomaton is not None else None
        self._twin = (
            _RustAutomaton(self.keys, self.order) if self.compiled is None and self.order else None
        )

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """Every (key index, start, end) occurrence in ``text``, overlapping ones included."""
        if self.compiled is not None:
            return self.compiled.find(text)
        return self._twin.find(text) if self._twin is not None and text else []

    def any(self, text: str) -> bool:
        """True when at least one key occurs in ``text`` (the cheap pre-filter)."""
        if self.compiled is not None:
            return self.compiled.any(text)
        return self._twin is not None and bool(text) and self._twin.any(text)


class _RustAutomaton:
    """ahocorasick-rs behind :class:`Automaton`'s interface.

    The keys go in ``order``; matches are mapped back to the caller's key indexes. Their
    order does not depend on the numbering: with distinct keys, the matches ending at one
    position come longest first.
    """

    def __init__(self, keys: list[str], order: list[int]) -> None:
        self._key_of_pattern = order
        self._ac = ahocorasick_rs.AhoCorasick(
            [keys[i] for i in self._key_of_pattern], matchkind=ahocorasick_rs.MatchKind.Standard
        )

    def find(self, text: str) -> list[tuple[int, int, int]]:
        matches: list[tuple[int, int, int]] = self._ac.find_matches_as_indexes(
            text, overlapping=True
        )
        if not matches:
            return matches
        index = self._key_of_pattern
        return [(index[p], start, end) for p, start, end in matches]

    def any(self, text: str) -> bool:
        return bool(self._ac.find_matches_as_indexes(text))
