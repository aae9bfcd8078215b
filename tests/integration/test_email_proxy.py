"""E-mail accounts with a proxy: IMAP and SMTP go through it (SOCKS5), never around it.

Real servers (dovecot, aiosmtpd) behind a small SOCKS5 server that records every CONNECT;
when the proxy fails, mail stops instead of taking the direct route.
"""

import asyncio
import itertools
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import DemoWorld
from tests.fakes.mail.dovecot import Dovecot, new_dovecot
from tests.fakes.mail.smtp import start_smtp
from tests.fakes.mail.socks import Connect, Socks5Server
from tests.fakes.mail.tls import make_certificates
from tests.integration.test_email_channel import (
    CUSTOMER,
    PASSWORD,
    SHOP,
    Mailbox,
    _account,
    _context,
    mail,
)

from crossdesk.channels.email.adapter import EmailAdapter
from crossdesk.channels.email.imap import ImapError, ImapSession
from crossdesk.channels.email.probe import probe_mailbox
from crossdesk.channels.email.settings import email_settings
from crossdesk.db.models import ChannelAccount
from crossdesk.domain import OutboundMessage
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError
from crossdesk.services import Services
from crossdesk.workers.email import EmailWorker

PROXY_USER, PROXY_PASSWORD = "egress-7", "p@ss:w/rd"  # quoted in the URL
QUOTED = "p%40ss%3Aw%2Frd"
_USERS = itertools.count()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Dovecot, Path]]:
    """dovecot with STARTTLS (certificate for 127.0.0.1 from a throw-away CA)."""
    ca_file, cert_file, key_file = make_certificates(tmp_path_factory.mktemp("tls"))
    server = new_dovecot({f"px-{n}": PASSWORD for n in range(2)}, tls=(cert_file, key_file))
    yield server, ca_file
    server.stop()


@pytest.fixture
def socks() -> Iterator[Socks5Server]:
    server = Socks5Server(users={PROXY_USER: PROXY_PASSWORD}).start()
    yield server
    server.stop()


def reply(key: str) -> OutboundMessage:
    return OutboundMessage(
        message_id=key, recipient_id=CUSTOMER, text="Sent through the proxy", idempotency_key=key
    )


async def test_imap_and_smtp_through_socks5_with_starttls(
    services: Services,
    world: DemoWorld,
    tls_server: tuple[Dovecot, Path],
    socks: Socks5Server,
) -> None:
    server, ca_file = tls_server
    user = f"px-{next(_USERS) % 2}"  # a fresh mailbox for each backend's run
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(ca_file.parent / "server.pem", ca_file.parent / "server.key")
    controller, sink = start_smtp(user, PASSWORD, tls_context=context)
    try:
        box = Mailbox(server, user)
        account = await _account(
            services,
            world,
            box,
            controller.port,
            proxy_url=socks.url_for(PROXY_USER, QUOTED),
            imap_security="starttls",
            smtp_security="starttls",
            ca_file=str(ca_file),
        )
        box.deliver(mail("Read through the proxy")[1])
        assert await EmailWorker(services).sync_account(account.id) == 1
        ctx = await _context(services, account.id)
        await EmailAdapter().send(None, ctx, reply("k-proxy"))  # type: ignore[arg-type]
        assert len(sink.received) == 1
        assert await probe_mailbox(ctx) == (
            "connected",
            f"{SHOP}: IMAP IDLE, SMTP login accepted",
        )
    finally:
        socks.stop()  # closes the relayed connections before the SMTP server goes away
        controller.stop()
    imap, smtp = (
        Connect("127.0.0.1", server.port, PROXY_USER),
        Connect("127.0.0.1", controller.port, PROXY_USER),
    )
    # sync, send, probe: every connection went through the proxy, with its credentials.
    assert socks.connects == [imap, smtp, imap, smtp]


