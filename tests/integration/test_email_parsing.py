"""Inbound mail as real customers send it: the fixture corpus, fuzzing, and end to end.

The corpus (tests/fixtures/channels/email/*.json, written by build.py there, plus the shared
samples in ../shared/data/channels/email/) is exact RFC 5322 bytes with the parse a person
expects. The parser runs without a server; a property test feeds it arbitrary bytes and
mutated fixtures (it must always return a mail, never raise); the end-to-end test delivers
hard fixtures into a real dovecot and reads them with the e-mail worker.
"""

import asyncio
import base64
import itertools
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.factories import DemoWorld, supervisor_reply
from tests.fakes.mail.dovecot import Dovecot, new_dovecot
from tests.fakes.mail.smtp import start_smtp

from crossdesk.actions.accounts import create_account
from crossdesk.actions.email_inbox import INLINE_CAPTION, mail_event
from crossdesk.channels.email.html_text import html_to_text
from crossdesk.channels.email.mime import UNREADABLE_NOTE, ParsedMail, parse_mail
from crossdesk.channels.email.quotes import split_quoted
from crossdesk.db.models import Attachment, ChannelAccount, Conversation, Message
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, ConversationStatus, MessageStatus
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.delivery import DeliveryWorker
from crossdesk.workers.email import EmailWorker

ROOT = Path(__file__).resolve().parents[2]
OWN = ROOT / "tests" / "fixtures" / "channels" / "email"
SHARED = ROOT.parent / "shared" / "data" / "channels" / "email"
FILES = sorted(OWN.glob("*.json")) + sorted(SHARED.glob("*.json"))
SHOP = "support@shop.example"
PASSWORD = "imap-Secret-2"


