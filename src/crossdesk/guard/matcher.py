"""Aho-Corasick search over normalized text, backed by ahocorasick-rs.

ahocorasick-rs (Rust, ``aho-corasick`` crate) was measured against pyahocorasick in
``bench/guard.py``: it builds and searches faster; see docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import ahocorasick_rs


class Automaton:
    """All overlapping occurrences of a fixed set of keys.

    Args:
        keys: the keys to search for (non-empty strings, no duplicates).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        self._ac = (
            ahocorasick_rs.AhoCorasick(self.keys, matchkind=ahocorasick_rs.MatchKind.Standard)
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
        return matches

    def any(self, text: str) -> bool:
        """True when at least one key occurs in ``text`` (the cheap pre-filter)."""
        if self._ac is None or not text:
            return False
        return bool(self._ac.find_matches_as_indexes(text))
