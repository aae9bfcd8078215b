"""Protected spans: replace what must not be translated by opaque placeholders, then restore.

``protect("Your order #5583920147 has shipped 🎉")`` gives the placeholder form
``"Your order ⟦0⟧ has shipped ⟦1⟧"``; engines translate that form (so one cached translation
serves every order number), and :func:`restore` puts the originals back, checking that each
placeholder came back exactly once. Anything already in ``⟦...⟧`` brackets (the masking engine's
``⟦PHONE_1⟧`` tokens) and any stray bracket is protected too, so the placeholder form holds no
bracket but ours and every text round-trips.

Protected kinds: masking tokens, URLs, emails, @mentions, glossary terms, prices, order and
tracking numbers, SKUs and emoji.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from crossdesk.translation.types import GlossaryTerm


class SpanKind(enum.StrEnum):
    TOKEN = "token"  # noqa: S105 - a masking token, not a password
    URL = "url"
    EMAIL = "email"
    MENTION = "mention"
    GLOSSARY = "glossary"
    PRICE = "price"
    CODE = "code"
    EMOJI = "emoji"


_EMOJI_CHAR = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
    "\u3030\u303d\u3297\u3299\u00a9\u00ae\u203c\u2049\u2122\u2139"
)
_EMOJI_MOD = "\ufe0f\ufe0e\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_EMOJI = rf"[{_EMOJI_CHAR}][{_EMOJI_MOD}]*(?:\u200d[{_EMOJI_CHAR}][{_EMOJI_MOD}]*)*"
_TLDS = (
    "com|net|org|info|biz|io|co|me|app|shop|store|online|site|ly|gl|cn|hk|tw|ru|ua|br|pt|es|"
    "mx|ar|cl|de|fr|it|nl|pl|tr|uk|id|vn|th|jp|kr|in|sa|ae|eg"
)
_CURRENCY_BEFORE = r"(?:US\$|R\$|HK\$|NT\$|RM|Rp|[$€£¥₽₹₩฿₫₺])"
_CURRENCY_AFTER = (
    r"(?:€|元|円|块|₽|руб\.?|р\.|zł|TL|₺|đ|₫|บาท|원|USD|EUR|CNY|RMB|BRL|MXN|GBP|JPY|RUB|"
    r"TRY|VND|THB|IDR|PLN|SAR|AED)"
)
_NUMBER = r"\d(?:[\d.,  ]*\d)?"

_STATIC = re.compile(
    "|".join(
        [
            r"(?P<token>⟦[^⟦⟧\n]{1,64}⟧|[⟦⟧])",
            r"(?P<url>(?:https?://|www\.)[^\s<>\"⟦⟧]*[^\s<>\"⟦⟧.,;:!?)\]}'’”]"
            rf"|(?<![\w@.])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})\b"
            r"(?:/[^\s<>\"⟦⟧]*[^\s<>\"⟦⟧.,;:!?)\]}'’”])?/?)",
            r"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,})",
            r"(?P<mention>(?<![\w@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,30}[A-Za-z0-9_])?)",
            rf"(?P<price>{_CURRENCY_BEFORE}\s?{_NUMBER}|{_NUMBER}\s?{_CURRENCY_AFTER}(?!\w))",
            r"(?P<code>(?<![\w-])[#№]?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?![\w-]))",
            rf"(?P<emoji>(?:{_EMOJI})+)",
        ]
    )
)
_PLACEHOLDER = re.compile(r"⟦\s*(\d{1,4})\s*⟧")


def _is_code(token: str) -> bool:
    """Order numbers, tracking numbers and SKUs; not ordinary words, sizes or small numbers."""
    prefixed = token[0] in "#№"
    body = token.lstrip("#№")
    digits = sum(ch.isdigit() for ch in body)
    if digits >= 5 or (prefixed and digits >= 3):
        return True
    has_upper = any(ch.isupper() for ch in body)
    has_lower = any(ch.islower() for ch in body)
    return digits >= 2 and has_upper and not has_lower and len(body) >= 5


@dataclass(frozen=True, slots=True)
class ProtectedSpan:
    """One protected span of the original text, ``(start, end)`` in Python str offsets."""

    index: int
    start: int
    end: int
    kind: SpanKind
    original: str
    replacement: str

    @property
    def placeholder(self) -> str:
        return f"⟦{self.index}⟧"


@dataclass(frozen=True, slots=True)
class ProtectedText:
    """The placeholder form of a text and the spans it stands for."""

    original: str
    text: str
    spans: tuple[ProtectedSpan, ...]


@dataclass(frozen=True, slots=True)
class Restored:
    """A translation with its placeholders put back, and whether each came back exactly once."""

    text: str
    missing: tuple[int, ...] = ()
    duplicated: tuple[int, ...] = ()
    unknown: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicated or self.unknown)

    @property
    def problem(self) -> str:
        parts = []
        if self.missing:
            parts.append(f"lost {len(self.missing)}")
        if self.duplicated:
            parts.append(f"duplicated {len(self.duplicated)}")
        if self.unknown:
            parts.append(f"invented {len(self.unknown)}")
        return "placeholders " + ", ".join(parts) if parts else ""


@functools.lru_cache(maxsize=256)
def _glossary_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives = []
    for term in sorted({t for t in terms if t.strip()}, key=len, reverse=True):
        escaped = re.escape(term)
        left = r"(?<!\w)" if term[0].isascii() and term[0].isalnum() else ""
        right = r"(?!\w)" if term[-1].isascii() and term[-1].isalnum() else ""
        alternatives.append(f"{left}{escaped}{right}")
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def find_spans(
    text: str, glossary: Sequence[GlossaryTerm] = ()
) -> list[tuple[int, int, SpanKind, str]]:
    """Protected spans of ``text`` as ``(start, end, kind, replacement)``, sorted, disjoint."""
    found: list[tuple[int, int, SpanKind, str]] = []
    for match in _STATIC.finditer(text):
        kind = match.lastgroup
        if kind is None or (kind == "code" and not _is_code(match.group())):
            continue
        found.append((match.start(), match.end(), SpanKind(kind), match.group()))
    pattern = _glossary_pattern(tuple(term.text for term in glossary))
    if pattern is not None:
        by_folded = {term.text.casefold(): term for term in glossary}
        for match in pattern.finditer(text):
            term = by_folded.get(match.group().casefold())
            replacement = term.translation if term and term.translation else match.group()
            found.append((match.start(), match.end(), SpanKind.GLOSSARY, replacement))
    # Tokens first (they must always be protected), then leftmost, then longest.
    found.sort(key=lambda s: (s[2] is not SpanKind.TOKEN, s[0], -(s[1] - s[0])))
    chosen: list[tuple[int, int, SpanKind, str]] = []
    taken: list[tuple[int, int]] = []
    for span in found:
        if any(span[0] < end and start < span[1] for start, end in taken):
            continue
        chosen.append(span)
        taken.append((span[0], span[1]))
    chosen.sort(key=lambda s: s[0])
    return chosen


def protect(text: str, glossary: Sequence[GlossaryTerm] = ()) -> ProtectedText:
    """Replace protected spans of ``text`` by numbered placeholders ``⟦0⟧``, ``⟦1⟧`` ..."""
    spans: list[ProtectedSpan] = []
    parts: list[str] = []
    cursor = 0
    for index, (start, end, kind, replacement) in enumerate(find_spans(text, glossary)):
        span = ProtectedSpan(index, start, end, kind, text[start:end], replacement)
        parts.append(text[cursor:start])
        parts.append(span.placeholder)
        spans.append(span)
        cursor = end
    parts.append(text[cursor:])
    return ProtectedText(original=text, text="".join(parts), spans=tuple(spans))


def restore(protected: ProtectedText, translated: str) -> Restored:
    """Put the protected spans back into ``translated`` and check each came back exactly once."""
    by_index = {span.index: span for span in protected.spans}
    seen: dict[int, int] = {}
    unknown: list[int] = []

    def _put_back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        span = by_index.get(index)
        if span is None:
            unknown.append(index)
            return ""
        seen[index] = seen.get(index, 0) + 1
        return span.replacement

    text = _PLACEHOLDER.sub(_put_back, translated)
    missing = tuple(i for i in by_index if i not in seen)
    duplicated = tuple(i for i, n in seen.items() if n > 1)
    return Restored(text, missing, duplicated, tuple(unknown))


def placeholder_count(text: str) -> int:
    """How many placeholders a placeholder-form text holds."""
    return len(_PLACEHOLDER.findall(text))