def _load(path: Path) -> tuple[bytes, dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return base64.b64decode(document["raw_b64"]), document["expected"]


def _fixture(name: str) -> bytes:
    return _load(OWN / f"{name}.json")[0]


def test_the_corpus_is_there() -> None:
    assert len(list(OWN.glob("*.json"))) >= 40


def _strings(value: str | list[str] | None) -> list[str]:
    """The shared samples give one string, the corpus a list."""
    return [value] if isinstance(value, str) else list(value or [])


def _check(mail: ParsedMail, expected: dict[str, Any]) -> None:
    simple = {
        "message_id": mail.message_id,
        "from_addr": mail.from_address,
        "from_name": mail.from_name,
        "reply_to": mail.reply_to_address,
        "reply_to_name": mail.reply_to_name,
        "subject": mail.subject,
        "text": mail.text,
        "auto_reply": mail.auto_reply,
        "unreadable": mail.unreadable,
    }
    for key, actual in simple.items():
        if key in expected:
            assert actual == expected[key], key
    lists = {
        "in_reply_to": mail.in_reply_to,
        "references": mail.references,
        "thread_ids": mail.thread_ids(),
    }
    for key, actual_ids in lists.items():
        if expected.get(key) is not None:
            assert list(actual_ids) == expected[key], key
    if expected.get("in_reply_to", ...) is None:
        assert mail.in_reply_to == ()
    if "text_startswith" in expected:
        assert mail.text.startswith(expected["text_startswith"])
    for fragment in _strings(expected.get("text_contains")):
        assert fragment in mail.text
    for fragment in _strings(expected.get("text_not_contains")):
        assert fragment not in mail.text
    for fragment in expected.get("quoted_contains", []):
        assert fragment in mail.quoted and fragment not in mail.text
    if expected.get("synthetic_id"):
        assert mail.message_id.endswith("@crossdesk>")
    if "attachments" in expected:
        assert len(mail.parts) == len(expected["attachments"])
        for part, want in zip(mail.parts, expected["attachments"], strict=True):
            assert part.filename == want["filename"]
            assert part.content_type == want["content_type"]
            if "inline" in want:
                assert part.inline is want["inline"]
            if "size" in want:
                assert len(part.data) == want["size"]
    if "bounce" in expected:
        if expected["bounce"] is None:
            assert mail.bounce is None
        else:
            assert mail.bounce is not None
            assert list(mail.bounce.original_ids) == expected["bounce"]["original_ids"]
            assert mail.bounce.failed is expected["bounce"]["failed"]
    for fragment in expected.get("bounce_detail_contains", []):
        assert mail.bounce is not None and fragment in mail.bounce.detail
    for fragment in expected.get("bounce_detail_not_contains", []):
        assert mail.bounce is not None and fragment not in mail.bounce.detail


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture_parses_as_expected(path: Path) -> None:
    raw, expected = _load(path)
    mail = parse_mail(raw)
    _check(mail, expected)
    assert "\ufeff" not in mail.text and "\r" not in mail.text
    assert parse_mail(raw).message_id == mail.message_id  # stable


def test_missing_message_id_is_stable_across_deliveries() -> None:
    raw = _fixture("missing-message-id")
    redelivered = b"Received: from mx2.example by mx.shop.example; Sun, 29 Nov 2026\r\n" + raw
    assert parse_mail(raw).message_id == parse_mail(redelivered).message_id
    other = raw.replace(b"Mail without", b"Another mail without")
    assert parse_mail(other).message_id != parse_mail(raw).message_id


def test_a_huge_header_is_bounded() -> None:
    words = " ".join(["=?utf-8?q?a?="] * 100_000)
    raw = (
        f"From: {'x' * 300_000} <a@b.example>\r\nSubject: {words}\r\n"
        f"References: {'<r@x> ' * 50_000}\r\nTo: {'c@d.example, ' * 30_000}\r\n"
        "Content-Type: text/plain; " + "p=1; " * 40_000 + "\r\n\r\nbody\r\n"
    ).encode()
    started = time.monotonic()
    mail = parse_mail(raw)
    assert time.monotonic() - started < 5
    assert len(mail.subject) <= 500 and len(mail.references) <= 100
    assert mail.text == "body"


def _nested(depth: int) -> tuple[bytes, bytes, bytes]:
    """(mail, header section, nesting) of a mail ``depth`` multiparts deep."""
    head = b"From: a@b.example\r\nMessage-ID: <deep@b.example>\r\n"
    head += b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n'
    body = b"".join(
        b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (n, n + 1)
        for n in range(depth)
    )
    raw = head + body + b"--b%d\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n" % depth
    return raw, head, body


def test_deep_nesting_is_bounded() -> None:
    raw, head, body = _nested(3000)
    started = time.monotonic()
    mail = parse_mail(raw)
    assert time.monotonic() - started < 10
    assert mail.message_id == "<deep@b.example>" and mail.from_address == "a@b.example"
    assert mail.text  # a note, or the text: never empty, never an exception
    shallow = head + body[: body.index(b"--b20\r\n")] + b"--b20\r\n"
    shallow += b"Content-Type: text/plain\r\n\r\nlevel twenty\r\n"
    assert "nested deeper" in parse_mail(shallow).text


@pytest.mark.parametrize("unit", ["<a ", "<!--", "<![", "<", "<!x>", '<a href="'])
def test_hostile_html_is_linear(unit: str) -> None:
    # Unclosed constructs made the standard library's parser rescan to the end each time
    # (64 KB of "<a " took 34 s) and "<![" made it raise.
    html = (unit * (1_000_000 // len(unit))).encode()
    raw = b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    started = time.monotonic()
    mail = parse_mail(raw)
    assert time.monotonic() - started < 5
    assert not mail.unreadable


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "<!--",
                "-->",
                "<![",
                "]>",
                "<a href='",
                '"',
                "<p>",
                "</p>",
                "<blockquote>",
                "</blockquote>",
                "<script>",
                "</script>",
                "&",
                "&#",
                "x",
                " ",
                "\n",
                "\ue000",
                "<body>",
            ]
        ),
        max_size=60,
    )
)
def test_html_to_text_takes_anything(pieces: list[str]) -> None:
    assert isinstance(html_to_text("".join(pieces)), str)


def test_many_parts_are_bounded() -> None:
    parts = b"".join(
        b"--M\r\nContent-Type: application/octet-stream\r\n\r\nx%d\r\n" % n for n in range(5000)
    )
    raw = b'Content-Type: multipart/mixed; boundary="M"\r\n\r\n' + parts + b"--M--\r\n"
    mail = parse_mail(raw)
    assert len(mail.parts) < 200 and "only the first" in mail.text


def test_regressions_found_by_fuzzing() -> None:
    # filename* next to filename*0*: the standard library's decode_params sorts None with 0.
    mixed = (
        b'Content-Type: multipart/mixed; boundary="M"\r\n\r\n--M\r\n'
        b"Content-Type: text/plain\r\n\r\nwords\r\n--M\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''a.pdf; filename*0*=UTF-8''b\r\n"
        b"\r\n%PDF-1.4\r\n--M--\r\n"
    )
    mail = parse_mail(mixed)
    assert not mail.unreadable and mail.text == "words"
    assert [p.content_type for p in mail.parts] == ["application/pdf"]
    # A charset with a NUL in it, under a multipart (get_payload() decoded with it).
    nul = (
        b'Content-Type: multipart/mixed; boundary="M"\r\n\r\n--M\r\n'
        b'Content-Type: text/plain; charset="utf\x00-8"\r\n\r\nw\xc3\xb6rds\r\n--M--\r\n'
    )
    mail = parse_mail(nul)
    assert not mail.unreadable and mail.text == "w\u00f6rds"


