"""The e-mail parser never loses a mail: any bytes parse, ids are stable, text is readable."""

from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.channels.email.html_text import html_to_text
from crossdesk.channels.email.mime import message_ids, parse_mail, strip_quoted
from crossdesk.channels.email.smtp import references_header, reply_subject


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_with_a_stable_id(raw: bytes) -> None:
    first, second = parse_mail(raw), parse_mail(raw)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith(">")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_headers_of_any_text_parse(header: str) -> None:
    cleaned = header.replace("\r", " ").replace("\n", " ")
    raw = (
        f"From: {cleaned}\r\nSubject: {cleaned}\r\nReferences: {cleaned}\r\n"
        f"Date: {cleaned}\r\n\r\nbody\r\n"
    ).encode("utf-8", "surrogatepass")
    mail = parse_mail(raw)
    assert mail.text == "body"
    assert all(i.startswith("<") and i.endswith(">") for i in mail.references)


@given(st.lists(st.from_regex(r"[a-z0-9.]{1,12}@[a-z]{1,8}\.example", fullmatch=True), max_size=30))
def test_message_ids_round_trip(ids: list[str]) -> None:
    header = " ".join(f"<{i}>" for i in ids)
    assert message_ids(header) == tuple(f"<{i}>" for i in ids)


@given(st.text(max_size=2000))
def test_html_to_text_never_keeps_tags_of_plain_markup(text: str) -> None:
    result = html_to_text(f"<div><script>evil()</script><p>{text}</p></div>")
    assert "evil()" not in result


@given(st.text(min_size=1, max_size=300).filter(lambda t: t.strip() != ""))
def test_strip_quoted_keeps_own_words(own: str) -> None:
    own = own.replace("\r", "")
    quoted = f"{own}\n\nOn Mon, 1 Jan 2026 at 10:00, Shop <s@example.com> wrote:\n> old text\n"
    kept = strip_quoted(quoted)
    assert (kept.strip() != "" and "old text" not in kept) or own.lstrip().startswith(">")


def test_plain_text_is_preferred_and_attachments_kept() -> None:
    message = EmailMessage()
    message["From"] = "Ana <ana@example.com>"
    message["Message-ID"] = "<m1@example.com>"
    message.set_content("plain words")
    message.add_alternative("<p>html words</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    mail = parse_mail(message.as_bytes())
    assert mail.text == "plain words"
    assert [(p.filename, p.content_type, p.data) for p in mail.parts] == [
        ("a.pdf", "application/pdf", b"%PDF-1.4")
    ]
    assert mail.message_id == "<m1@example.com>" and mail.from_address == "ana@example.com"


def test_reply_headers() -> None:
    assert reply_subject("Order 5") == "Re: Order 5"
    assert reply_subject("RE: Order 5") == "RE: Order 5"
    assert references_header(["<a@x>", "<b@x>"], "<c@x>") == "<a@x> <b@x> <c@x>"
    long_chain = [f"<{n}@x>" for n in range(40)]
    trimmed = references_header(long_chain, "<z@x>").split()
    assert trimmed[0] == "<0@x>" and trimmed[-1] == "<z@x>" and len(trimmed) == 20
