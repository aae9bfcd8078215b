"""HTML mail bodies as plain text: what an agent reads when a mail has no text/plain part.

The standard library's tokenizer, not a regex: scripts, styles and the head are dropped,
block elements become line breaks, list items get a dash, links keep their address when it
differs from their text, and entities are decoded. Whitespace is collapsed as a browser
would. Quoted history (``<blockquote>``) becomes ``>`` lines, as in a plain-text reply, so the
reply's new text can be told from it. A ``<head>`` left unclosed (common in generated mail)
ends at ``<body>``. At most ``MAX_HTML`` characters are read.
"""

import re
from html.parser import HTMLParser

_BLOCK = frozenset(
    {
        "p", "div", "br", "tr", "table", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "address",
    }
)  # fmt: skip
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_QUOTE_IN, _QUOTE_OUT = "\x00q+", "\x00q-"  # blockquote markers, removed from the output
MAX_HTML = 2_000_000


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0
        self._links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._skipping = 0
            return
        if tag == "blockquote":
            self.chunks.append(_QUOTE_IN)
        if tag in _SKIP:
            self._skipping += 1
            return
        if tag in _BLOCK:
            self.chunks.append("\n")
        if tag == "li":
            self.chunks.append("- ")
        if tag == "a":
            href = dict(attrs).get("href")
            self._links.append((href, len(self.chunks)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
            return
        if tag in _BLOCK:
            self.chunks.append("\n")
        if tag == "blockquote":
            self.chunks.append(_QUOTE_OUT)
        if tag == "a" and self._links:
            href, start = self._links.pop()
            text = "".join(self.chunks[start:]).strip()
            if href and href.startswith("mailto:"):
                href = None  # the address is usually the link's text already
            if href and href.startswith(("http://", "https://")) and href != text:
                self.chunks.append(f" ({href})")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML document or fragment."""
    collector = _TextCollector()
    collector.feed(html[:MAX_HTML].replace("\x00", ""))
    collector.close()
    lines: list[str] = []
    depth = 0
    for raw in "".join(collector.chunks).split("\n"):
        line_depth = depth
        depth = max(0, depth + raw.count(_QUOTE_IN) - raw.count(_QUOTE_OUT))
        line_depth = max(line_depth, depth)
        line = _SPACES.sub(" ", raw.replace(_QUOTE_IN, "").replace(_QUOTE_OUT, "")).strip()
        lines.append(f"{'> ' * min(line_depth, 5)}{line}".rstrip() if line else "")
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