def _assert_clean(mail: ParsedMail) -> None:
    assert mail.message_id.startswith("<") and mail.message_id.endswith(">")
    assert isinstance(mail.text, str) and len(mail.text) <= 50_000
    assert mail.sent_at.tzinfo is not None
    assert all(i.startswith("<") for i in mail.thread_ids())
    if mail.unreadable:
        assert mail.text == UNREADABLE_NOTE


def _mutate(raw: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(raw)
    for _ in range(rng.randint(1, 12)):
        operation = rng.randrange(5)
        at = rng.randrange(len(data) + 1)
        if operation == 0 and data:  # flip a byte
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif operation == 1:  # cut
            del data[at : at + rng.randint(1, 200)]
        elif operation == 2:  # duplicate a slice
            data[at:at] = data[at : at + rng.randint(1, 300)]
        elif operation == 3:  # insert structural noise
            data[at:at] = rng.choice(
                [b"\r\n\r\n", b"--", b'boundary="', b"=?", b"?=", b"=\r\n", b"\x00", b"\xff\xfe"]
            )
        else:  # truncate
            del data[at:]
    return bytes(data)


OWN_RAW = [_load(p)[0] for p in FILES]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(OWN_RAW))), st.integers(min_value=0, max_value=2**32))
def test_mutated_fixtures_never_raise(index: int, seed: int) -> None:
    _assert_clean(parse_mail(_mutate(OWN_RAW[index], seed)))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    _assert_clean(parse_mail(raw))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"Content-Type: multipart/mixed; boundary=x\r\n",
                b"Content-Type: message/rfc822\r\n",
                b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n",
                b"Content-Type: text/html; charset=x-bogus\r\n",
                b"Content-Transfer-Encoding: base64\r\n",
                b"Content-Transfer-Encoding: quoted-printable\r\n",
                b"Content-Disposition: attachment; filename*=gbk''%D6%D0\r\n",
                b"Subject: =?gb2312?B?1tA=?= =?utf-8?Q?=E4?=\r\n",
                b"From: =?x?q?a?= <MAILER-DAEMON@x>\r\n",
                b"\r\n",
                b"--x\r\n",
                b"--x--\r\n",
                b"<blockquote><html><body>",
                b"=E4=B8\r\n",
                b"\xe4\xb8\xad\xff",
            ]
        ),
        max_size=40,
    )
)
def test_structured_noise_never_raises(pieces: list[bytes]) -> None:
    _assert_clean(parse_mail(b"".join(pieces)))


# --- what the inbox makes of a parsed mail (no server) ---------------------------------------


def _account() -> ChannelAccount:
    return ChannelAccount(id="acc", workspace_id="ws", external_id=SHOP, kind="email")


def test_event_uses_reply_to_and_names_files() -> None:
    form = parse_mail(_fixture("reply-to-differs-from-from"))
    event = mail_event(_account(), form, new_thread=True)
    assert event.sender_id == "maria@buyer.example" and event.sender_name == "María"
    files = parse_mail(_fixture("attachments-rfc2231-chinese-names-and-unnamed"))
    names = [a.filename for a in mail_event(_account(), files, new_thread=False).attachments]
    assert names[0] == "发票.pdf" and names[-1] == "attachment-5.pdf"
    inline = mail_event(_account(), parse_mail(_fixture("inline-image-cid")), new_thread=False)
    assert inline.attachments[0].caption == INLINE_CAPTION


def test_separator_lines_are_not_history_without_a_header_block() -> None:
    text = "Part one\n______________\nPart two\n\n-- \nAna"
    assert split_quoted(text) == (text, "")
    outlook = "New\n______________\nFrom: Shop\nSent: Friday\n\nold"
    assert split_quoted(outlook) == ("New", "______________\nFrom: Shop\nSent: Friday\n\nold")


def test_quoted_history_only_in_a_new_conversation() -> None:
    reply = parse_mail(_fixture("quote-outlook-original-message"))
    assert "OLD INVOICE TEXT" not in mail_event(_account(), reply, new_thread=False).text
    assert "OLD INVOICE TEXT" in mail_event(_account(), reply, new_thread=True).text


# --- end to end: real dovecot, the e-mail worker ---------------------------------------------


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = new_dovecot({f"parse-{n}": PASSWORD for n in range(8)})
    yield server
    server.stop()


_BOXES = itertools.count()


