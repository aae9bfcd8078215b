"""Parsing one RFC 5322 message (as IMAP returns it) into what crossdesk stores.

- Text: in each ``multipart/alternative`` the text/plain part is preferred, else the HTML
  converted to text; the inline text parts of a ``multipart/mixed`` are joined. Charsets are
  decoded as clients really send them (charsets.py). The customer's new words are ``text``;
  the quoted history under them (quotes.py) is ``quoted``. A forwarded mail
  (``message/rfc822``) is appended to the text with its From, Date and Subject, and its
  files are the mail's files.
- Headers: decoded here from the raw values (RFC 2047 words, raw 8-bit text), each cut to
  16,000 characters first, so a huge header costs nothing.
- Threading: Message-ID, In-Reply-To and References as lists of ``<id>`` tokens. A mail
  without a Message-ID gets a stable one derived from its From, To, Date, Subject and body,
  so fetching it again (after a UIDVALIDITY change, or delivered twice) stores it once.
- Attachments: every other leaf part with its bytes; inline images (a Content-ID or
  ``Content-Disposition: inline``) are marked ``inline``. Signatures (PGP, S/MIME) are not
  files.
- Bounces and auto-replies are recognised (reports.py); the caller decides what to do.
- Bounded: at most ``MAX_PARTS`` parts, ``MAX_DEPTH`` levels of nesting and ``MAX_TEXT``
  characters of text are read; what lies beyond is left out with a note.
- A mail over the size crossdesk fetches keeps its headers (sender, subject, threading) and
  gets a note instead of its body and files: it is in the conversation, never lost.
- Never raises: a mail whose structure cannot be read keeps what its headers say and gets a
  note instead of its body (``unreadable``); undecodable text gets replacement characters.
"""

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from crossdesk.channels.email.charsets import MAX_HEADER, decode_bytes, decode_header
from crossdesk.channels.email.html_text import html_to_text
from crossdesk.channels.email.quotes import split_quoted, strip_quoted
from crossdesk.channels.email.reports import Bounce, find_bounce, is_auto_reply

__all__ = [
    "Bounce",
    "MailPart",
    "ParsedMail",
    "message_ids",
    "parse_mail",
    "parse_oversized",
    "strip_quoted",
]
logger = logging.getLogger(__name__)

MAX_TEXT = 50_000
MAX_PARTS = 100
MAX_DEPTH = 12
MAX_TEXT_PART = 2_000_000  # bytes of one text part that are decoded
_MSGID = re.compile(r"<[^<>\s]+>")
_ANGLE_ADDRESS = re.compile(r"^([^<>]*)<\s*([^<>\s@]+@[^<>\s]+)\s*>")
_SIGNATURES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
_REPORT_PARTS = frozenset({"message/delivery-status", "message/disposition-notification"})
UNREADABLE_NOTE = (
    "(crossdesk could not read the body of this mail: it is kept in the mailbox. "
    "Open it in a mail client.)"
)


@dataclass(frozen=True, slots=True)
class MailPart:
    filename: str | None
    content_type: str
    data: bytes
    inline: bool = False  # an image shown inside the HTML (cid:), not a file the sender attached


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
    quoted: str = ""  # the history under a reply's new text
    reply_to_address: str = ""
    reply_to_name: str = ""
    bounce: Bounce | None = None
    unreadable: bool = False
    notes: tuple[str, ...] = field(default=())

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
    return tuple(_MSGID.findall(str(value)[:MAX_HEADER]))[:100]


def _raw_headers(message: Message) -> dict[str, str]:
    """First value of each header, raw (not parsed by the email package), lower-case names."""
    found: dict[str, str] = {}
    for name, value in message.raw_items():
        found.setdefault(str(name).strip().lower(), str(value)[:MAX_HEADER])
    return found


