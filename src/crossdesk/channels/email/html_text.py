"""HTML mail bodies as plain text: what an agent reads when a mail has no text/plain part.

The standard library's tokenizer, not a regex: scripts, styles and the head are dropped,
block elements become line breaks, list items get a dash, links keep their address when it
differs from their text, and entities are decoded. Whitespace is collapsed as a browser
would. Quoted history (``<blockquote>``) becomes ``>`` lines, as in a plain-text reply, so the
reply's new text can be told from it. A ``<head>`` left unclosed (common in generated mail)
ends at ``<body>``. At most ``MAX_HTML`` characters are read.
"""

import html as html_module
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
_DOWNLEVEL = re.compile(r"<!\[[^<>\]]{0,200}\]>")  # Word's <![if !supportLists]> markers
_ANY_TAG = re.compile(r"<[^<>]*>")
_LT = "\ue000"  # a private-use character standing for a literal "<" while parsing


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


def _defuse(html: str) -> str:
    """Escape every ``<`` that does not open a complete construct (a comment with its
    ``-->``, or a tag whose ``>`` comes before the next ``<``), in one linear pass. The
    standard library's parser rescans to the end of the document for each unclosed one,
    which makes 64 KB of ``<a `` take half a minute; a marked section it cannot read
    (``<![``) even raises."""
    html = _DOWNLEVEL.sub("", html)
    out: list[str] = []
    last_comment_end = html.rfind("-->")
    last_gt = html.rfind(">")  # no find() beyond it: it would scan to the end every time
    position = 0
    next_gt = -1
    while True:
        lt = html.find("<", position)
        if lt < 0:
            out.append(html[position:])
            return "".join(out)
        out.append(html[position:lt])
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4) if lt + 4 <= last_comment_end else -1
            if end >= 0:
                out.append(html[lt : end + 3])
                position = end + 3
                continue
        elif not html.startswith("<![", lt):
            if next_gt < lt:
                next_gt = html.find(">", lt) if lt < last_gt else -1
            following = html.find("<", lt + 1, next_gt) if next_gt >= 0 else 0
            if next_gt >= 0 and following < 0:
                out.append(html[lt : next_gt + 1])
                position = next_gt + 1
                continue
        out.append(_LT)  # not "&lt;": the parser is slow on millions of entities
        position = lt + 1


def _plain(html: str) -> str:
    """Last resort when the parser fails: tags dropped, entities decoded."""
    return html_module.unescape(_ANY_TAG.sub(" ", html))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML document or fragment."""
    source = _defuse(html[:MAX_HTML].replace("\x00", "").replace(_LT, ""))
    collector = _TextCollector()
    try:
        collector.feed(source)
        collector.close()
    except (AssertionError, ValueError, IndexError):  # _markupbase asserts on odd markup
        collector.chunks = [_plain(source)]
    collector.chunks = [chunk.replace(_LT, "<") for chunk in collector.chunks]
    lines: list[str] = []
    depth = 0
    for raw in "".join(collector.chunks).split("\n"):
        line_depth = depth
        depth = max(0, depth + raw.count(_QUOTE_IN) - raw.count(_QUOTE_OUT))
        line_depth = max(line_depth, depth)
        line = _SPACES.sub(" ", raw.replace(_QUOTE_IN, "").replace(_QUOTE_OUT, "")).strip()
        lines.append(f"{'> ' * min(line_depth, 5)}{line}".rstrip() if line else "")
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
