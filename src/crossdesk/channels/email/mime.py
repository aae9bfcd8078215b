"""Parsing one RFC 5322 message (as IMAP returns it) into what crossdesk stores.

- Text: the text/plain body is preferred; an HTML-only mail is converted to text.
- Threading: Message-ID, In-Reply-To and References as lists of ``<id>`` tokens. A mail
  without a Message-ID gets a stable one derived from its bytes, so fetching it again
  (after a UIDVALIDITY change, for instance) cannot store it twice.
- Attachments: every other leaf part (attachments and inline images) with its bytes.
- A mail over the size crossdesk fetches keeps its headers (sender, subject, threading) and
  gets a note instead of its body and files: it is in the conversation, never lost.
- Never raises for a malformed mail: headers that do not parse are treated as absent and
  undecodable text is decoded with replacement characters. Nothing is lost.
"""

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from crossdesk.channels.email.html_text import html_to_text

MAX_TEXT = 50_000
_MSGID = re.compile(r"<[^<>\s]+>")
_QUOTE_HEADER = re.compile(r"^(On .{4,300} wrote:|-{2,} ?Original Message ?-{2,})\s*$", re.I)


@dataclass(frozen=True, slots=True)
class MailPart:
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ParsedMail:
    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_address: str
    from_name: str
    to_addresses: tuple[str, ...]
    sent_at: datetime
    text: str
    parts: tuple[MailPart, ...]
    auto_reply: bool

    def thread_ids(self) -> tuple[str, ...]:
        """Ids this mail answers, nearest first (In-Reply-To, then References newest first)."""
        seen: dict[str, None] = {}
        for msgid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(msgid, None)
        return tuple(seen)


def message_ids(value: str | None) -> tuple[str, ...]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header."""
    if not value:
        return ()
    return tuple(_MSGID.findall(str(value)))[:100]


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the policy cannot parse
        return ""
    return str(value) if value is not None else ""


def _text_of(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
    except (LookupError, ValueError, AssertionError):  # unknown charset, bad encoding
        content = None
    if isinstance(content, str):
        return content
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def strip_quoted(text: str) -> str:
    """Drop the quoted history a reply carries at its end ("On ... wrote:" and ``>`` lines);
    the earlier mails are already in the conversation. A mail that is only a quote keeps it."""
    lines = text.rstrip().split("\n")
    end = len(lines)
    while end > 0 and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1
    if end < len(lines) and end > 0 and _QUOTE_HEADER.match(lines[end - 1].strip()):
        end -= 1
    kept = "\n".join(lines[:end]).rstrip()
    return kept if kept.strip() else text.strip()


def _body_and_parts(message: EmailMessage) -> tuple[str, tuple[MailPart, ...]]:
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        raw = _text_of(body)
        text = html_to_text(raw) if body.get_content_type() == "text/html" else raw
    parts: list[MailPart] = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        disposition = part.get_content_disposition()
        content_type = part.get_content_type()
        if disposition != "attachment" and content_type in ("text/plain", "text/html"):
            continue  # an alternative of the body already chosen
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        parts.append(MailPart(part.get_filename(), content_type, payload))
    return text, tuple(parts)


def parse_mail(raw: bytes, *, received_at: datetime | None = None) -> ParsedMail:
    """Parse one message; see the module docstring for what is guaranteed."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    own_ids = message_ids(_header(message, "Message-ID"))
    message_id = own_ids[0] if own_ids else f"<{hashlib.sha256(raw).hexdigest()[:40]}@crossdesk>"
    name, address = parseaddr(_header(message, "From"))
    try:
        sent_at = parsedate_to_datetime(_header(message, "Date"))
        if sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        sent_at = received_at or datetime.now(UTC)
    try:
        text, parts = _body_and_parts(message)
    except (LookupError, ValueError, AssertionError, KeyError):
        payload = message.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        parts = ()
    text = strip_quoted(text.replace("\r\n", "\n"))[:MAX_TEXT]
    auto = _header(message, "Auto-Submitted").strip().lower()
    return ParsedMail(
        message_id=message_id,
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        subject=" ".join(_header(message, "Subject").split())[:500],
        from_address=address.strip().lower(),
        from_name=" ".join(name.split())[:200],
        to_addresses=tuple(
            a.strip().lower()
            for _, a in getaddresses([_header(message, "To"), _header(message, "Cc")])
            if a
        ),
        sent_at=sent_at.astimezone(UTC),
        text=text,
        parts=parts,
        auto_reply=bool(auto) and auto != "no",
    )


def parse_oversized(head: bytes, size: int, limit: int) -> ParsedMail:
    """A mail of ``size`` bytes of which only the first ``limit`` were fetched: its header
    section is parsed, the body and files are replaced by a note."""
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=-1)
    headers = head[:end] if end >= 0 else head
    mail = parse_mail(headers + b"\r\n\r\n")
    note = (
        f"(This mail is {size / 1_000_000:.1f} MB, more than the {limit / 1_000_000:.1f} MB "
        "crossdesk imports: its text and files are only in the mailbox. Open it in a mail "
        "client.)"
    )
    return replace(mail, text=note, parts=())
