"""Aho-Corasick search over normalized text, backed by ahocorasick-rs.

ahocorasick-rs (Rust, ``aho-corasick`` crate) was measured against pyahocorasick in
``bench/guard.py``: it builds and searches faster; see docs/benchmarks.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import ahocorasick_rs


class Automaton:
    """All overlapping occurrences of a fixed set of keys.

    The keys go into the automaton in sorted order: the trie is then built along shared
    prefixes, which halves the build of a big list (measured: 0.8 s → 0.4 s for 158,000
    keys). Matches are reported with the caller's key indexes. Their order does not depend
    on the indexes: with distinct keys, the matches ending at one position come longest
    first whatever the keys' numbering.

    Args:
        keys: the keys to search for (non-empty strings, no duplicates).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        # automaton pattern number → index in ``keys``
        self.key_of_pattern = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        self._ac = (
            ahocorasick_rs.AhoCorasick(
                [self.keys[i] for i in self.key_of_pattern],
                matchkind=ahocorasick_rs.MatchKind.Standard,
            )
            if self.keys
            else None
        )

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """Every (key index, start, end) occurrence in ``text``, overlapping ones included."""
        if self._ac is None or not text:
            return []
        matches: list[tuple[int, int, int]] = self._ac.find_matches_as_indexes(
            text, overlapping=True
        )
        if not matches:
            return matches
        index = self.key_of_pattern
        return [(index[p], start, end) for p, start, end in matches]

    def raw_finder(self) -> Callable[[str], list[tuple[int, int, int]]] | None:
        """``find`` for compiled callers: no Python frame per call, and matches carry the
        automaton's pattern numbers (``key_of_pattern`` maps them to key indexes)."""
        if self._ac is None:
            return None
        return functools.partial(self._ac.find_matches_as_indexes, overlapping=True)

    def any(self, text: str) -> bool:
        """True when at least one key occurs in ``text`` (the cheap pre-filter)."""
        if self._ac is None or not text:
            return False
        return bool(self._ac.find_matches_as_indexes(text))