def _param(part: Message, name: str, header: str = "content-type") -> str | None:
    """A parameter of a header, skipped when the header is absurdly long."""
    raw = part.get(header)
    if raw is None or len(str(raw)) > MAX_HEADER:
        return None
    try:
        value = part.get_param(name, header=header)
    except (TypeError, ValueError, IndexError, LookupError, UnicodeError):
        return None  # e.g. RFC 2231 continuations mixed with a plain filename*: stdlib sorts None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        charset, _, text = value
        data = text.encode("latin-1", "replace") if isinstance(text, str) else b""
        return decode_bytes(data, charset or "utf-8")
    return value if isinstance(value, str) else None


def _content_type(part: Message) -> str:
    raw = str(part.get("content-type", ""))
    if len(raw) > MAX_HEADER:  # not parsed: read as the RFC 2045 default
        return "text/plain"
    return part.get_content_type()


def _disposition(part: Message) -> str:
    raw = str(part.get("content-disposition", ""))[:200]
    return raw.split(";", 1)[0].strip().lower()


def _filename(part: Message, hint: str | None) -> str | None:
    name = _param(part, "filename", "content-disposition") or _param(part, "name")
    if not name:
        return None
    name = " ".join(decode_header(name, hint).split())  # some clients use RFC 2047 here
    return name[:300] or None


class _Reader:
    """Walks one message tree, bounded, collecting text blocks, files and notes."""

    def __init__(self, hint: str | None) -> None:
        self.hint = hint
        self.parts: list[MailPart] = []
        self.seen = 0
        self.notes: list[str] = []

    def _count(self) -> bool:
        self.seen += 1
        if self.seen > MAX_PARTS:
            if not self.notes or "parts" not in self.notes[-1]:
                self.notes.append(f"(only the first {MAX_PARTS} parts of this mail were read)")
            return False
        return True

    def text_of(self, part: Message) -> str:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return ""
        charset = _param(part, "charset")
        text = decode_bytes(payload[:MAX_TEXT_PART], charset)
        if _content_type(part) == "text/html":
            return html_to_text(text)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if (_param(part, "format") or "").lower() == "flowed":
            return _unflow(text, delsp=(_param(part, "delsp") or "").lower() == "yes")
        return text

    def file(self, part: Message, content_type: str) -> None:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return
        inline = _disposition(part) == "inline" or (
            part.get("content-id") is not None and _disposition(part) != "attachment"
        )
        self.parts.append(MailPart(_filename(part, self.hint), content_type, payload, inline))

    def read(self, part: Message, depth: int) -> list[str]:
        """Text blocks of ``part`` (files are collected on the side)."""
        if not self._count():
            return []
        if depth > MAX_DEPTH:
            self.notes.append(f"(parts nested deeper than {MAX_DEPTH} levels were not read)")
            return []
        content_type = _content_type(part)
        if content_type == "message/rfc822":
            return self.forwarded(part, depth)
        if content_type in _REPORT_PARTS:
            return []
        children = part.get_payload() if part.is_multipart() else None
        if part.is_multipart() and isinstance(children, list):
            subparts = [c for c in children if isinstance(c, Message)]
            if content_type == "multipart/alternative":
                return self.alternative(subparts, depth)
            if content_type in ("multipart/related", "multipart/signed") and subparts:
                blocks = self.read(subparts[0], depth + 1)
                for other in subparts[1:]:  # inline images of the root, or the signature
                    self.files_only(other, depth + 1)
                return blocks
            return [b for child in subparts for b in self.read(child, depth + 1)]
        if content_type in _SIGNATURES:
            return []
        body_like = content_type in ("text/plain", "text/html") and (
            _disposition(part) != "attachment" and _filename(part, self.hint) is None
        )
        try:  # one broken part costs that part, not the mail
            if body_like:
                text = self.text_of(part).strip()
                return [text] if text else []
            self.file(part, content_type)
        except (ValueError, TypeError, LookupError, UnicodeError, IndexError, AttributeError):
            self.notes.append("(a part of this mail could not be read)")
        return []

    def alternative(self, subparts: list[Message], depth: int) -> list[str]:
        def rank(child: Message) -> int:
            kind = _content_type(child)
            return 0 if kind == "text/plain" else 1 if kind == "text/html" else 2

        ordered = sorted(subparts, key=rank)
        for index, child in enumerate(ordered):
            blocks = self.read(child, depth + 1)
            if blocks:
                for other in ordered[index + 1 :]:  # images of the HTML version
                    self.files_only(other, depth + 1)
                return blocks
        return []

    def files_only(self, part: Message, depth: int) -> None:
        """Files under ``part``; its text is an alternative already read."""
        if depth > MAX_DEPTH or not self._count():
            return
        content_type = _content_type(part)
        children = part.get_payload() if part.is_multipart() else None
        if part.is_multipart() and isinstance(children, list):
            for child in children:
                if isinstance(child, Message):
                    self.files_only(child, depth + 1)
        elif content_type not in ("text/plain", "text/html", *_SIGNATURES):
            self.file(part, content_type)

    def forwarded(self, part: Message, depth: int) -> list[str]:
        children = part.get_payload() if part.is_multipart() else None
        inner = children[0] if isinstance(children, list) and children else None
        if not isinstance(inner, Message):
            return []
        headers = _raw_headers(inner)
        lines = ["---------- Forwarded message ----------"]
        for name in ("from", "date", "subject", "to"):
            if headers.get(name):
                value = " ".join(decode_header(headers[name], self.hint).split())[:300]
                lines.append(f"{name.capitalize()}: {value}")
        body = "\n\n".join(self.read(inner, depth + 1))
        return ["\n".join(lines) + ("\n\n" + body if body else "")]


