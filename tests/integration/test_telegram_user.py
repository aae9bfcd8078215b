"""Telegram user accounts (Telethon) against a local fake server speaking real MTProto 2.0.

The fake (tests/fakes/platforms/mtproto.py) does the genuine key exchange and answers the
encrypted RPCs, so the connector's Telethon client runs unmodified over TCP.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from tests.factories import DemoWorld, build_world
from tests.fakes.platforms.mtproto import FakeMTProto
from typer.testing import CliRunner

from crossdesk.actions.account_health import probe
from crossdesk.actions.accounts import account_context, create_account
from crossdesk.actions.identity import principal_for
from crossdesk.actions.send_reply import send_reply
from crossdesk.actions.telegram_login import save_session
from crossdesk.channels.telegram_user.adapter import TelegramUserAdapter, random_id
from crossdesk.channels.telegram_user.client import parse_peer_reference, peer_reference
from crossdesk.channels.telegram_user.login import LoginRefused, login
from crossdesk.channels.telegram_user.settings import telegram_user_settings, telethon_proxy
from crossdesk.cli.main import app as cli
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    AuditEvent,
    ChannelAccount,
    Contact,
    Conversation,
    Message,
    Outbox,
    Secret,
)
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, InboundEvent, MessageStatus, OutboundMessage
from crossdesk.errors import InvalidInput, RetryableSendError
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.delivery import DeliveryWorker
from crossdesk.workers.telegram_user import TelegramUserWorker

PHONE = "+15550001234"
CODE = "24680"
PHONE_2FA = "+15550009876"
PASSWORD_2FA = "correct horse battery"
API_HASH = "0123456789abcdef0123456789abcdef"
ALICE = 4242


@pytest.fixture
async def fake() -> AsyncIterator[FakeMTProto]:
    async with FakeMTProto() as server:
        server.add_account(PHONE, CODE)
        server.add_account(PHONE_2FA, CODE, password=PASSWORD_2FA)
        server.add_contact(ALICE, "Alice")
        yield server


async def _account(services: Services, world: DemoWorld, fake: FakeMTProto) -> ChannelAccount:
    async with transaction(services.sessionmaker) as session:
        return await create_account(
            services,
            session,
            world.workspace_id,
            kind=ChannelKind.TELEGRAM_USER,
            name="Shop Telegram",
            external_id=PHONE,
            team_id=world.team_a,
            config={
                "api_id": "12345",
                "dc_id": "2",
                "dc_host": "127.0.0.1",
                "dc_port": str(fake.port),
            },
            secrets={"api_hash": API_HASH},
            actor=audit.SYSTEM,
        )


def _answers(*values: str):  # type: ignore[no-untyped-def]
    queue = list(values)

    async def ask() -> str:
        return queue.pop(0)

    return ask


async def _logged_in(services: Services, world: DemoWorld, fake: FakeMTProto) -> ChannelAccount:
    account = await _account(services, world, fake)
    await _login_existing(services, account)
    return account


async def _login_existing(services: Services, account: ChannelAccount) -> None:
    async with services.read_sessionmaker() as session:
        settings = telegram_user_settings(await account_context(services, session, account))
    session_string, user_id = await login(settings, PHONE, _answers(CODE), _answers())
    async with transaction(services.sessionmaker) as session:
        await save_session(services, session, account.id, session_string, user_id, audit.SYSTEM)


async def test_login_with_code_stores_the_session_sealed(
    services: Services, world: DemoWorld, fake: FakeMTProto, tmp_path: Path
) -> None:
    account = await _account(services, world, fake)
    async with services.read_sessionmaker() as session:
        settings = telegram_user_settings(await account_context(services, session, account))
    # A wrong code is refused by Telegram and asked again; the right one logs in.
    session_string, user_id = await login(settings, PHONE, _answers("11111", CODE), _answers())
    assert user_id == fake.accounts[PHONE.lstrip("+")].user_id
    assert fake.requests.count("SignInRequest") == 2
    async with transaction(services.sessionmaker) as session:
        await save_session(services, session, account.id, session_string, user_id, audit.SYSTEM)

    async with services.read_sessionmaker() as session:
        context = await account_context(services, session, account)
        assert context.secrets["session"] == session_string
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "account.telegram_login")
        )
        assert event is not None and event.target_id == account.id
        assert session_string not in str(event.data)
    assert session_string not in repr(telegram_user_settings(context))
    # SQLite: the session is not in the database file in clear (PostgreSQL: not in any row).
    files = await asyncio.to_thread(lambda: [p.read_bytes() for p in tmp_path.glob("test.db*")])
    assert all(session_string.encode() not in data for data in files)
    async with services.read_sessionmaker() as session:
        blobs = (await session.scalars(select(Secret.blob))).all()
        assert blobs and all(session_string.encode() not in blob for blob in blobs)

    # Only wrong codes: the login is refused with a clear reason, nothing is stored.
    with pytest.raises(LoginRefused, match="wrong too many times"):
        await login(settings, PHONE, _answers("1", "2", "3"), _answers())
    with pytest.raises(LoginRefused, match="does not know this phone"):
        await login(settings, "+15559999999", _answers(CODE), _answers())


async def test_login_with_two_step_verification_password(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _account(services, world, fake)
    async with services.read_sessionmaker() as session:
        settings = telegram_user_settings(await account_context(services, session, account))
    # The password is checked by SRP: the fake verifies the client's proof, as Telegram does.
    with pytest.raises(LoginRefused, match="password is wrong"):
        await login(settings, PHONE_2FA, _answers(CODE), _answers("not it"))
    session_string, user_id = await login(
        settings, PHONE_2FA, _answers(CODE), _answers(PASSWORD_2FA)
    )
    assert user_id == fake.accounts[PHONE_2FA.lstrip("+")].user_id
    assert fake.requests.count("CheckPasswordRequest") == 2
    async with transaction(services.sessionmaker) as session:
        await save_session(services, session, account.id, session_string, user_id, audit.SYSTEM)
    async with services.read_sessionmaker() as session:
        context = await account_context(services, session, account)
    assert (await probe(None, context)).health == "connected"  # type: ignore[arg-type]


async def test_pushed_message_reaches_the_inbox_once_and_reply_goes_out(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _logged_in(services, world, fake)
    worker = TelegramUserWorker(services)
    await worker.reconcile()
    try:
        for _ in range(200):  # the worker connects with the saved session, no password
            if account.id in worker.clients:
                break
            await asyncio.sleep(0.05)
        assert account.id in worker.clients
        message_id = await fake.push_message(PHONE, ALICE, "Hi, where is my parcel?")
        await _wait_for_messages(services, account.id, 1)
        # The same message delivered again under a new pts (as a difference after a
        # reconnect may): Telethon passes it on, the inbox stores it once.
        fake.pts += 1
        await fake.push_again(
            fake.accounts[PHONE.lstrip("+")], ALICE, "Hi, where is my parcel?", message_id, fake.pts
        )
        await fake.push_message(PHONE, ALICE, "Hello?")  # a marker: handled after the resend
        await _wait_for_messages(services, account.id, 2)
    finally:
        await worker.stop()
    messages = await _messages(services, account.id)
    ids = sorted(m.platform_message_id or "" for m in messages)
    assert len(messages) == 2 and ids.count(str(message_id)) == 1
    assert all(m.direction == "inbound" for m in messages)
    async with services.sessionmaker() as session:
        contact = await session.scalar(select(Contact).where(Contact.account_id == account.id))
        assert contact is not None and contact.platform_user_id.startswith(f"{ALICE}:")
        supervisor = await principal_for(session, world.users["supervisor"])
        conversation = await session.scalar(
            select(Conversation).where(Conversation.account_id == account.id)
        )
        assert conversation is not None
        sent = await send_reply(
            services,
            session,
            supervisor,
            conversation,
            "It left the warehouse today.",
            idempotency_key=None,
            actor=audit.Actor(supervisor.user_id),
            allow_untranslated=True,
        )
    await DeliveryWorker(services).run_once()
    assert len(fake.sent) == 1
    assert fake.sent[0].peer_user_id == ALICE
    assert fake.sent[0].text == "It left the warehouse today."
    async with services.read_sessionmaker() as session:
        stored = await session.get(Message, sent.message.id)
        assert stored is not None and stored.status == MessageStatus.SENT.value
        assert stored.platform_message_id is not None and stored.platform_message_id.isdigit()


async def test_message_typed_in_the_phone_app_is_an_outbound_echo(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _logged_in(services, world, fake)
    worker = TelegramUserWorker(services)
    await worker.reconcile()
    try:
        for _ in range(200):
            if account.id in worker.clients:
                break
            await asyncio.sleep(0.05)
        await fake.push_message(PHONE, ALICE, "Is it in stock?")
        echo_id = await fake.push_echo(PHONE, ALICE, "Yes, two left.")
        await _wait_for_messages(services, account.id, 2)
    finally:
        await worker.stop()
    messages = {m.platform_message_id: m for m in await _messages(services, account.id)}
    echo = messages[str(echo_id)]
    assert echo.direction == "outbound"
    async with services.read_sessionmaker() as session:
        contacts = (
            await session.scalars(select(Contact).where(Contact.account_id == account.id))
        ).all()
        assert len(contacts) == 1  # the echo belongs to Alice's conversation, not to us


async def test_read_receipt_marks_outbound_messages_up_to_max_id_as_read(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _logged_in(services, world, fake)
    worker = TelegramUserWorker(services)
    access_hash = fake.contacts[ALICE][0]
    inbound = InboundEvent("901", f"{ALICE}:{access_hash}", "Do you ship to Spain?", utcnow())
    assert await worker.store(account.id, inbound)
    replies = []
    for text in ("Yes, we do.", "It takes five days."):
        async with services.sessionmaker() as session:
            supervisor = await principal_for(session, world.users["supervisor"])
            conversation = await session.scalar(
                select(Conversation).where(Conversation.account_id == account.id)
            )
            assert conversation is not None
            sent = await send_reply(
                services,
                session,
                supervisor,
                conversation,
                text,
                idempotency_key=None,
                actor=audit.Actor(supervisor.user_id),
                allow_untranslated=True,
            )
        await DeliveryWorker(services).run_once()
        replies.append(sent.message.id)
    first, second = [await _message(services, message_id) for message_id in replies]
    assert first.status == second.status == MessageStatus.SENT.value
    assert first.platform_message_id is not None and second.platform_message_id is not None
    # The fake does not repeat our sends to the worker's session (Telegram would, as
    # updateNewMessage): connecting after them keeps the worker's pts in step with the fake's.
    await worker.reconcile()
    try:
        await _wait_connected(worker, account.id)
        # Alice opened the chat after the first reply only: Telegram's watermark is its id.
        await fake.push_read(PHONE, ALICE, int(first.platform_message_id))
        await _wait_for_status(services, replies[0], MessageStatus.READ)
        assert (await _message(services, replies[1])).status == MessageStatus.SENT.value
        # A later read covers both; an old watermark delivered again changes nothing.
        await fake.push_read(PHONE, ALICE, int(second.platform_message_id))
        await _wait_for_status(services, replies[1], MessageStatus.READ)
        assert await worker.mark_read(account.id, ALICE, int(second.platform_message_id)) == 0
        # A watermark of another user never touches Alice's messages.
        assert await worker.mark_read(account.id, ALICE + 1, 10**9) == 0
    finally:
        await worker.stop()
    received = [m for m in await _messages(services, account.id) if m.direction == "inbound"]
    assert [m.status for m in received] == [MessageStatus.RECEIVED.value]


async def test_flood_wait_is_honoured_and_resends_are_not_doubled(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _logged_in(services, world, fake)
    async with services.read_sessionmaker() as session:
        context = await account_context(services, session, account)
    access_hash = fake.contacts[ALICE][0]
    outbound = OutboundMessage(
        message_id="m1", recipient_id=f"{ALICE}:{access_hash}", text="Hello", idempotency_key="k1"
    )
    adapter = TelegramUserAdapter()
    fake.flood_wait.append(37)
    with pytest.raises(RetryableSendError) as caught:
        await adapter.send(None, context, outbound)  # type: ignore[arg-type]
    assert caught.value.retry_after == 37.0
    assert fake.sent == []
    receipt = await adapter.send(None, context, outbound)  # type: ignore[arg-type]
    assert fake.sent[0].random_id == random_id("k1")
    # A resend of the same outbox row (after a crash) is refused by Telegram: not doubled.
    again = await adapter.send(None, context, outbound)  # type: ignore[arg-type]
    assert len(fake.sent) == 1
    assert receipt.platform_message_id.isdigit() and again.platform_message_id.startswith("random:")


async def test_flood_wait_reaches_the_outbox_retry_time(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _logged_in(services, world, fake)
    worker = TelegramUserWorker(services)
    access_hash = fake.contacts[ALICE][0]
    event = InboundEvent(
        platform_message_id="900",
        sender_id=f"{ALICE}:{access_hash}",
        text="Hello?",
        sent_at=utcnow(),
    )
    assert await worker.store(account.id, event)
    assert not await worker.store(account.id, event)  # a redelivery is stored once
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
        conversation = await session.scalar(
            select(Conversation).where(Conversation.account_id == account.id)
        )
        assert conversation is not None
        await send_reply(
            services,
            session,
            supervisor,
            conversation,
            "Yes!",
            idempotency_key=None,
            actor=audit.Actor(supervisor.user_id),
            allow_untranslated=True,
        )
    fake.flood_wait.append(120)
    started = utcnow()
    await DeliveryWorker(services).run_once()
    assert fake.sent == []
    async with services.read_sessionmaker() as session:
        row = await session.scalar(select(Outbox).where(Outbox.account_id == account.id))
        assert row is not None and row.state == "pending"
        assert row.next_attempt_at is not None
        next_at = row.next_attempt_at.replace(tzinfo=started.tzinfo)
        assert (next_at - started).total_seconds() >= 119


async def test_health_probe_uses_the_saved_session(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    account = await _account(services, world, fake)
    async with services.read_sessionmaker() as session:
        context = await account_context(services, session, account)
    assert (await probe(None, context)).health == "auth_failed"  # type: ignore[arg-type]
    await _login_existing(services, account)
    async with services.read_sessionmaker() as session:
        context = await account_context(services, session, account)
    result = await probe(None, context)  # type: ignore[arg-type]
    assert result.health == "connected", result.detail


def test_settings_are_validated() -> None:
    from crossdesk.channels.base import AccountContext

    def ctx(
        config: dict[str, str], secrets: dict[str, str], proxy: str | None = None
    ) -> AccountContext:
        return AccountContext("a", "w", ChannelKind.TELEGRAM_USER, "x", config, secrets, proxy)

    with pytest.raises(InvalidInput, match="api_id"):
        telegram_user_settings(ctx({"api_id": "abc"}, {"api_hash": API_HASH}))
    with pytest.raises(InvalidInput, match="api_hash"):
        telegram_user_settings(ctx({"api_id": "1"}, {"api_hash": "short"}))
    with pytest.raises(InvalidInput, match="proxy"):
        telegram_user_settings(ctx({"api_id": "1"}, {"api_hash": API_HASH}, "ftp://x:1"))
    assert telethon_proxy("socks5://u:p%40ss@10.0.0.1:1081") == {
        "proxy_type": "socks5",
        "addr": "10.0.0.1",
        "port": 1081,
        "rdns": True,
        "username": "u",
        "password": "p@ss",
    }


async def test_cli_login_prompts_for_the_code_and_stores_the_session(
    sqlite_services: Services, fake: FakeMTProto, tmp_path: Path, sqlite_url: str
) -> None:
    services = sqlite_services
    world = await build_world(services)
    account = await _account(services, world, fake)
    secret_key = services.settings.secret_key
    assert secret_key is not None
    env = {
        "CROSSDESK_DATA_DIR": str(tmp_path),
        "CROSSDESK_DATABASE_URL": sqlite_url,
        "CROSSDESK_SECRET_KEY": secret_key.get_secret_value(),
    }
    args = ["account", "telegram-login", account.id, "--phone", PHONE]
    # The CLI runs its own event loop: in a thread, while the fake serves on this loop.
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, args, input="00000\n" + CODE + "\n", env=env
    )
    assert result.exit_code == 0, result.output
    assert "logged in as Telegram user" in result.output
    async with services.read_sessionmaker() as session:
        context = await account_context(services, session, account)
    session_string = context.secrets["session"]
    assert session_string not in result.output
    # The stored session works on its own: no code, no password.
    worker = TelegramUserWorker(services)
    await worker.reconcile()
    try:
        for _ in range(200):
            if account.id in worker.clients:
                break
            await asyncio.sleep(0.05)
        assert account.id in worker.clients
    finally:
        await worker.stop()

    refused = await asyncio.to_thread(CliRunner().invoke, cli, args, input="1\n2\n3\n", env=env)
    assert refused.exit_code == 1 and "wrong too many times" in refused.output


@given(st.integers(1, 2**53), st.integers(-(2**63), 2**63 - 1))
def test_peer_reference_round_trips(user_id: int, access_hash: int) -> None:
    assert parse_peer_reference(peer_reference(user_id, access_hash)) == (user_id, access_hash)


@given(st.text(max_size=30))
def test_peer_reference_parser_refuses_garbage_clearly(text: str) -> None:
    try:
        user_id, access_hash = parse_peer_reference(text)
    except ValueError as exc:
        assert "user_id:access_hash" in str(exc)
    else:
        assert isinstance(user_id, int) and isinstance(access_hash, int)


async def _messages(services: Services, account_id: str) -> list[Message]:
    async with services.read_sessionmaker() as session:
        return list(
            (await session.scalars(select(Message).where(Message.account_id == account_id))).all()
        )


async def _wait_connected(worker: TelegramUserWorker, account_id: str) -> None:
    for _ in range(200):  # the worker connects with the saved session, no password
        if account_id in worker.clients:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker did not connect")


async def _message(services: Services, message_id: str) -> Message:
    async with services.read_sessionmaker() as session:
        message = await session.get(Message, message_id)
    assert message is not None
    return message


async def _wait_for_status(services: Services, message_id: str, status: MessageStatus) -> None:
    for _ in range(200):
        if (await _message(services, message_id)).status == status.value:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"message never became {status.value}")


async def _wait_for_messages(services: Services, account_id: str, count: int) -> None:
    for _ in range(200):
        if len(await _messages(services, account_id)) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} messages")
