"""Hits → one decided action, and the shadowing of hits by allow-phrases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from crossdesk.guard.lexicon import Action
from crossdesk.guard.result import Hit


def decide(hits: Iterable[Hit]) -> Action | None:
    """The most severe action among ``hits`` (block > warn > mask > alert), None if none."""
    best: Action | None = None
    for hit in hits:
        if best is None or hit.action.rank > best.rank:
            best = hit.action
    return best


def shadowed(start: int, end: int, allowed: Sequence[tuple[int, int]]) -> bool:
    """True when an allow-phrase occurrence covers the whole span [start, end)."""
    return any(a0 <= start and end <= a1 for a0, a1 in allowed)


def dedupe(hits: Iterable[Hit]) -> list[Hit]:
    """One hit per term and place: overlapping hits of the same term keep the widest."""
    ordered = sorted(hits, key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for hit in ordered:
        if any(
            k.term == hit.term
            and k.lexicon == hit.lexicon
            and k.start < hit.end
            and hit.start < k.end
            for k in kept
        ):
            continue
        kept.append(hit)
    return kept
