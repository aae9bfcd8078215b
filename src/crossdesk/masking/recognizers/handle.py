"""HANDLE: messenger ids and @handles.

"@sergey_p_77", "LINE ID：sho_ito.jp", "카톡 아이디 minjun_98". A bare word after a messenger name
counts only when it looks like an id (digits, "_" or ".") or the label says "ID".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

AT_RE = re.compile(r"(?<![\w@.+-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,30}[A-Za-z0-9_])?(?![\w@])")
LABEL_RE = re.compile(
    r"(?:\b(?:line|wechat|weixin|vx|wx|telegram|tg|тг|телеграм\w*|телега|skype|kakao(?:talk)?"
    r"|insta(?:gram)?|ig|snap(?:chat)?|discord|signal|viber|zalo|whatsapp|fb|messenger|tiktok)\b"
    r"|微信|微信号|ライン|カカオ|카톡|카카오톡|라인)"
    r"(?:\s*(?:id|ID|號|号|아이디|アカウント|account|username|user))?\s*(?:[:：]|is|es|é)?\s*"
)
TOKEN_RE = re.compile(r"@?[A-Za-z][A-Za-z0-9_.-]{2,29}(?<![.-])")
_STRONG_LABEL = re.compile(r"(?:id|号|號|아이디|username|user|account|アカウント)\s*[:：]?\s*$")
_NOT_HANDLES = frozenset({"http", "https", "www", "please", "pls", "or", "and", "me", "is"})


class HandleRecognizer:
    """Messenger handles: explicit @handles, and ids after a messenger label."""

    name = "handle"
    entities = frozenset({EntityType.HANDLE})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield HANDLE spans."""
        text = doc.folded
        if "@" in text:
            for match in AT_RE.finditer(text):
                if len(match.group()) >= 3:
                    yield PiiSpan(
                        EntityType.HANDLE, match.start(), match.end(), 0.85, "at", self.name
                    )
        for label in LABEL_RE.finditer(doc.lower):
            token = TOKEN_RE.match(text, label.end())
            if token is None:
                continue
            value = token.group()
            if value.startswith("@") or value.lower() in _NOT_HANDLES:
                continue  # @handles are reported above
            if "://" in text[token.end() : token.end() + 3] or "/" in value:
                continue  # a link, not an id
            strong = _STRONG_LABEL.search(label.group()) is not None
            if not strong and not any(ch.isdigit() or ch in "_." for ch in value):
                continue  # "tg or vk" - an ordinary word after a messenger name
            yield PiiSpan(
                EntityType.HANDLE, token.start(), token.end(), 0.8, "messenger", self.name
            )
