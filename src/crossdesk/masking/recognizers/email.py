"""EMAIL: addresses, including Unicode ones and the "name at gmail dot com" style."""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

# Letters allowed in local parts and domains: ASCII, Latin extended, Cyrillic (IDN mail such
# as ольга@почта.рф). CJK is excluded so that "邮箱abc@qq.com" starts at "abc".
_L = r"A-Za-z0-9\u00c0-\u024f\u0400-\u04ff"
_LOCAL = rf"[{_L}_%+'-]+(?:\.[{_L}_%+'-]+)*"
_LABEL = rf"[{_L}](?:[{_L}-]{{0,61}}[{_L}])?"
EMAIL_RE = re.compile(
    rf"(?<![{_L}_.%+'-]){_LOCAL}@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z\u0400-\u04ff]{{2,24}}(?![{_L}-])"
)

# Obfuscated forms: "name at gmail dot com", "name(at)gmail(dot)com", "name arroba gmail punto
# com", "name собака mail точка ru". The last label must be a known top-level domain, since
# "at" and "dot" are ordinary words.
_AT = r"(?:\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*|\s+(?:at|arroba|собака|sobaka|chez|bei)\s+|\s+@\s+)"
_DOT = (
    r"(?:\s*[\[({<]\s*(?:dot|\.|punto|ponto|point|punkt|точка)\s*[\])}>]\s*"
    r"|\s+(?:dot|punto|ponto|point|punkt|точка|nokta)\s+|\s+\.\s+)"
)
_TLDS = (
    "com|net|org|edu|gov|info|biz|io|co|me|app|dev|ru|de|fr|es|it|nl|uk|jp|cn|br|mx|ar|pt|pl|"
    "tr|in|au|ca|kr|vn|id|th|sa|ae|eg|ma|ch|at|be|se|no|dk|fi|ua|kz|by|cl|pe|ve|hk|tw|sg|my|ph"
)
OBFUSCATED_RE = re.compile(
    rf"(?<![{_L}_.])([{_L}_.+-]{{2,64}}){_AT}({_LABEL}(?:{_DOT}{_LABEL})*?){_DOT}({_TLDS})\b",
    re.IGNORECASE,
)


class EmailRecognizer:
    """Email addresses, plain and spelled out."""

    name = "email"
    entities = frozenset({EntityType.EMAIL})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield EMAIL spans."""
        text = doc.folded
        if "@" in text:
            for match in EMAIL_RE.finditer(text):
                yield PiiSpan(EntityType.EMAIL, match.start(), match.end(), 0.98, None, self.name)
        low = doc.lower
        if any(w in low for w in (" at ", "(at)", "[at]", "arroba", "собака", " chez ", " @ ")):
            for match in OBFUSCATED_RE.finditer(text):
                if "@" in match.group():
                    continue  # the plain pattern already covers it
                yield PiiSpan(
                    EntityType.EMAIL, match.start(), match.end(), 0.85, "obfuscated", self.name
                )


def normalize_email(raw: str) -> str:
    """Turn a spelled-out address back into ``local@domain`` (for masking and hashing)."""
    text = raw.strip()
    match = OBFUSCATED_RE.fullmatch(text)
    if match is None:
        return text
    local, domain, tld = match.group(1), match.group(2), match.group(3)
    labels = re.split(_DOT, domain, flags=re.IGNORECASE)
    return f"{local}@{'.'.join(labels)}.{tld}".lower()