def _unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676: a line ending in a space continues on the next one (Apple Mail, Thunderbird)."""
    out: list[str] = []
    pending = ""
    for line in text.split("\n"):
        line = line[1:] if line.startswith(" ") else line  # space-stuffing
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delsp else line
        else:
            out.append(pending + line)
            pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


def _address(value: str, hint: str | None) -> tuple[str, str]:
    """(name, lower-case address) of a From or Reply-To header."""
    value = value[:4000]
    angle = _ANGLE_ADDRESS.match(value)
    if angle:  # not parseaddr: it splits "Doe, John <j@x>" and "=?q?Doe,_John?=" at the comma
        name, address = angle.group(1).strip(), angle.group(2)
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    else:
        name, address = parseaddr(value)
    name = " ".join(decode_header(name, hint).split())[:200]
    return name, address.strip().lower()[:320]


def _sent_at(value: str, received_at: datetime) -> datetime:
    try:
        sent_at = parsedate_to_datetime(value[:300])
    except (TypeError, ValueError, IndexError, OverflowError):
        return received_at
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    # A clock years off (or a forged date) would misplace the mail in the conversation.
    if not datetime(1990, 1, 1, tzinfo=UTC) < sent_at < received_at + timedelta(days=1):
        return received_at
    return sent_at.astimezone(UTC)


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """Header section and body of a raw mail (best effort, for the synthetic id)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    if not ends:
        return raw, b""
    end = min(ends)
    return raw[:end], raw[end:].lstrip(b"\r\n")


def _synthetic_id(raw: bytes, headers: dict[str, str]) -> str:
    """A stable id for a mail without one: the headers a sender wrote plus the body, not the
    trace headers each delivery adds."""
    digest = hashlib.sha256()
    if headers:
        for name in ("from", "to", "cc", "date", "subject"):
            digest.update(headers.get(name, "").encode("utf-8", "surrogateescape") + b"\0")
        digest.update(_split(raw)[1])
    else:
        digest.update(raw)
    return f"<{digest.hexdigest()[:40]}@crossdesk>"


def parse_mail(raw: bytes, *, received_at: datetime | None = None) -> ParsedMail:
    """Parse one message; see the module docstring for what is guaranteed."""
    received = received_at or datetime.now(UTC)
    try:
        return _parse(raw, received)
    except Exception as exc:  # a mail is never lost to a parser bug
        logger.warning(
            "mail of %d bytes not parsed (%s): stored as headers", len(raw), type(exc).__name__
        )
        return _unreadable(raw, received)


