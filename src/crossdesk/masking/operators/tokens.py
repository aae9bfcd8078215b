"""Conversation-scoped token map for the reversible ``tokenize`` operator.

The map lives as long as the caller wants tokens to stay stable (a conversation). Seed it
with the entries already stored for the conversation, mask, then persist ``new_entries`` with
their raw values encrypted. ``reveal`` turns a token back into the raw value.
"""

from __future__ import annotations

from collections.abc import Iterable

from crossdesk.masking.types import EntityType, TokenEntry


class TokenMap:
    """Stable tokens per (type, canonical value), e.g. ``[PHONE_1]``."""

    def __init__(self, entries: Iterable[TokenEntry] = (), canonical: Iterable[str] = ()) -> None:
        """Create a map, optionally seeded with stored entries.

        Args:
            entries: Entries previously minted in this conversation.
            canonical: Their canonical values, same order (lets a reworded value find its
                old token); when omitted the raw value is used as its own canonical form.
        """
        self._by_token: dict[str, TokenEntry] = {}
        self._by_value: dict[tuple[EntityType, str], str] = {}
        self._counters: dict[EntityType, int] = {}
        self._new: list[TokenEntry] = []
        keys = list(canonical)
        for i, entry in enumerate(entries):
            key = keys[i] if i < len(keys) else entry.value
            self._remember(entry, key)

    def _remember(self, entry: TokenEntry, key: str) -> None:
        self._by_token[entry.token] = entry
        self._by_value[(entry.type, key)] = entry.token
        suffix = entry.token.rstrip("]").rsplit("_", 1)[-1]
        if suffix.isdigit():
            self._counters[entry.type] = max(self._counters.get(entry.type, 0), int(suffix))

    def token_for(self, type_: EntityType, raw: str, key: str) -> str:
        """Return the token for a value, minting a new one the first time it is seen."""
        existing = self._by_value.get((type_, key))
        if existing is not None:
            return existing
        number = self._counters.get(type_, 0) + 1
        self._counters[type_] = number
        entry = TokenEntry(f"[{type_.value}_{number}]", type_, raw)
        self._remember(entry, key)
        self._new.append(entry)
        return entry.token

    def reveal(self, token: str) -> str:
        """The raw value behind ``token``.

        Raises:
            KeyError: The token was not minted in this map.
        """
        return self._by_token[token].value

    def drain_new(self) -> tuple[TokenEntry, ...]:
        """Entries minted since the last call (to persist, value encrypted)."""
        new, self._new = tuple(self._new), []
        return new

    def __len__(self) -> int:
        return len(self._by_token)
