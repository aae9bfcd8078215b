"""E-mail accounts against real servers: Debian's dovecot (IMAP, IDLE) and aiosmtpd (SMTP).

Mail arrives by IMAP APPEND (what an MTA's delivery does to the mailbox); crossdesk reads it
with the e-mail worker and answers through the delivery worker and SMTP.
"""

import asyncio
import io
import itertools
import os
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.factories import PASSWORD as USER_PASSWORD
from tests.factories import DemoWorld, supervisor_reply
from tests.fakes.mail.dovecot import Dovecot, new_dovecot
from tests.fakes.mail.smtp import MailSink, start_smtp
from tests.fakes.mail.tls import make_certificates

from crossdesk.actions.accounts import account_context, create_account
from crossdesk.actions.identity import principal_for
from crossdesk.actions.outbound_attachments import send_file
from crossdesk.channels.base import AccountContext
from crossdesk.channels.email.adapter import EmailAdapter
from crossdesk.channels.email.files import MAX_TOTAL_BYTES
from crossdesk.channels.email.imap import ImapError, ImapSession
from crossdesk.channels.email.probe import probe_mailbox
from crossdesk.channels.email.settings import email_settings
from crossdesk.db.models import (
    Attachment,
    ChannelAccount,
    Contact,
    Conversation,
    EmailCursor,
    Message,
)
from crossdesk.db.session import transaction
from crossdesk.domain import Attachment as AttachmentMeta
from crossdesk.domain import ChannelKind, MessageStatus, OutboundMessage
from crossdesk.errors import PermanentSendError, RetryableSendError
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.delivery import DeliveryWorker
from crossdesk.workers.email import EmailWorker

SHOP = "shop@example.com"
PASSWORD = "imap-Secret-1"
CUSTOMER = "ana@customer.example"
PDF = b"%PDF-1.7\n" + b"x" * 300
BOXES = 40
_BOX_NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    # Users exist from the start (dovecot reads its passwd-file when it starts up).
    server = new_dovecot({f"box-{n}": PASSWORD for n in range(BOXES)})
    yield server
    server.stop()


@dataclass
class Mailbox:
    """One IMAP user of the shared server per test (the From address stays SHOP)."""

    server: Dovecot
    user: str

    @property
    def port(self) -> int:
        return self.server.port

    def deliver(self, raw: bytes) -> int:
        return self.server.deliver(self.user, raw)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    return Mailbox(dovecot, f"box-{next(_BOX_NUMBERS) % BOXES}")


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    controller, sink = start_smtp(SHOP, PASSWORD)
    sink.port = controller.port  # type: ignore[attr-defined]
    yield sink
    controller.stop()


async def _account(
    services: Services,
    world: DemoWorld,
    mailbox: Mailbox,
    smtp_port: int = 1,
    proxy_url: str | None = None,
    **config: str,
) -> ChannelAccount:
    async with transaction(services.sessionmaker) as session:
        return await create_account(
            services,
            session,
            world.workspace_id,
            kind=ChannelKind.EMAIL,
            name="Support mailbox",
            external_id=SHOP,
            team_id=world.team_a,
            config={
                "imap_host": "127.0.0.1",
                "imap_port": str(mailbox.port),
                "username": mailbox.user,
                "imap_security": "none",
                "smtp_host": "127.0.0.1",
                "smtp_port": str(smtp_port),
                "smtp_security": "none",
                "from_name": "Test Shop",
                **config,
            },
            secrets={"password": PASSWORD},
            actor=audit.SYSTEM,
            proxy_url=proxy_url,
        )


