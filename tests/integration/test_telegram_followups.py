"""Telegram user accounts, issue 6 follow-ups, against the local fake MTProto server:
the worker picks up a login from the accounts page within seconds, health is never raced
back to auth_failed over a fresh login, the "not logged in" messages name the accounts page,
and a reply whose answer was lost keeps the real Telegram id taken from its echo.
"""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from tests.factories import DemoWorld, asgi_client, bearer, build_world, supervisor_reply
from tests.fakes.platforms.mtproto import FakeMTProto
from tests.integration.test_telegram_login_ui import _add, _code, _log_in, _send_code
from tests.integration.test_telegram_user import (
    ALICE,
    _logged_in,
    _login_existing,
    _message,
    _messages,
    _wait_connected,
    _wait_for_status,
    _wait_handled,
)
from tests.integration.test_telegram_user import _account as _new_account

from crossdesk.actions.account_health import probe
from crossdesk.actions.accounts import account_context
from crossdesk.channels.telegram_user.adapter import TelegramUserAdapter, random_id
from crossdesk.db.base import utcnow
from crossdesk.db.models import ChannelAccount, Outbox
from crossdesk.domain import InboundEvent, MessageStatus, OutboundMessage
from crossdesk.errors import PermanentSendError
from crossdesk.services import Services
from crossdesk.web.app import create_app
from crossdesk.workers import telegram_user
from crossdesk.workers.delivery import DeliveryWorker
from crossdesk.workers.telegram_user import TelegramUserWorker

PHONE = "+15550001234"
CODE = "24680"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMTProto]:
    async with FakeMTProto() as server:
        server.add_account(PHONE, CODE)
        server.add_contact(ALICE, "Alice")
        yield server


@pytest.fixture
async def web(services: Services) -> AsyncIterator[tuple[httpx.AsyncClient, DemoWorld]]:
    world = await build_world(services)
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client, world


async def _health(services: Services, account_id: str) -> str:
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
    assert account is not None
    return account.health


async def _wait_health(services: Services, account_id: str, health: str) -> None:
    """Poll the database (the worker signals nothing else); callers put a timeout on it."""
    for _ in range(400):
        if await _health(services, account_id) == health:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"health never became {health}")


