"""The operator seam: how one detected value is replaced in the masked text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from crossdesk.masking.operators.tokens import TokenMap
from crossdesk.masking.types import PiiSpan


@dataclass(frozen=True, slots=True)
class Replacement:
    """What an operator puts in place of a value.

    Attributes:
        text: The replacement text.
        token: The token, when the operator is reversible (tokenize).
    """

    text: str
    token: str | None = None


class Operator(Protocol):
    """Replaces the raw value of one span."""

    @property
    def name(self) -> str:
        """Short operator name recorded on each masked span ("mask", "redact" ...)."""
        ...

    def replace(self, span: PiiSpan, raw: str, tokens: TokenMap) -> Replacement:
        """Return the replacement for ``raw`` (the original text of ``span``).

        Args:
            span: The detected span.
            raw: ``text[span.start:span.end]``.
            tokens: The conversation's token map (used by reversible operators only).
        """
        ...
