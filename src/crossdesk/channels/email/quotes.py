"""Splitting a reply into the customer's new words and the quoted history under them.

Recognised history markers (a line on its own): Gmail and Apple "On <date>, <name> wrote:"
(also split over two lines, and the German, French, Spanish, Portuguese and Chinese forms),
Outlook's "-----Original Message-----" and its header block ("From: … / Sent: …"), Chinese
clients' "------------------ 原始邮件 ------------------" and "发件人: … / 发送时间: …", and a
trailing block of ``>`` lines. Everything from the first marker on is the history. A mail
that is only a quote (no words above the marker) keeps all of it as its text.
"""

import re

_WROTE = re.compile(
    r"^(On\b.{4,300}\bwrote:"
    r"|Am\b.{4,300}\bschrieb.{0,200}:"
    r"|Le\b.{4,300}\ba écrit\s?:"
    r"|El\b.{4,300}\bescribió:"
    r"|Em\b.{4,300}\bescreveu:"
    r"|在.{4,300}写道[:：]"
    r"|.{4,300}\d{1,2}:\d{2}.{0,60}写道[:：])$",
    re.I,
)
_SEPARATOR = re.compile(
    r"^(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|原始邮件|原始郵件"
    r"|Forwarded message|转发的邮件)\s*-{2,})$",
    re.I,
)
_RULE = re.compile(r"^_{10,}$")  # Outlook's line above its header block
_HEADER_FROM = re.compile(r"^\*?(From|Von|De|发件人|寄件者)\s*\*?\s*[:：]", re.I)
_HEADER_NEXT = re.compile(
    r"^\*?(Sent|Date|Gesendet|Envoyé|发送时间|寄件日期|日期)\s*\*?\s*[:：]", re.I
)
MAX_LINES = 20_000


def _marker_at(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if _SEPARATOR.match(line) or _WROTE.match(line):
        return True
    following = lines[index + 1].strip() if index + 1 < len(lines) else ""
    if line.startswith("On ") and _WROTE.match(f"{line} {following}"):
        return True  # Gmail folds a long "On …, … wrote:" line
    if _RULE.match(line):  # only with the header block under it: else a separator line
        return _header_block(lines, index + 1)
    return _header_block(lines, index)


def _header_block(lines: list[str], index: int) -> bool:
    """A "From: …" line followed by "Sent: …" (or a translation) within two lines."""
    if index >= len(lines) or not _HEADER_FROM.match(lines[index].strip()):
        return False
    return any(_HEADER_NEXT.match(n.strip()) for n in lines[index + 1 : index + 3])


def split_quoted(text: str) -> tuple[str, str]:
    """(new text, quoted history); the history is "" when there is none."""
    lines = text.rstrip().split("\n")[:MAX_LINES]
    cut = next((i for i in range(1, len(lines)) if _marker_at(lines, i)), len(lines))
    end = cut
    while end > 0 and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1  # a trailing block of ">" lines is history too
    own = "\n".join(lines[:end]).rstrip()
    if not own.strip():
        return text.strip(), ""
    return own, "\n".join(lines[end:]).strip()


def strip_quoted(text: str) -> str:
    """The new text of a reply (see split_quoted)."""
    return split_quoted(text)[0]
