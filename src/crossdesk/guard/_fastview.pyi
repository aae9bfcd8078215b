from collections.abc import Callable
from typing import Any

from crossdesk.guard._automaton import KeyAutomaton
from crossdesk.guard.view_tables import ViewTables

def free_keys(keys: list[str], order: list[int], modes: Any, han_modes: Any) -> list[int]: ...

class FastPrefilter:
    def __init__(
        self,
        tables: ViewTables,
        keys: KeyAutomaton | None,
        free: KeyAutomaton | None,
        digits: KeyAutomaton | None,
        modes: Any,
        han_modes: Any,
        leet_digits: str,
        syllables: KeyAutomaton | None,
        syllable_terms: list[list[str]],
        homophones: KeyAutomaton | None,
        initials: frozenset[str],
        astral: Callable[[int], tuple[tuple[int, int, int], ...] | None],
        python: Callable[[str], bool],
    ) -> None: ...
    def may_match(self, text: str) -> bool: ...
    def check(self, text: str) -> int: ...

class PinyinSpeller:
    def __init__(self, tables: ViewTables) -> None: ...
    def spell(self, text: str) -> tuple[str, tuple[int, ...], tuple[bool, ...]] | None: ...
