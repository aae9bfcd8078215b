"""URL: links, with or without a scheme (wa.me/<number> and t.me/<user> are URLs, not phones).

Links carry personal data when they point at a person (wa.me, t.me, vk.com/id...), and shops'
tracking links carry order data; both are reported, the operator config decides what to hide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

_TAIL = r"[^\s<>\"'，。、；！？）」』】\u3000]*"
SCHEME_RE = re.compile(rf"\b(?:https?|ftp)://{_TAIL}|\bwww\.[A-Za-z0-9-]+\.{_TAIL}", re.I)
_TLD = (
    r"(?:com|net|org|me|io|ly|gl|co|ru|de|fr|es|br|cn|jp|kr|in|uk|it|nl|pl|tr|vn|id|th|info"
    r"|biz|app|link|page|shop|store|site|to|gg|cc|tv|su|ua|kz|mx|ar|cl|pe|au|ca|sa|ae|eg)"
)
BARE_RE = re.compile(
    rf"(?<![\w@./-])(?:[A-Za-z0-9-]+\.)+{_TLD}/[^\s<>\"'，。、；！？）」』】\u3000]+", re.I
)
_PERSONAL_HOSTS = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:wa\.me|api\.whatsapp\.com|t\.me|telegram\.me|vk\.com|m\.me"
    r"|line\.me|instagram\.com|facebook\.com|fb\.com|tiktok\.com|twitter\.com|x\.com)/",
    re.I,
)
_TRAILING = ".,;:!?)]}'\""


class UrlRecognizer:
    """Links."""

    name = "url"
    entities = frozenset({EntityType.URL})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield URL spans (``sub`` is "personal" for links that point at a person)."""
        text = doc.folded
        if "." not in text:
            return
        seen: list[tuple[int, int]] = []
        for pattern in (SCHEME_RE, BARE_RE):
            for match in pattern.finditer(text):
                start, end = match.start(), match.end()
                while end > start and text[end - 1] in _TRAILING:
                    end -= 1
                if any(s <= start < e for s, e in seen):
                    continue
                seen.append((start, end))
                sub = "personal" if _PERSONAL_HOSTS.match(text[start:end]) else None
                yield PiiSpan(EntityType.URL, start, end, 0.9, sub, self.name)
