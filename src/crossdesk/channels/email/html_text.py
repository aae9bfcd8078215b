"""HTML mail bodies as plain text: what an agent reads when a mail has no text/plain part.

The standard library's tokenizer, not a regex: scripts, styles and the head are dropped,
block elements become line breaks, list items get a dash, links keep their address when it
differs from their text, and entities are decoded. Whitespace is collapsed as a browser
would.
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


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0
        self._links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
        if tag == "a" and self._links:
            href, start = self._links.pop()
            text = "".join(self.chunks[start:]).strip()
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
    collector.feed(html)
    collector.close()
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(collector.chunks).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