def _parse(raw: bytes, received: datetime) -> ParsedMail:
    # compat32 keeps header values as the raw strings: nothing is parsed that is not read.
    try:
        message = BytesParser(policy=policy.compat32).parsebytes(raw)
    except (RecursionError, MemoryError):  # absurd nesting: headers only
        message = BytesParser(policy=policy.compat32).parsebytes(_split(raw)[0] + b"\r\n\r\n")
        return _headers_only(message, raw, received, unreadable=True)
    mail = _headers_only(message, raw, received, unreadable=False)
    reader = _Reader(_param(message, "charset"))
    try:
        blocks = reader.read(message, 0)
    except RecursionError:
        return replace(mail, text=UNREADABLE_NOTE, unreadable=True)
    own, quoted = split_quoted(blocks[0]) if blocks else ("", "")
    text = "\n\n".join([own, *blocks[1:], *reader.notes]).strip()
    report_type = (_param(message, "report-type") or "").lower()
    bounce = find_bounce(
        message,
        {"subject": mail.subject},
        mail.from_address,
        report_type,
        text,
        mail.thread_ids(),
    )
    headers = _raw_headers(message)
    return replace(
        mail,
        text=text[:MAX_TEXT],
        quoted=quoted[:MAX_TEXT],
        parts=tuple(reader.parts),
        auto_reply=is_auto_reply(headers, _content_type(message), report_type),
        bounce=bounce,
        notes=tuple(reader.notes),
    )


def _headers_only(
    message: Message, raw: bytes, received: datetime, *, unreadable: bool
) -> ParsedMail:
    headers = _raw_headers(message)
    hint = _param(message, "charset")
    own_ids = message_ids(headers.get("message-id"))
    from_name, from_address = _address(headers.get("from", ""), hint)
    reply_name, reply_address = _address(headers.get("reply-to", ""), hint)
    recipients = getaddresses([headers.get("to", "")[:MAX_HEADER], headers.get("cc", "")])
    return ParsedMail(
        message_id=own_ids[0] if own_ids else _synthetic_id(raw, headers),
        in_reply_to=message_ids(headers.get("in-reply-to")),
        references=message_ids(headers.get("references")),
        subject=" ".join(decode_header(headers.get("subject", ""), hint).split())[:500],
        from_address=from_address,
        from_name=from_name,
        to_addresses=tuple(a.strip().lower() for _, a in recipients[:200] if a),
        sent_at=_sent_at(headers.get("date", ""), received),
        text=UNREADABLE_NOTE if unreadable else "",
        parts=(),
        auto_reply=False,
        reply_to_address=reply_address if reply_address != from_address else "",
        reply_to_name=reply_name,
        unreadable=unreadable,
    )


def _unreadable(raw: bytes, received: datetime) -> ParsedMail:
    """Last resort: whatever the header section yields, else nothing but a stable id."""
    try:
        message = BytesParser(policy=policy.compat32).parsebytes(_split(raw)[0] + b"\r\n\r\n")
        return _headers_only(message, raw, received, unreadable=True)
    except Exception:  # not even the headers: a stable id and the note
        digest = hashlib.sha256(raw).hexdigest()[:40]
        return ParsedMail(
            message_id=f"<{digest}@crossdesk>",
            in_reply_to=(),
            references=(),
            subject="",
            from_address="",
            from_name="",
            to_addresses=(),
            sent_at=received,
            text=UNREADABLE_NOTE,
            parts=(),
            auto_reply=False,
            unreadable=True,
        )


def parse_oversized(head: bytes, size: int, limit: int) -> ParsedMail:
    """A mail of ``size`` bytes of which only the first ``limit`` were fetched: its header
    section is parsed, the body and files are replaced by a note."""
    headers, _ = _split(head)
    mail = parse_mail(headers + b"\r\n\r\n")
    note = (
        f"(This mail is {size / 1_000_000:.1f} MB, more than the {limit / 1_000_000:.1f} MB "
        "crossdesk imports: its text and files are only in the mailbox. Open it in a mail "
        "client.)"
    )
    return replace(mail, text=note, parts=(), quoted="")