def mail(
    text: str,
    *,
    subject: str = "Where is my order?",
    sender: str = CUSTOMER,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    html: str | None = None,
    attachment: tuple[str, str, bytes] | None = None,
) -> tuple[str, bytes]:
    message = EmailMessage()
    message["From"] = f"Ana Costa <{sender}>"
    message["To"] = SHOP
    message["Subject"] = subject
    message["Date"] = "Sun, 29 Nov 2026 05:00:00 +0000"
    msgid = message_id or make_msgid(domain="customer.example")
    message["Message-ID"] = msgid
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    if html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(text)
    if attachment is not None:
        filename, content_type, data = attachment
        major, minor = content_type.split("/")
        message.add_attachment(data, maintype=major, subtype=minor, filename=filename)
    return msgid, message.as_bytes()


async def _messages(services: Services, account_id: str) -> list[Message]:
    async with services.read_sessionmaker() as session:
        return list(
            (
                await session.scalars(
                    select(Message)
                    .where(Message.account_id == account_id)
                    .order_by(Message.created_at, Message.id)
                )
            ).all()
        )


async def test_mail_is_stored_once_with_a_persisted_cursor(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    account = await _account(services, world, mailbox)
    first_id, first = mail("Hello, my parcel has not arrived.")
    mailbox.deliver(first)
    mailbox.deliver(mail("And the tracking link is broken.")[1])

    assert await EmailWorker(services).sync_account(account.id) == 2
    # A restarted worker resumes from the stored cursor: nothing new, nothing doubled.
    assert await EmailWorker(services).sync_account(account.id) == 0
    # The same mail delivered again (a new UID, the same Message-ID) is stored once.
    mailbox.deliver(first)
    assert await EmailWorker(services).sync_account(account.id) == 0

    messages = await _messages(services, account.id)
    assert messages[0].platform_message_id == first_id
    assert len(messages) == 2
    assert messages[0].direction == "inbound" and messages[0].status == "received"
    async with services.read_sessionmaker() as session:
        cursor = await session.get(EmailCursor, (account.id, "INBOX"))
        assert cursor is not None and cursor.last_uid >= 3
        contact = await session.scalar(select(Contact).where(Contact.account_id == account.id))
        assert contact is not None and contact.platform_user_id == CUSTOMER
    # The first mail of a thread shows its subject, then the body.
    assert "Where is my order?" in messages[0].body_masked


async def test_threads_map_to_conversations(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    account = await _account(services, world, mailbox)
    root_id, root = mail("First question")
    mailbox.deliver(root)
    reply_id, reply = mail("Follow-up in the same thread", in_reply_to=root_id, references=root_id)
    mailbox.deliver(reply)
    # References only (a client that drops In-Reply-To), from a colleague's address.
    mailbox.deliver(
        mail("Colleague here", sender="bo@customer.example", references=f"{root_id} {reply_id}")[1],
    )
    # A new thread from the same customer is a new conversation.
    mailbox.deliver(mail("Another order", subject="Invoice please")[1])
    await EmailWorker(services).sync_account(account.id)

    messages = await _messages(services, account.id)
    assert len(messages) == 4
    conversations = [m.conversation_id for m in messages]
    assert conversations[0] == conversations[1] == conversations[2]
    assert conversations[3] != conversations[0]
    assert messages[1].body_masked.startswith("Follow-up")  # no subject repeated in a thread


async def test_html_only_mail_and_attachments(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    account = await _account(services, world, mailbox)
    html = (
        "<html><head><style>p{}</style></head>"
        "<body><p>Hi <b>team</b>,</p><ul><li>size M</li></ul></body></html>"
    )
    mailbox.deliver(mail("", html=html, attachment=("invoice.pdf", "application/pdf", PDF))[1])
    # A "PNG" that is not one is refused (metadata kept, no file).
    mailbox.deliver(mail("photo", attachment=("x.png", "image/png", b"MZ\x90\x00evil"))[1])
    await EmailWorker(services).sync_account(account.id)

    messages = await _messages(services, account.id)
    assert "Hi team," in messages[0].body_masked and "- size M" in messages[0].body_masked
    assert "<b>" not in messages[0].body_masked and "p{}" not in messages[0].body_masked
    async with services.read_sessionmaker() as session:
        rows = {a.message_id: a for a in (await session.scalars(select(Attachment))).all()}
    pdf = rows[messages[0].id]
    assert pdf.filename == "invoice.pdf" and pdf.content_type == "application/pdf"
    assert pdf.storage_path is not None
    stored = services.settings.data_dir / "attachments" / pdf.storage_path
    assert stored.read_bytes() == PDF
    fake_png = rows[messages[1].id]
    assert fake_png.storage_path is None and fake_png.filename == "x.png"


async def test_new_uidvalidity_rereads_without_duplicates(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    account = await _account(services, world, mailbox)
    _, raw = mail("Before the mailbox was rebuilt")
    mailbox.deliver(raw)
    assert await EmailWorker(services).sync_account(account.id) == 1
    async with services.read_sessionmaker() as session:
        before = await session.get(EmailCursor, (account.id, "INBOX"))
        assert before is not None
        old_validity = before.uidvalidity
    mailbox.server.reset_uidvalidity(mailbox.user)
    mailbox.deliver(raw)  # the same mail, now under a new UIDVALIDITY with UID 1
    mailbox.deliver(mail("After")[1])
    assert await EmailWorker(services).sync_account(account.id) == 1
    async with services.read_sessionmaker() as session:
        after = await session.get(EmailCursor, (account.id, "INBOX"))
        assert after is not None and after.uidvalidity != old_validity and after.last_uid == 2
    assert len(await _messages(services, account.id)) == 2


async def test_reply_goes_out_by_smtp_with_threading_headers(
    services: Services, world: DemoWorld, mailbox: Mailbox, smtp: MailSink
) -> None:
    smtp.user = mailbox.user  # one login for IMAP and SMTP, as at most providers
    account = await _account(services, world, mailbox, smtp.port)  # type: ignore[attr-defined]
    root_id, root = mail("Can I change the size?", subject="Order 1042")
    mailbox.deliver(root)
    await EmailWorker(services).sync_account(account.id)
    sent = await supervisor_reply(services, world, account.id, "Yes, size M is on its way.")
    await DeliveryWorker(services).run_once()
    assert len(smtp.received) == 1
    out = smtp.received[0].message
    assert smtp.received[0].recipients == [CUSTOMER]
    assert out["In-Reply-To"] == root_id
    assert out["References"] == root_id
    assert out["Subject"] == "Re: Order 1042"
    assert "Test Shop" in out["From"] and SHOP in out["From"]
    outgoing_id = out["Message-ID"]
    async with services.read_sessionmaker() as session:
        stored = await session.get(Message, sent.message.id)
        assert stored is not None
        assert stored.status == MessageStatus.SENT.value
        assert stored.platform_message_id == outgoing_id

    # The customer answers our mail: it joins the same conversation.
    mailbox.deliver(
        mail("Thanks!", in_reply_to=outgoing_id, references=f"{root_id} {outgoing_id}")[1]
    )
    await EmailWorker(services).sync_account(account.id)
    messages = await _messages(services, account.id)
    assert len({m.conversation_id for m in messages}) == 1
    assert [m.direction for m in messages] == ["inbound", "outbound", "inbound"]


async def test_smtp_refusals_are_mapped(
    services: Services, world: DemoWorld, mailbox: Mailbox, smtp: MailSink
) -> None:
    smtp.user = mailbox.user  # one login for IMAP and SMTP, as at most providers
    account = await _account(services, world, mailbox, smtp.port)  # type: ignore[attr-defined]
    async with services.read_sessionmaker() as session:
        row = await session.get(ChannelAccount, account.id)
        assert row is not None
        context = await account_context(services, session, row)
    adapter = EmailAdapter()

    def reply(to: str) -> OutboundMessage:
        return OutboundMessage(message_id="m1", recipient_id=to, text="hi", idempotency_key="k1")

    smtp.refuse.add("nobody@customer.example")
    with pytest.raises(PermanentSendError) as refused:
        await adapter.send(None, context, reply("nobody@customer.example"))  # type: ignore[arg-type]
    assert refused.value.fields["reason"] == "recipient_unknown"
    smtp.defer = 1
    with pytest.raises(RetryableSendError) as deferred:
        await adapter.send(None, context, reply(CUSTOMER))  # type: ignore[arg-type]
    assert deferred.value.fields["outcome"] == "not_sent"
    receipt = await adapter.send(None, context, reply(CUSTOMER))  # type: ignore[arg-type]
    assert receipt.platform_message_id == "<k1.crossdesk@example.com>"

    wrong = type(context)(**{**_fields(context), "secrets": {"password": "wrong"}})
    with pytest.raises(PermanentSendError) as auth:
        await adapter.send(None, wrong, reply(CUSTOMER))  # type: ignore[arg-type]
    assert auth.value.fields["reason"] == "access_token_invalid"
    assert "wrong" not in str(auth.value)


def _fields(context: object) -> dict[str, object]:
    return {name: getattr(context, name) for name in context.__slots__}  # type: ignore[attr-defined]


async def test_wrong_imap_password_and_probe(
    services: Services, world: DemoWorld, mailbox: Mailbox, smtp: MailSink
) -> None:
    smtp.user = mailbox.user  # one login for IMAP and SMTP, as at most providers
    account = await _account(services, world, mailbox, smtp.port)  # type: ignore[attr-defined]
    async with services.read_sessionmaker() as session:
        row = await session.get(ChannelAccount, account.id)
        assert row is not None
        context = await account_context(services, session, row)
    assert await probe_mailbox(context) == (
        "connected",
        f"{SHOP}: IMAP IDLE, SMTP login accepted",
    )
    wrong = type(context)(**{**_fields(context), "secrets": {"password": "nope-123"}})
    with pytest.raises(ImapError) as refused:
        await asyncio.to_thread(ImapSession, email_settings(wrong))
    assert refused.value.auth and "nope-123" not in str(refused.value)
    health, detail = await probe_mailbox(wrong)
    assert health == "auth_failed" and "nope-123" not in detail


async def test_idle_delivers_new_mail_without_polling(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    # Polling every hour: only IDLE can bring the mail in within the test's few seconds.
    account = await _account(services, world, mailbox, poll_seconds="3600")
    worker = EmailWorker(services, idle_seconds=600)
    task = asyncio.create_task(worker.watch(account.id))
    try:
        await asyncio.sleep(1.0)  # usually connected and in IDLE by now (either way works)
        mailbox.deliver(mail("Arrived while idling")[1])
        for _ in range(300):
            if await _messages(services, account.id):
                break
            await asyncio.sleep(0.1)
        messages = await _messages(services, account.id)
        assert [m.body_masked.endswith("Arrived while idling") for m in messages] == [True]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_email_account_added_from_the_accounts_page_and_tested(
    app_world: DemoWorld, client: httpx.AsyncClient, mailbox: Mailbox, smtp: MailSink
) -> None:
    await client.post(
        "/login", data={"email": app_world.users["owner"].email, "password": USER_PASSWORD}
    )
    page = await client.get("/ui/accounts")
    assert 'id="add-email"' in page.text
    csrf = re.search(r'data-csrf="([^"]+)"', page.text)
    assert csrf is not None
    smtp.user = mailbox.user
    form = {
        "csrf_token": csrf.group(1),
        "kind": "email",
        "name": "Support",
        "external_id": "Support@Example.com",
        "secret_password": PASSWORD,
        "config_imap_host": "127.0.0.1",
        "config_imap_port": str(mailbox.port),
        "config_imap_security": "none",
        "config_smtp_host": "127.0.0.1",
        "config_smtp_port": str(smtp.port),  # type: ignore[attr-defined]
        "config_smtp_security": "none",
        "config_username": mailbox.user,
    }
    # Plain-text IMAP to another machine is refused with the field named.
    refused = await client.post("/ui/accounts", data={**form, "config_imap_host": "192.0.2.7"})
    assert (
        refused.status_code == 400 and "only allowed for a server on this machine" in refused.text
    )
    assert PASSWORD not in refused.text
    added = await client.post("/ui/accounts", data=form)
    assert added.status_code == 303, added.text
    services: Services = client._transport.app.state.services  # type: ignore[attr-defined]
    async with services.read_sessionmaker() as session:
        account = await session.scalar(select(ChannelAccount).where(ChannelAccount.kind == "email"))
        assert account is not None and account.external_id == "support@example.com"
        assert PASSWORD not in str(account.config)
    tested = await client.post(
        f"/ui/accounts/{account.id}/test", headers={"X-CSRF-Token": csrf.group(1)}
    )
    assert tested.status_code == 200
    assert "IMAP IDLE, SMTP login accepted" in tested.text


@pytest.fixture(scope="module")
def tls_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Dovecot, Path]]:
    """dovecot with STARTTLS, certificate signed by a throw-away CA (returned)."""
    ca_file, cert_file, key_file = make_certificates(tmp_path_factory.mktemp("tls"))
    server = new_dovecot({f"tls-{n}": PASSWORD for n in range(4)}, tls=(cert_file, key_file))
    try:
        yield server, ca_file
    finally:
        server.stop()


async def test_starttls_with_certificate_checks(
    services: Services,
    world: DemoWorld,
    tls_servers: tuple[Dovecot, Path],
    tmp_path: Path,
) -> None:
    server, ca_file = tls_servers
    cert_dir = ca_file.parent
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_dir / "server.pem", cert_dir / "server.key")
    user = f"tls-{next(_BOX_NUMBERS) % 4}"  # a fresh mailbox for each backend's run
    controller, sink = start_smtp(user, PASSWORD, tls_context=context)
    try:
        box = Mailbox(server, user)
        account = await _account(
            services,
            world,
            box,
            controller.port,
            imap_security="starttls",
            smtp_security="starttls",
            ca_file=str(ca_file),
        )
        box.deliver(mail("Over TLS")[1])
        assert await EmailWorker(services).sync_account(account.id) == 1
        async with services.read_sessionmaker() as session:
            row = await session.get(ChannelAccount, account.id)
            assert row is not None
            ctx = await account_context(services, session, row)
        reply = OutboundMessage(
            message_id="m1", recipient_id=CUSTOMER, text="TLS reply", idempotency_key="k-tls"
        )
        await EmailAdapter().send(None, ctx, reply)  # type: ignore[arg-type]
        assert len(sink.received) == 1

        # Without the company's CA the certificate is refused: nothing is sent or read.
        untrusted = type(ctx)(**{**_fields(ctx), "config": {**ctx.config, "ca_file": ""}})
        with pytest.raises(ImapError) as refused:
            await asyncio.to_thread(ImapSession, email_settings(untrusted))
        assert not refused.value.auth
        with pytest.raises(RetryableSendError) as smtp_refused:
            await EmailAdapter().send(None, untrusted, reply)  # type: ignore[arg-type]
        assert smtp_refused.value.fields["outcome"] == "not_sent"
        assert len(sink.received) == 1
    finally:
        controller.stop()


async def test_mail_sent_from_the_address_by_another_client_is_an_echo(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    account = await _account(services, world, mailbox)
    root_id, root = mail("Question from the customer")
    mailbox.deliver(root)
    echo = EmailMessage()
    echo["From"] = f"Test Shop <{SHOP}>"
    echo["To"] = f"Ana <{CUSTOMER}>"
    echo["Subject"] = "Re: Where is my order?"
    echo["Message-ID"] = make_msgid(domain="example.com")
    echo["In-Reply-To"] = root_id
    echo.set_content("Answered from Thunderbird")
    mailbox.deliver(echo.as_bytes())
    await EmailWorker(services).sync_account(account.id)
    messages = await _messages(services, account.id)
    assert [(m.direction, m.echo) for m in messages] == [("inbound", False), ("outbound", True)]
    assert len({m.conversation_id for m in messages}) == 1
    async with services.read_sessionmaker() as session:
        contacts = (
            await session.scalars(select(Contact).where(Contact.account_id == account.id))
        ).all()
    assert [c.platform_user_id for c in contacts] == [CUSTOMER]


async def _context(services: Services, account_id: str) -> AccountContext:
    async with services.read_sessionmaker() as session:
        row = await session.get(ChannelAccount, account_id)
        assert row is not None
        return await account_context(services, session, row)


def _stored(directory: Path, name: str, data: bytes) -> str:
    """A file as the composer upload leaves it in the attachment store: an opaque name."""
    path = directory / name
    path.write_bytes(data)
    return str(path)


async def test_reply_with_attachments_is_multipart_mixed(
    services: Services, world: DemoWorld, mailbox: Mailbox, smtp: MailSink, tmp_path: Path
) -> None:
    smtp.user = mailbox.user
    account = await _account(services, world, mailbox, smtp.port)  # type: ignore[attr-defined]
    context = await _context(services, account.id)
    pdf = b"%PDF-1.7\n" + os.urandom(300_000)  # binary: any re-encoding would show
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(2_000)
    sheet = os.urandom(5_000)
    chinese = "发票-订单1042（最终版）.pdf"
    reply = OutboundMessage(
        message_id="m-files",
        recipient_id=CUSTOMER,
        text="Please find the invoice attached. 发票见附件。",
        idempotency_key="k-files",
        attachments=(
            AttachmentMeta(
                kind="document",
                content_type="application/pdf",
                filename=chinese,
                local_path=_stored(tmp_path, "01J9ZK.pdf", pdf),
            ),
            AttachmentMeta(
                kind="image", content_type="image/png", local_path=_stored(tmp_path, "a.png", png)
            ),
            # No declared type: guessed from the name; a path in the name is dropped.
            AttachmentMeta(
                kind="document",
                filename="../报价单 2026.xlsx",
                local_path=_stored(tmp_path, "b.bin", sheet),
            ),
        ),
        metadata={
            "email_subject": "Re: Order 1042",
            "email_in_reply_to": "<root@customer.example>",
            "email_references": "<first@customer.example> <root@customer.example>",
        },
    )
    receipt = await EmailAdapter().send(None, context, reply)  # type: ignore[arg-type]

    assert len(smtp.received) == 1
    raw = smtp.received[0].raw
    out = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(out, EmailMessage)
    assert out.get_content_type() == "multipart/mixed"
    assert out["Message-ID"] == receipt.platform_message_id == "<k-files.crossdesk@example.com>"
    assert out["In-Reply-To"] == "<root@customer.example>"
    assert out["References"] == "<first@customer.example> <root@customer.example>"
    body = out.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == reply.text
    files = list(out.iter_attachments())
    described = [
        (f.get_filename(), f.get_content_type(), f.get_content_disposition()) for f in files
    ]
    assert described == [
        (chinese, "application/pdf", "attachment"),
        ("a.png", "image/png", "attachment"),
        ("报价单 2026.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "attachment"),
    ]  # fmt: skip
    assert [f.get_content() for f in files] == [pdf, png, sheet]
    # RFC 2231 on the wire: ASCII only, the name percent-encoded in UTF-8 (a long one in
    # numbered continuations, filename*0*=, filename*1*=).
    assert re.search(rb"filename\*(0\*)?=utf-8''%E5%8F%91%E7%A5%A8", raw)
    assert chinese.encode() not in raw  # never raw UTF-8 in a MIME header


async def test_attachment_refusals_are_permanent_and_send_nothing(
    services: Services, world: DemoWorld, mailbox: Mailbox, tmp_path: Path
) -> None:
    controller, sink = start_smtp(mailbox.user, PASSWORD, data_size_limit=200_000)
    try:
        account = await _account(services, world, mailbox, controller.port)
        context = await _context(services, account.id)

        def reply(*attachments: AttachmentMeta) -> OutboundMessage:
            return OutboundMessage(
                message_id="m1",
                recipient_id=CUSTOMER,
                text="",
                idempotency_key="k1",
                attachments=attachments,
            )

        def document(path: Path | str) -> AttachmentMeta:
            return AttachmentMeta(kind="document", filename="报价.pdf", local_path=str(path))

        adapter = EmailAdapter()
        with pytest.raises(PermanentSendError) as missing:
            await adapter.send(None, context, reply(document(tmp_path / "gone.pdf")))  # type: ignore[arg-type]
        assert missing.value.fields["reason"] == "attachment_missing"
        assert "报价.pdf" in str(missing.value)
        with pytest.raises(PermanentSendError) as no_path:
            await adapter.send(
                None, context, reply(AttachmentMeta(kind="document", url="https://x.example/f"))
            )  # type: ignore[arg-type]
        assert no_path.value.fields["reason"] == "attachment_missing"

        # Over the total limit (a sparse file: nothing is read).
        big = tmp_path / "big.bin"
        with big.open("wb") as handle:
            handle.truncate(MAX_TOTAL_BYTES + 1)
        with pytest.raises(PermanentSendError) as too_big:
            await adapter.send(None, context, reply(document(big)))  # type: ignore[arg-type]
        assert too_big.value.fields["reason"] == "attachment_too_large"
        assert "20 MB" in str(too_big.value)
        # Within our limit but over the SIZE the server advertises (base64 included).
        medium = _stored(tmp_path, "medium.pdf", b"%PDF-1.7\n" + os.urandom(160_000))
        with pytest.raises(PermanentSendError) as over_size:
            await adapter.send(None, context, reply(document(medium)))  # type: ignore[arg-type]
        assert over_size.value.fields["reason"] == "attachment_too_large"
        assert "at most 0.2 MB" in str(over_size.value)
        assert sink.received == []

        # A file-only reply (no text) under the limits goes out.
        small = _stored(tmp_path, "small.pdf", PDF)
        await adapter.send(None, context, reply(document(small)))  # type: ignore[arg-type]
        assert len(sink.received) == 1
        [part] = sink.received[0].message.iter_attachments()
        assert part.get_content() == PDF and part.get_filename() == "报价.pdf"
    finally:
        controller.stop()


async def test_inbound_attachments_are_size_limited_typed_and_named(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    account = await _account(services, world, mailbox)
    message = EmailMessage()
    message["From"] = f"Ana <{CUSTOMER}>"
    message["To"] = SHOP
    message["Subject"] = "Files"
    message["Message-ID"] = make_msgid(domain="customer.example")
    message.set_content("Three files")
    small = b"%PDF-1.4\n" + b"s" * 400
    large = b"%PDF-1.4\n" + b"L" * 3000
    message.add_attachment(small, maintype="application", subtype="pdf", filename="发票.pdf")
    message.add_attachment(large, maintype="application", subtype="pdf", filename="big.pdf")
    message.add_attachment(
        b"MZ\x90\x00" + b"\x00" * 60,
        maintype="application",
        subtype="x-msdownload",
        filename="setup.exe",
    )
    mailbox.deliver(message.as_bytes())
    # A limit of 1,000 bytes per file (the default is the attachment worker's 25 MB).
    assert await EmailWorker(services, max_attachment_bytes=1000).sync_account(account.id) == 1

    [stored_message] = await _messages(services, account.id)
    async with services.read_sessionmaker() as session:
        rows = (
            await session.scalars(
                select(Attachment)
                .where(Attachment.message_id == stored_message.id)
                .order_by(Attachment.platform_file_id)
            )
        ).all()
    by_name = {row.filename: row for row in rows}
    assert set(by_name) == {"发票.pdf", "big.pdf", "setup.exe"}  # metadata of every part
    kept = by_name["发票.pdf"]
    assert kept.storage_path is not None and kept.size == len(small)
    assert (services.settings.data_dir / "attachments" / kept.storage_path).read_bytes() == small
    assert by_name["big.pdf"].storage_path is None  # over the limit
    assert by_name["big.pdf"].size == len(large)
    assert by_name["setup.exe"].storage_path is None  # type not allowed
    stored_files = list((services.settings.data_dir / "attachments").rglob("*"))
    assert [p for p in stored_files if p.is_file()] == [
        services.settings.data_dir / "attachments" / kept.storage_path
    ]


async def test_a_mail_over_the_fetch_limit_keeps_its_headers_and_gets_a_note(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    account = await _account(services, world, mailbox)
    big_id, big = mail(
        "Photos of the damage",
        subject="Broken vase",
        attachment=("photos.pdf", "application/pdf", b"%PDF-1.7\n" + os.urandom(300_000)),
    )
    mailbox.deliver(big)
    reply_id, reply = mail("Did you get them?", in_reply_to=big_id, references=big_id)
    mailbox.deliver(reply)
    # 100 kB fetched at most per mail (the default is 64 MB).
    worker = EmailWorker(services, max_mail_bytes=100_000)
    assert await worker.sync_account(account.id) == 2

    first, second = await _messages(services, account.id)
    assert first.platform_message_id == big_id and second.platform_message_id == reply_id
    assert first.conversation_id == second.conversation_id  # threading kept
    assert first.body_masked.startswith("Broken vase")
    assert "This mail is 0.4 MB, more than the 0.1 MB crossdesk imports" in first.body_masked
    assert "Photos of the damage" not in first.body_masked
    async with services.read_sessionmaker() as session:
        files = (await session.scalars(select(Attachment))).all()
    assert files == []  # no truncated file stored
    assert second.body_masked == "Did you get them?"


async def test_file_sent_from_the_composer_goes_out_as_an_attachment(
    services: Services, world: DemoWorld, mailbox: Mailbox, smtp: MailSink
) -> None:
    """The whole path: upload checked and stored, outbox, delivery worker, SMTP."""
    smtp.user = mailbox.user
    account = await _account(services, world, mailbox, smtp.port)  # type: ignore[attr-defined]
    root_id, root = mail("Could you send the invoice?", subject="Invoice 1042")
    mailbox.deliver(root)
    await EmailWorker(services).sync_account(account.id)
    pdf = b"%PDF-1.7\n" + os.urandom(50_000)
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
        conversation = await session.scalar(
            select(Conversation).where(Conversation.account_id == account.id)
        )
        assert conversation is not None
        await send_file(
            services,
            session,
            supervisor,
            conversation,
            io.BytesIO(pdf),
            "发票 1042.pdf",
            "Here is the invoice.",
            idempotency_key=None,
            actor=audit.Actor(supervisor.user_id),
            allow_untranslated=True,
        )
    await DeliveryWorker(services).run_once()
    assert len(smtp.received) == 1
    out = smtp.received[0].message
    assert out["In-Reply-To"] == root_id and out["Subject"] == "Re: Invoice 1042"
    body = out.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "Here is the invoice."
    [part] = out.iter_attachments()
    assert part.get_filename() == "发票 1042.pdf"
    assert part.get_content_type() == "application/pdf" and part.get_content() == pdf
    messages = await _messages(services, account.id)
    assert messages[-1].status == MessageStatus.SENT.value
    assert messages[-1].platform_message_id == out["Message-ID"]
