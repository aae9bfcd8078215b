"""E-mail accounts on an IMAP server without IDLE: the worker polls.

A second real dovecot whose CAPABILITY list has no IDLE (``imap_capability``), with its
rawlog on, so the tests read what the worker really sent and when: no IDLE command, one
``UID SEARCH`` per interval, each mail fetched once.
"""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterator

import pytest
from sqlalchemy import select
from tests.factories import DemoWorld
from tests.fakes.mail.dovecot import Command, Dovecot, new_dovecot
from tests.fakes.mail.smtp import start_smtp
from tests.integration.test_email_channel import (
    PASSWORD,
    SHOP,
    Mailbox,
    _account,
    _context,
    _messages,
    mail,
)

from crossdesk.channels.email.imap import ImapSession
from crossdesk.channels.email.probe import probe_mailbox
from crossdesk.channels.email.settings import email_settings
from crossdesk.db.models import ChannelAccount, EmailCursor, Message
from crossdesk.db.session import transaction
from crossdesk.services import Services
from crossdesk.workers.email import EmailWorker

# dovecot's list without IDLE (and without the extensions crossdesk does not use).
NO_IDLE = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE UIDPLUS NAMESPACE UNSELECT"
BOXES = 12
_NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def polling_server() -> Iterator[Dovecot]:
    server = new_dovecot(
        {f"poll-{n}": PASSWORD for n in range(BOXES)}, capabilities=NO_IDLE, rawlog=True
    )
    yield server
    server.stop()


@pytest.fixture
def mailbox(polling_server: Dovecot) -> Mailbox:
    return Mailbox(polling_server, f"poll-{next(_NUMBERS) % BOXES}")


def _searches(mailbox: Mailbox) -> list[Command]:
    return [c for c in mailbox.server.commands(mailbox.user) if c.text.startswith("UID SEARCH")]


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait for state another process changes (dovecot's rawlog, the database)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_server_without_idle_is_polled_at_the_interval(
    services: Services, world: DemoWorld, mailbox: Mailbox
) -> None:
    account = await _account(services, world, mailbox, poll_seconds="1")
    session = await asyncio.to_thread(
        ImapSession, email_settings(await _context(services, account.id))
    )
    assert not session.supports_idle and "IMAP4REV1" in session.capabilities
    await asyncio.to_thread(session.close)
    already = len(mailbox.server.commands(mailbox.user))

    async def searches_after(count: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return len(_searches(mailbox)) >= count

        return check

    # IDLE would never return within this test: an hour's IDLE, and polling every second.
    worker = EmailWorker(services, idle_seconds=3600)
    task = asyncio.create_task(worker.watch(account.id))
    try:
        await _until(await searches_after(2))
        uid = mailbox.deliver(mail("Delivered between two polls")[1])

        async def stored() -> bool:
            return len(await _messages(services, account.id)) == 1

        await _until(stored)
        seen = len(_searches(mailbox))
        await _until(await searches_after(seen + 2))  # two more polls after the mail
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    commands = mailbox.server.commands(mailbox.user)[already:]
    assert not [c for c in commands if c.text.upper().startswith(("IDLE", "DONE"))]
    watcher = [c for c in _searches(mailbox) if c.session == _searches(mailbox)[0].session]
    gaps = [b.at - a.at for a, b in itertools.pairwise(watcher)]
    assert len(gaps) >= 3 and all(0.9 <= gap <= 3.0 for gap in gaps), gaps
    # Once the mail is stored the cursor is past it: later polls search after it, and
    # the mail is fetched exactly once.
    assert watcher[-1].text == f"UID SEARCH UID {uid + 1}:*"
    fetches = [c for c in commands if c.text.startswith("UID FETCH")]
    assert [c.text.split()[2] for c in fetches] == [str(uid)]
    messages = await _messages(services, account.id)
    assert len(messages) == 1 and messages[0].body_masked.endswith("Delivered between two polls")

    controller, _ = start_smtp(mailbox.user, PASSWORD)
    try:
        await _set_smtp_port(services, account.id, controller.port)
        assert await probe_mailbox(await _context(services, account.id)) == (
            "connected",
            f"{SHOP}: IMAP polling every 1s, SMTP login accepted",
        )
    finally:
        controller.stop()


async def _set_smtp_port(services: Services, account_id: str, port: int) -> None:
    async with transaction(services.sessionmaker) as session:
        account = await session.get(ChannelAccount, account_id)
        assert account is not None
        account.config = {**account.config, "smtp_port": str(port)}


async def test_new_uidvalidity_while_polling_neither_reimports_nor_loses_mail(
    services: Services, world: DemoWorld, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="crossdesk.workers.email")
    account = await _account(services, world, mailbox, poll_seconds="1")
    worker = EmailWorker(services, idle_seconds=3600, retry_seconds=0.2)
    first_id, first = mail("Before the mailbox was recreated")
    mailbox.deliver(first)
    task = asyncio.create_task(worker.watch(account.id))

    async def count(n: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return len(await _messages(services, account.id)) >= n

        return check

    try:
        await _until(await count(1))
        async with services.read_sessionmaker() as session:
            before = await session.get(EmailCursor, (account.id, "INBOX"))
            assert before is not None
            old_validity = before.uidvalidity
        # The mailbox is recreated under the live session (a server migration, a restore):
        # the same first mail again, then a new one, under a new UIDVALIDITY.
        await asyncio.to_thread(mailbox.server.reset_uidvalidity, mailbox.user)
        mailbox.deliver(first)
        later_id, later = mail("After the mailbox was recreated")
        mailbox.deliver(later)
        await _until(await count(2), seconds=15)

        async def cursor_moved() -> bool:
            async with services.read_sessionmaker() as session:
                row = await session.get(EmailCursor, (account.id, "INBOX"))
                return row is not None and row.uidvalidity != old_validity and row.last_uid == 2

        await _until(cursor_moved)
        # One more poll under the new UIDVALIDITY brings nothing twice.
        seen = len(_searches(mailbox))

        async def polled() -> bool:
            return len(_searches(mailbox)) >= seen + 1

        await _until(polled)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    async with services.read_sessionmaker() as session:
        ids = (
            await session.scalars(
                select(Message.platform_message_id).where(Message.account_id == account.id)
            )
        ).all()
    assert sorted(ids) == sorted([first_id, later_id])
    # dovecot ended the live session (BYE): an expected reconnect, not a worker failure.
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert any("ended the session" in r.getMessage() for r in caplog.records)
