"""Overlap resolution: one deterministic winner per stretch of text.

Rule (from the issue): the longest span wins; on equal length the more specific type wins
(checksummed formats before patterns before heuristics, see ``types.SPECIFICITY``); then the
higher score, then the earlier start. The result never depends on recognizer order.
"""

from __future__ import annotations

from collections.abc import Iterable

from crossdesk.masking.types import SPECIFICITY, PiiSpan


def resolve_overlaps(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Keep a set of non-overlapping spans, sorted by start offset."""
    ranked = sorted(
        spans,
        key=lambda s: (-s.length, SPECIFICITY[s.type], -s.score, s.start, s.recognizer),
    )
    kept: list[PiiSpan] = []
    for span in ranked:
        if not any(span.overlaps(other) for other in kept):
            kept.append(span)
    kept.sort(key=lambda s: s.start)
    return kept
