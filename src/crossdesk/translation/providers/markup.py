"""Wrap placeholders in an engine's own "do not translate" markup, and unwrap them after.

DeepL ignores the content of ``<x>`` with ``tag_handling=xml&ignore_tags=x``; Google
(``format=html``) and Microsoft (``textType=html``) leave ``<span translate="no">`` and
``class="notranslate"`` untouched. The rest of the text is escaped for XML/HTML and unescaped on
the way back. Unwrapping tolerates engines that move or re-space the tags.
"""

from __future__ import annotations

import html
import re

_PLACEHOLDER = re.compile(r"⟦\d+⟧")


def wrap(text: str, open_tag: str, close_tag: str) -> str:
    """Escape ``text`` and wrap each placeholder as ``open_tag + placeholder + close_tag``."""
    parts: list[str] = []
    cursor = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(html.escape(text[cursor : match.start()], quote=False))
        parts.append(f"{open_tag}{match.group()}{close_tag}")
        cursor = match.end()
    parts.append(html.escape(text[cursor:], quote=False))
    return "".join(parts)


def unwrap(text: str, tag: str) -> str:
    """Remove ``<tag ...>``/``</tag>`` around placeholders and unescape the rest."""
    stripped = re.sub(rf"<{tag}\b[^>]*>\s*(⟦\s*\d+\s*⟧)\s*</{tag}>", r"\1", text)
    return html.unescape(stripped)
