"""File names and types of outbound e-mail attachments (pure functions, no server)."""

from email import policy
from email.parser import BytesParser

from crossdesk.channels.email import smtp
from crossdesk.channels.email.files import OutgoingFile, content_type_of, safe_filename
from crossdesk.channels.email.settings import EmailSettings, Endpoint
from crossdesk.domain import Attachment

SETTINGS = EmailSettings(
    address="shop@example.com",
    from_name="Shop",
    username="shop",
    password="x",
    smtp_password="x",
    imap=Endpoint("127.0.0.1", 143, "none"),
    smtp=Endpoint("127.0.0.1", 25, "none"),
    mailbox="INBOX",
    poll_seconds=60.0,
    ca_file=None,
)


def test_names_lose_directories_and_control_characters_and_keep_their_extension() -> None:
    assert safe_filename("../../etc/passwd", "f") == "passwd"
    assert safe_filename("C:\\Users\\ana\\发票.pdf", "f") == "发票.pdf"
    assert safe_filename("a\r\nBcc: x@evil.example.pdf", "f") == "a Bcc: x@evil.example.pdf"
    assert safe_filename("  ..  ", "attachment-1") == "attachment-1"
    assert safe_filename(None, "attachment-2") == "attachment-2"
    long = safe_filename("报价" * 200 + ".xlsx", "f")
    assert len(long) == 180 and long.endswith(".xlsx")


def test_types_declared_or_guessed() -> None:
    def of(content_type: str | None, name: str) -> str:
        return content_type_of(Attachment(kind="document", content_type=content_type), name)

    assert of("application/pdf; charset=binary", "x") == "application/pdf"
    assert of(None, "scan.png") == "image/png"
    assert of("not a type", "notes.txt") == "text/plain"
    assert of("text/plain\r\nX-Evil: 1", "blob") == "application/octet-stream"


def test_every_name_and_type_survives_the_round_trip() -> None:
    """The standard library's folding must not break a long type or a long non-ASCII name
    (it did for a non-ASCII Content-Type name*, which is why none is sent)."""
    names = [
        "发票 2026年11月（最终版）.pdf",
        "报价单" * 30 + ".pptx",
        "a" * 150 + ".docx",
        "ok.zip",
    ]
    types = [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
    ]
    files = [
        OutgoingFile(safe_filename(n, "f"), t, bytes([i]) * 10)
        for i, (n, t) in enumerate(zip(names, types, strict=True))
    ]
    message = smtp.compose(
        SETTINGS,
        to="ana@customer.example",
        text="files",
        message_id="<m@example.com>",
        subject="Re: files",
        in_reply_to=None,
        references=[],
        files=files,
    )
    raw = message.as_bytes(policy=policy.SMTP)
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    got = [
        (p.get_filename(), p.get_content_type(), p.get_content()) for p in parsed.iter_attachments()
    ]
    assert got == [(f.filename, f.content_type, f.data) for f in files]
