"""Compiled gate for the contact rules (see _fastcontacts.pyx and contacts.may_have_contact)."""

from collections.abc import Callable, Sequence

def configure(
    table_builder: Callable[[], Sequence[int]],
    *,
    words: list[tuple[str, int]],
    phone_cues: list[str],
    phone_cues_word_end: list[str],
    order_cues: list[str],
    hosts: list[str],
    schemes: list[str],
) -> None: ...
def prepare() -> None: ...
def may_have_contact(text: str) -> bool: ...
