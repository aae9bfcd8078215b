"""The recognizer seam: one class per entity family, each in its own module."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan


class Recognizer(Protocol):
    """Finds one family of personal data in a document.

    Recognizers report every candidate they believe in, with a score; the engine filters by
    score and resolves overlaps, so a recognizer never needs to know about the others.
    """

    name: str
    entities: frozenset[EntityType]

    def analyze(self, doc: Document) -> Iterable[PiiSpan]:
        """Yield the spans found in ``doc`` (offsets into ``doc.text``)."""
        ...