async def test_worker_listens_within_seconds_after_a_login_on_the_accounts_page(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    assert telegram_user.AUTH_BACKOFF >= 600  # the fallback wait is long: the check must act
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    worker = TelegramUserWorker(services)
    await worker.reconcile()
    try:
        async with asyncio.timeout(5):  # no session yet: the worker says so and waits
            await _wait_health(services, account_id, "auth_failed")
        login = await _send_code(client, csrf, account_id, PHONE)
        assert (await _code(client, csrf, account_id, login, CODE)).status_code == 303
        async with asyncio.timeout(15):  # "within seconds", not AUTH_BACKOFF
            await _wait_connected(worker, account_id)
        await fake.push_message(PHONE, ALICE, "Hello, is anyone there?")
        async with asyncio.timeout(5):
            await _wait_handled(worker, 1)
    finally:
        await worker.stop()
    (received,) = await _messages(services, account_id)
    assert received.direction == "inbound"
    assert await _health(services, account_id) == "connected"


async def test_auth_failed_is_never_written_over_a_login_saved_meanwhile(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _new_account(services, world, fake)
    worker = TelegramUserWorker(services)
    before = await worker.settings_fingerprint(account.id)  # the worker found no session...
    await _login_existing(services, account)  # ...an admin logs in before it writes health
    assert await worker.settings_fingerprint(account.id) != before
    assert not await worker.mark_auth_failed(account.id, before)
    assert await _health(services, account.id) == "connected"
    # A failure of the session the worker actually tried is still reported.
    current = await worker.settings_fingerprint(account.id)
    assert await worker.mark_auth_failed(account.id, current)
    assert await _health(services, account.id) == "auth_failed"
    # Waiting ends as soon as the stored session changes (a new login), not after a timeout.
    waiting = asyncio.create_task(worker.wait_for_change(account.id, current, 60))
    await _login_existing(services, account)
    async with asyncio.timeout(15):
        assert await waiting


async def test_worker_reconnects_after_the_ended_session_is_replaced(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    """Telegram ended the session (the owner terminated it): the worker waits for a login,
    not 15 minutes, and listens with the new session."""
    account = await _logged_in(services, world, fake)
    fake.end_sessions(PHONE)
    worker = TelegramUserWorker(services)
    await worker.reconcile()
    try:
        async with asyncio.timeout(10):
            await _wait_health(services, account.id, "auth_failed")
        assert account.id not in worker.clients
        await _login_existing(services, account)
        async with asyncio.timeout(15):  # "within seconds", not AUTH_BACKOFF
            await _wait_connected(worker, account.id)
        await fake.push_message(PHONE, ALICE, "Back again")
        async with asyncio.timeout(5):
            await _wait_handled(worker, 1)
    finally:
        await worker.stop()
    assert len(await _messages(services, account.id)) == 1


async def test_not_logged_in_messages_name_the_accounts_page(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _new_account(services, world, fake)
    async with services.read_sessionmaker() as session:
        context = await account_context(services, session, account)
    checked = await probe(None, context)  # type: ignore[arg-type]
    assert checked.health == "auth_failed"
    assert "crossdesk account telegram-login" in checked.detail
    assert "Log in on the accounts page" in checked.detail
    outbound = OutboundMessage(
        message_id="m1", recipient_id=f"{ALICE}:1", text="Hello", idempotency_key="k1"
    )
    with pytest.raises(PermanentSendError, match="Log in on the accounts page"):
        await TelegramUserAdapter().send(None, context, outbound)  # type: ignore[arg-type]


async def test_lost_answer_resend_refused_as_duplicate_keeps_the_real_id_from_the_echo(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    """The send reached Telegram, its answer was lost (the connection dropped); Telethon sent
    it again and Telegram refused the duplicate random_id, so the receipt is only "random:".
    The echo of the first attempt gave the worker the real id: it stays, and read receipts
    find the reply."""
    async with asyncio.timeout(40):
        account = await _logged_in(services, world, fake)
        worker = TelegramUserWorker(services)
        await worker.reconcile()
        try:
            await _wait_connected(worker, account.id)
            await fake.push_message(PHONE, ALICE, "Where is my parcel?")
            await _wait_handled(worker, 1)
            reply = (
                await supervisor_reply(services, world, account.id, "It left today.")
            ).message.id
            fake.echo_sends = True
            fake.hold_sends = asyncio.Event()
            fake.lose_answers = 1
            delivery = asyncio.create_task(DeliveryWorker(services).run_once())
            await _wait_handled(worker, 2)  # the echo, while the send is unanswered
            assert worker.own_sends_skipped == 1
            fake.hold_sends.set()
            await delivery
            (sent,) = fake.sent  # Telegram has it once
            assert fake.requests.count("SendMessageRequest") >= 2  # resends were refused
            stored = await _message(services, reply)
            assert stored.status == MessageStatus.SENT.value
            assert stored.platform_message_id == str(sent.message_id)
            await fake.push_read(PHONE, ALICE, sent.message_id)
            await _wait_for_status(services, reply, MessageStatus.READ)
        finally:
            await worker.stop()
    async with services.read_sessionmaker() as session:
        outbox = await session.scalar(select(Outbox).where(Outbox.message_id == reply))
    assert outbox is not None and outbox.state == "done"


async def test_placeholder_receipt_is_recorded_when_no_echo_gave_the_real_id(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    """No listening connection saw the echo and the answer was lost: the resend's
    placeholder is all there is (the outbox row is done, not resent again)."""
    account = await _logged_in(services, world, fake)
    worker = TelegramUserWorker(services)
    async with asyncio.timeout(30):
        await worker.reconcile()
        try:
            await _wait_connected(worker, account.id)
            await fake.push_message(PHONE, ALICE, "Hi")
            await _wait_handled(worker, 1)
        finally:
            await worker.stop()
        first = (await supervisor_reply(services, world, account.id, "First")).message.id
        await DeliveryWorker(services).run_once()
        real = (await _message(services, first)).platform_message_id
        assert real is not None and real.isdigit()
        # No echo reached us and the answer was lost: the resend's placeholder is recorded.
        fake.lose_answers = 1
        second = (await supervisor_reply(services, world, account.id, "Second")).message.id
        await DeliveryWorker(services).run_once()
        async with services.read_sessionmaker() as session:
            key = await session.scalar(
                select(Outbox.idempotency_key).where(Outbox.message_id == second)
            )
        assert key is not None
        placeholder = (await _message(services, second)).platform_message_id
        assert placeholder == f"random:{random_id(key)}"
        assert (await _message(services, first)).platform_message_id == real


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n" + b"x" * 200_000


async def test_files_uploaded_in_the_composer_reach_a_telegram_user_contact(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    """The whole path: the upload API stores the file, the real DeliveryWorker hands its
    local path to the adapter, which uploads it in parts and sends it with messages.sendMedia
    (a PNG as a photo with its caption, a PDF as a document with its name)."""
    account = await _logged_in(services, world, fake)
    worker = TelegramUserWorker(services)
    contact = f"{ALICE}:{fake.contacts[ALICE][0]}"
    assert await worker.store(account.id, InboundEvent("900", contact, "Photo?", utcnow()))
    (inbound,) = await _messages(services, account.id)
    sent_ids = []
    async with asgi_client(create_app(services.settings, services=services)) as client:
        for name, data, text in (("shoe.png", PNG, "Model A"), ("invoice.pdf", PDF, "")):
            response = await client.post(
                f"/api/v1/conversations/{inbound.conversation_id}/attachments",
                headers=bearer(world.tokens["supervisor"]),
                files={"file": (name, data, "application/octet-stream")},
                data={"text": text, "send_as_written": "true"},
            )
            assert response.status_code == 201, response.text
            async with asyncio.timeout(30):
                assert await DeliveryWorker(services).run_once() == 1
            sent_ids.append(response.json()["message"]["id"])
    photo, document = fake.sent
    assert (photo.media_kind, photo.media, photo.text, photo.peer_user_id) == (
        "photo",
        PNG,
        "Model A",
        ALICE,
    )
    assert (document.media_kind, document.filename, document.mime_type) == (
        "document",
        "invoice.pdf",
        "application/pdf",
    )
    assert document.media == PDF and document.text == ""
    assert fake.requests.count("SaveFilePartRequest") >= 2  # the PDF went up in parts
    for message_id, sent in zip(sent_ids, fake.sent, strict=True):
        stored = await _message(services, message_id)
        assert stored.status == MessageStatus.SENT.value, stored.error
        assert stored.platform_message_id == str(sent.message_id)
