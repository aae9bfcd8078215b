"""``redact``: replace the value with its type label, e.g. ``[PHONE]``."""

from __future__ import annotations

from dataclasses import dataclass

from crossdesk.masking.operators.base import Replacement
from crossdesk.masking.operators.tokens import TokenMap
from crossdesk.masking.types import PiiSpan


@dataclass(frozen=True, slots=True)
class Redact:
    """Replace with ``[TYPE]`` (``template`` may use ``{type}``)."""

    template: str = "[{type}]"
    name: str = "redact"

    def replace(self, span: PiiSpan, raw: str, tokens: TokenMap) -> Replacement:
        """See ``Operator.replace``."""
        return Replacement(self.template.format(type=span.type.value))
