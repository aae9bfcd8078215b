"""What a scan returns: hits with original offsets, and the decided action."""

from __future__ import annotations

from dataclasses import dataclass

from crossdesk.guard.lexicon import Action


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding.

    Attributes:
        term: the canonical term as written in its list (or ``<PHONE>``/``<EMAIL>``/``<URL>``,
            or a regex rule's name).
        lexicon: the list's name.
        category: the term's category.
        action: what the list asks for.
        severity: the list's severity (1-5).
        start: start offset in the ORIGINAL text (Python str index).
        end: end offset in the original text, exclusive.
        matched: ``text[start:end]``, the original spelling.
        via: how it matched ("term", "variant", "pinyin", "homophone", "contact", "rule", ...).
        version: the list's fingerprint when the hit was made.
    """

    term: str
    lexicon: str
    category: str
    action: Action
    severity: int
    start: int
    end: int
    matched: str
    via: str
    version: str = ""


@dataclass(frozen=True, slots=True)
class GuardResult:
    """The outcome of :meth:`crossdesk.guard.Guard.scan`.

    Attributes:
        hits: findings sorted by start offset.
        action: the most severe action among the hits (None when clean).
    """

    hits: tuple[Hit, ...]
    action: Action | None

    @property
    def flagged(self) -> bool:
        """True when there is at least one hit."""
        return bool(self.hits)

    @property
    def blocked(self) -> bool:
        """True when a hit asks to block the message."""
        return self.action is Action.BLOCK

    def spans(self) -> list[tuple[int, int]]:
        """(start, end) of every hit, for highlighting."""
        return [(h.start, h.end) for h in self.hits]
