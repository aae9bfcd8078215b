"""Snippets: a window of the (masked) text around the first hit, with the hits marked.

Built in Python rather than by ``ts_headline``/``snippet()`` so that both databases give
the same result, CJK terms are marked (the PostgreSQL index holds bigrams, not the terms)
and the caller gets offsets to mark safely instead of HTML to trust.
"""

import re
from dataclasses import dataclass

WINDOW = 160
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    # [start, end) offsets into ``text`` of every marked hit, in order, not overlapping.
    highlights: tuple[tuple[int, int], ...]

    def segments(self) -> list[tuple[str, bool]]:
        """``text`` cut into (piece, is_hit) pairs, for templates."""
        out: list[tuple[str, bool]] = []
        cursor = 0
        for start, end in self.highlights:
            if start > cursor:
                out.append((self.text[cursor:start], False))
            out.append((self.text[start:end], True))
            cursor = end
        if cursor < len(self.text):
            out.append((self.text[cursor:], False))
        return out


def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    words = sorted({t for t in terms if t}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def make_snippet(text: str, terms: tuple[str, ...], width: int = WINDOW) -> Snippet:
    """At most ``width`` characters of ``text`` (plus ellipses) centred on the first hit."""
    pattern = _pattern(terms)
    first = pattern.search(text) if pattern else None
    start = 0
    if first is not None and len(text) > width:
        start = max(0, min(first.start() - width // 3, len(text) - width))
    end = min(len(text), start + width)
    window = text[start:end]
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    spans: list[tuple[int, int]] = []
    if pattern is not None:
        spans = [
            (m.start() + len(prefix), m.end() + len(prefix))
            for m in pattern.finditer(window)
            if m.end() > m.start()
        ]
    return Snippet(prefix + window + suffix, tuple(spans))
