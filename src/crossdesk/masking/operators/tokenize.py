"""``tokenize``: a stable, reversible token per value within a conversation (``[PHONE_1]``)."""

from __future__ import annotations

from dataclasses import dataclass

from crossdesk.masking.canonical import canonical
from crossdesk.masking.operators.base import Replacement
from crossdesk.masking.operators.tokens import TokenMap
from crossdesk.masking.types import PiiSpan


@dataclass(frozen=True, slots=True)
class Tokenize:
    """Replace with the conversation's token for the value; the raw value goes to the map."""

    name: str = "tokenize"

    def replace(self, span: PiiSpan, raw: str, tokens: TokenMap) -> Replacement:
        """See ``Operator.replace``."""
        token = tokens.token_for(span.type, raw, canonical(span, raw))
        return Replacement(token, token)