async def test_a_failing_proxy_stops_mail_instead_of_bypassing_it(
    services: Services, world: DemoWorld, tls_server: tuple[Dovecot, Path]
) -> None:
    server, ca_file = tls_server
    controller, sink = start_smtp("px-0", PASSWORD)
    socks = Socks5Server(users={PROXY_USER: PROXY_PASSWORD}).start()
    try:
        box = Mailbox(server, "px-0")
        # Wrong proxy password: refused by the proxy, the servers are never reached.
        account = await _account(
            services,
            world,
            box,
            controller.port,
            proxy_url=socks.url_for(PROXY_USER, "wrong"),
            imap_security="starttls",
            ca_file=str(ca_file),
        )
        ctx = await _context(services, account.id)
        with pytest.raises(ImapError) as imap_refused:
            await asyncio.to_thread(ImapSession, email_settings(ctx))
        assert not imap_refused.value.auth and "proxy" in str(imap_refused.value)
        assert "wrong" not in str(imap_refused.value)
        with pytest.raises(RetryableSendError) as smtp_refused:
            await EmailAdapter().send(None, ctx, reply("k1"))  # type: ignore[arg-type]
        assert smtp_refused.value.fields["outcome"] == "not_sent"
        assert "wrong" not in str(smtp_refused.value)
        health, detail = await probe_mailbox(ctx)
        assert health == "unreachable" and "proxy" in detail
        assert socks.connects == []

        # The proxy is gone: still no direct connection.
        url = socks.url_for(PROXY_USER, QUOTED)
        socks.stop()
        gone = type(ctx)(**{**_fields(ctx), "proxy_url": url})
        with pytest.raises(ImapError):
            await asyncio.to_thread(ImapSession, email_settings(gone))
        with pytest.raises(RetryableSendError):
            await EmailAdapter().send(None, gone, reply("k2"))  # type: ignore[arg-type]
        assert sink.received == []

        # An https:// proxy cannot carry IMAP or SMTP: the account is misconfigured.
        https = type(ctx)(**{**_fields(ctx), "proxy_url": "https://proxy.example:8443"})
        with pytest.raises(InvalidInput) as invalid:
            email_settings(https)
        assert invalid.value.fields["field"] == "proxy_url"
        with pytest.raises(PermanentSendError) as config:
            await EmailAdapter().send(None, https, reply("k3"))  # type: ignore[arg-type]
        assert config.value.fields["reason"] == "config"
        assert sink.received == []
    finally:
        socks.stop()
        controller.stop()


def _fields(context: object) -> dict[str, object]:
    return {name: getattr(context, name) for name in context.__slots__}  # type: ignore[attr-defined]


async def test_worker_marks_an_account_whose_proxy_cannot_carry_mail(
    services: Services, world: DemoWorld, tls_server: tuple[Dovecot, Path]
) -> None:
    server, _ = tls_server
    box = Mailbox(server, "px-0")
    account = await _account(services, world, box, proxy_url="https://proxy.example:8443")
    task = asyncio.create_task(EmailWorker(services).watch(account.id))
    try:
        async with asyncio.timeout(10):
            while True:
                async with services.read_sessionmaker() as session:
                    row = await session.get(ChannelAccount, account.id)
                    assert row is not None
                    if row.health == "error":
                        break
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_implicit_tls_imaps_and_smtps_through_socks5(
    services: Services,
    world: DemoWorld,
    tls_server: tuple[Dovecot, Path],
    socks: Socks5Server,
) -> None:
    server, ca_file = tls_server
    user = f"px-{next(_USERS) % 2}"
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(ca_file.parent / "server.pem", ca_file.parent / "server.key")
    controller, sink = start_smtp(user, PASSWORD, tls_context=context, implicit_tls=True)
    try:
        box = Mailbox(server, user)
        account = await _account(
            services,
            world,
            box,
            controller.port,
            proxy_url=socks.url_for(PROXY_USER, QUOTED),
            imap_port=str(server.imaps_port),
            imap_security="ssl",
            smtp_security="ssl",
            ca_file=str(ca_file),
        )
        ctx = await _context(services, account.id)
        session = await asyncio.to_thread(ImapSession, email_settings(ctx))
        await asyncio.to_thread(session.close)
        await EmailAdapter().send(None, ctx, reply("k-smtps"))  # type: ignore[arg-type]
        assert len(sink.received) == 1
    finally:
        socks.stop()
        controller.stop()
    assert socks.connects == [
        Connect("127.0.0.1", server.imaps_port, PROXY_USER),
        Connect("127.0.0.1", controller.port, PROXY_USER),
    ]