async def _mail_account(
    services: Services,
    world: DemoWorld,
    dovecot: Dovecot,
    user: str | None = None,
    smtp_port: int = 1,
) -> tuple[ChannelAccount, str]:
    user = user or f"parse-{next(_BOXES) % 8}"
    async with transaction(services.sessionmaker) as session:
        account = await create_account(
            services,
            session,
            world.workspace_id,
            kind=ChannelKind.EMAIL,
            name="Parsing mailbox",
            external_id=SHOP,
            team_id=world.team_a,
            config={
                "imap_host": "127.0.0.1",
                "imap_port": str(dovecot.port),
                "username": user,
                "imap_security": "none",
                "smtp_host": "127.0.0.1",
                "smtp_port": str(smtp_port),
                "smtp_security": "none",
            },
            secrets={"password": PASSWORD},
            actor=audit.SYSTEM,
        )
    return account, user


async def _messages(services: Services, account_id: str) -> list[Message]:
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(
            select(Message).where(Message.account_id == account_id).order_by(Message.created_at)
        )
        return list(rows.all())


async def test_hard_fixtures_through_dovecot_and_the_worker(
    services: Services, world: DemoWorld, dovecot: Dovecot
) -> None:
    account, user = await _mail_account(services, world, dovecot)
    for name in (
        "charset-iso-2022-jp",
        "charset-gb2312-declared-gbk-bytes",
        "attachments-rfc2231-chinese-names-and-unnamed",
        "quote-chinese-client",
        "missing-message-id",
    ):
        dovecot.deliver(user, _fixture(name))
    dovecot.deliver(user, _fixture("missing-message-id"))  # twice: stored once
    dovecot.deliver(user, b"\xff\xfe not a mail at all \x00\r\n--\r\n")
    dovecot.deliver(user, _nested(3000)[0])
    async with asyncio.timeout(60):
        assert await EmailWorker(services).sync_account(account.id) == 7

    messages = await _messages(services, account.id)
    bodies = [m.body_masked for m in messages]
    assert any("ご注文の商品がまだ届きません" in b for b in bodies)
    assert any("朱镕基" in b and b.startswith("订单查询") for b in bodies)
    chinese_reply = next(b for b in bodies if "好的，谢谢！" in b)
    assert "旧的内容" in chinese_reply  # a new conversation keeps the history under the text
    assert any("not a mail at all" in b for b in bodies)  # no header at all: all text
    deep = next(m for m in messages if m.platform_message_id == "<deep@b.example>")
    assert UNREADABLE_NOTE in deep.body_masked  # headers kept, a note for the body
    async with services.read_sessionmaker() as session:
        names = set((await session.scalars(select(Attachment.filename))).all())
    assert {"发票.pdf", "订单详情.pdf", "合同.pdf", "报价单.pdf", "attachment-5.pdf"} <= names


async def test_bounce_fails_our_reply_and_auto_reply_is_skipped(
    services: Services, world: DemoWorld, dovecot: Dovecot
) -> None:
    user = f"parse-{next(_BOXES) % 8}"
    controller, sink = start_smtp(user, PASSWORD)
    try:
        account, _ = await _mail_account(services, world, dovecot, user, controller.port)
        dovecot.deliver(user, _fixture("alternative-text-and-html"))
        async with asyncio.timeout(60):
            assert await EmailWorker(services).sync_account(account.id) == 1
        # Our reply goes out through the delivery worker and SMTP.
        sent = await supervisor_reply(services, world, account.id, "Your order shipped.")
        conversation_id = sent.message.conversation_id
        async with asyncio.timeout(60):
            await DeliveryWorker(services).run_once()
        assert len(sink.received) == 1
        ours = str(sink.received[0].message["Message-ID"])
    finally:
        controller.stop()
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(status=ConversationStatus.RESOLVED.value)
        )
    # The receiving server bounces it; the customer's out-of-office answers it too.
    fixture_id = b"<0b1c2d3e.crossdesk@shop.example>"
    dovecot.deliver(user, _fixture("bounce-dsn-failed").replace(fixture_id, ours.encode()))
    dovecot.deliver(user, _fixture("auto-reply-auto-submitted").replace(fixture_id, ours.encode()))
    dovecot.deliver(user, _fixture("bounce-dsn-delayed-headers-only"))
    async with asyncio.timeout(60):
        assert await EmailWorker(services).sync_account(account.id) == 0
        assert await EmailWorker(services).sync_account(account.id) == 0  # cursor moved

    messages = await _messages(services, account.id)
    assert len(messages) == 2  # neither the bounces nor the auto-reply became messages
    reply = next(m for m in messages if m.id == sent.message.id)
    assert reply.platform_message_id == ours
    assert reply.status == MessageStatus.FAILED.value
    assert reply.error is not None and "5.1.1" in reply.error
    assert "gone@buyer.example" not in reply.error
    async with services.read_sessionmaker() as session:
        after = await session.get(Conversation, conversation_id)
    assert after is not None and after.status == ConversationStatus.RESOLVED.value
