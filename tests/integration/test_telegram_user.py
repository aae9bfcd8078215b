"""Telegram user accounts (Telethon) against a local fake server speaking real MTProto 2.0.

The fake (tests/fakes/platforms/mtproto.py) does the genuine key exchange and answers the
encrypted RPCs, so the connector's Telethon client runs unmodified over TCP.
"""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from telethon import errors
from telethon.tl import functions, types
from tests.factories import DemoWorld, bearer, build_world, supervisor_reply
from tests.fakes.mail.socks import Socks5Server
from tests.fakes.platforms.mtproto import MIB, FakeMTProto
from typer.testing import CliRunner

from crossdesk.actions.account_health import probe
from crossdesk.actions.accounts import account_context, create_account
from crossdesk.actions.telegram_login import save_session
from crossdesk.channels.telegram_user.adapter import TelegramUserAdapter, random_id
from crossdesk.channels.telegram_user.client import (
    make_client,
    parse_peer_reference,
    peer_reference,
)
from crossdesk.channels.telegram_user.login import LoginRefused, login
from crossdesk.channels.telegram_user.settings import telegram_user_settings, telethon_proxy
from crossdesk.cli.main import app as cli
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    Attachment,
    AuditEvent,
    ChannelAccount,
    Contact,
    Message,
    Outbox,
    Secret,
)
from crossdesk.db.session import transaction
from crossdesk.domain import Attachment as AttachmentMeta
from crossdesk.domain import ChannelKind, InboundEvent, MessageStatus, OutboundMessage
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.attachments import attachments_root
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
    sent = await supervisor_reply(services, world, account.id, "It left the warehouse today.")
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
        sent = await supervisor_reply(services, world, account.id, text)
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
    await supervisor_reply(services, world, account.id, "Yes!")
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


# -- media ------------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + os.urandom(300_000)  # three 128 KiB parts, the last one short
PDF = b"%PDF-1.7\n" + os.urandom(256 * 1024 - 9)  # exactly two parts
VOICE = b"OggS" + os.urandom(5_000)


async def test_inbound_photo_and_documents_are_downloaded_over_the_account_connection(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    async with asyncio.timeout(30):
        account = await _logged_in(services, world, fake)
        worker = TelegramUserWorker(services)
        await worker.reconcile()
        try:
            await _wait_connected(worker, account.id)
            photo_id = await fake.push_media(PHONE, ALICE, fake.photo_media(JPEG), "The box")
            pdf_id = await fake.push_media(
                PHONE, ALICE, fake.document_media(PDF, "application/pdf", "invoice.pdf")
            )
            voice = fake.document_media(
                VOICE,
                "audio/ogg",
                None,
                attributes=[types.DocumentAttributeAudio(duration=3, voice=True)],
            )
            voice_id = await fake.push_media(PHONE, ALICE, voice)
            await _wait_handled(worker, 3)
            calls = len(fake.get_file_calls)
            # Delivered again (a reconnect's difference may): stored and downloaded once.
            fake.pts += 1
            await fake.push_again(
                fake.accounts[PHONE.lstrip("+")],
                ALICE,
                "The box",
                photo_id,
                fake.pts,
                media=fake.photo_media(JPEG),
            )
            await _wait_handled(worker, 4)
        finally:
            await worker.stop()
    assert len(fake.get_file_calls) == calls
    # Every part was a legal request: 4 KiB steps, inside one MiB, the limit dividing 1 MiB.
    for offset, limit in fake.get_file_calls:
        assert offset % 4096 == 0 and limit % 4096 == 0 and MIB % limit == 0
        assert offset // MIB == (offset + limit - 1) // MIB
    by_id = {m.platform_message_id: m for m in await _messages(services, account.id)}
    assert set(by_id) == {str(photo_id), str(pdf_id), str(voice_id)}
    assert all(m.direction == "inbound" for m in by_id.values())
    files = await _attachments(services)
    photo, pdf, note = (files[by_id[str(i)].id] for i in (photo_id, pdf_id, voice_id))
    assert (photo.kind, photo.content_type, photo.size) == ("image", "image/jpeg", len(JPEG))
    assert photo.platform_file_id is not None and photo.platform_file_id.startswith("photo:")
    assert (pdf.kind, pdf.content_type, pdf.filename) == (
        "document",
        "application/pdf",
        "invoice.pdf",
    )
    assert (note.kind, note.content_type, note.size) == ("audio", "audio/ogg", len(VOICE))
    root = attachments_root(services)
    for row, data in ((photo, JPEG), (pdf, PDF), (note, VOICE)):
        assert row.storage_path is not None and row.storage_path.startswith(world.workspace_id)
        assert (root / row.storage_path).read_bytes() == data
    assert len(list(root.rglob("*.*"))) == 3  # the redelivery left no stray file
    # The largest photo size was fetched, not the thumbnail.
    assert "attachments" not in (by_id[str(photo_id)].stage_notes or {})


async def test_received_photo_is_shown_in_the_conversation_like_other_attachments(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld, fake: FakeMTProto
) -> None:
    services, world = sqlite_services, app_world
    async with asyncio.timeout(30):
        account = await _logged_in(services, world, fake)
        worker = TelegramUserWorker(services)
        await worker.reconcile()
        try:
            await _wait_connected(worker, account.id)
            # Telegram asks to wait a second mid-download: the worker waits and goes on.
            fake.get_file_errors.append((420, "FLOOD_WAIT_1"))
            await fake.push_media(PHONE, ALICE, fake.photo_media(JPEG), "The box")
            await _wait_handled(worker, 1)
        finally:
            await worker.stop()
    assert not fake.get_file_errors
    assert len(fake.get_file_calls) == 1 + 3  # the refused part, then the photo's three parts
    [message] = await _messages(services, account.id)
    assert "attachments" not in message.stage_notes
    row = (await _attachments(services))[message.id]
    supervisor = bearer(world.tokens["supervisor"])  # team A works the account
    served = await client.get(f"/ui/attachments/{row.id}", headers=supervisor)
    assert served.status_code == 200 and served.content == JPEG
    assert served.headers["content-type"] == "image/jpeg"
    other_team = bearer(world.tokens["agent_b"])
    assert (await client.get(f"/ui/attachments/{row.id}", headers=other_team)).status_code == 404
    fragment = await client.get(
        f"/ui/conversations/{message.conversation_id}/attachments", headers=supervisor
    )
    assert f'src="/ui/attachments/{row.id}"' in fragment.text


async def test_oversize_or_false_media_keeps_metadata_and_says_why(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    async with asyncio.timeout(30):
        account = await _logged_in(services, world, fake)
        worker = TelegramUserWorker(services, max_attachment_bytes=64 * 1024)
        await worker.reconcile()
        try:
            await _wait_connected(worker, account.id)
            big = await fake.push_media(
                PHONE, ALICE, fake.document_media(PDF, "application/pdf", "big.pdf"), "Big"
            )
            # Declared small, really bigger: the download is cut at the limit.
            liar = await fake.push_media(
                PHONE,
                ALICE,
                fake.document_media(PDF, "application/pdf", "liar.pdf", declared_size=1000),
            )
            # Claims to be an image, is not one.
            fake_png = await fake.push_media(
                PHONE, ALICE, fake.document_media(os.urandom(2000), "image/png", "x.png")
            )
            # Gone from Telegram's storage: the download fails, the message stays.
            lost_media = fake.photo_media(JPEG[:5000])
            fake.forget_file(lost_media)
            lost = await fake.push_media(PHONE, ALICE, lost_media, "See photo")
            await _wait_handled(worker, 4)
        finally:
            await worker.stop()
    assert fake.get_file_calls and all(offset < 128 * 1024 for offset, _ in fake.get_file_calls)
    by_id = {m.platform_message_id: m for m in await _messages(services, account.id)}
    files = await _attachments(services)
    notes = {}
    for message_id in (big, liar, fake_png, lost):
        message = by_id[str(message_id)]
        row = files[message.id]
        assert row.storage_path is None and row.platform_file_id is not None
        notes[message_id] = message.stage_notes["attachments"]
    assert notes[big] == f"refused: the file has {len(PDF)} bytes; the limit is {64 * 1024}"
    assert notes[liar] == f"refused: the file exceeds {64 * 1024} bytes"
    assert notes[fake_png].startswith("refused: the file claims to be image/png")
    assert notes[lost] == "not downloaded: LocationInvalidError"
    assert by_id[str(big)].direction == "inbound"
    assert not list(attachments_root(services).rglob("*.*"))


async def test_reply_with_a_file_is_uploaded_and_sent_once(
    services: Services, world: DemoWorld, fake: FakeMTProto, tmp_path: Path
) -> None:
    async with asyncio.timeout(30):
        account = await _logged_in(services, world, fake)
        async with services.read_sessionmaker() as session:
            context = await account_context(services, session, account)
        recipient = f"{ALICE}:{fake.contacts[ALICE][0]}"
        photo = tmp_path / "box.jpg"
        photo.write_bytes(JPEG)
        pdf = tmp_path / "stored-0001.pdf"
        pdf.write_bytes(PDF)
        adapter = TelegramUserAdapter()

        def outbound(key: str, path: Path, kind: str, name: str, text: str) -> OutboundMessage:
            meta = AttachmentMeta(kind=kind, filename=name, local_path=str(path))
            return OutboundMessage(key, recipient, text, key, attachments=(meta,))

        first = outbound("f1", photo, "image", "box.jpg", "Your parcel")
        receipt = await adapter.send(None, context, first)  # type: ignore[arg-type]
        again = await adapter.send(None, context, first)  # type: ignore[arg-type]
        doc = await adapter.send(  # type: ignore[arg-type]
            None, context, outbound("f2", pdf, "document", "invoice.pdf", "")
        )
        with pytest.raises(PermanentSendError, match="too long"):
            await adapter.send(  # type: ignore[arg-type]
                None, context, outbound("f3", pdf, "document", "a.pdf", "x" * 1025)
            )
        with pytest.raises(PermanentSendError, match="missing"):
            await adapter.send(  # type: ignore[arg-type]
                None, context, outbound("f4", tmp_path / "gone.pdf", "document", "g.pdf", "")
            )
    assert receipt.platform_message_id.isdigit() and doc.platform_message_id.isdigit()
    assert again.platform_message_id == f"random:{random_id('f1')}"  # not sent twice
    assert len(fake.sent) == 2
    sent_photo, sent_doc = fake.sent
    assert (sent_photo.media_kind, sent_photo.text, sent_photo.media) == (
        "photo",
        "Your parcel",
        JPEG,
    )
    assert sent_photo.random_id == random_id("f1")
    assert (sent_doc.media_kind, sent_doc.mime_type, sent_doc.filename) == (
        "document",
        "application/pdf",
        "invoice.pdf",
    )
    assert sent_doc.media == PDF and sent_doc.text == ""
    assert fake.requests.count("SaveFilePartRequest") == 3 + 2 + 3  # the resend re-uploads


async def test_our_reply_coming_back_is_not_stored_again_either_order(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    async with asyncio.timeout(40):
        account = await _logged_in(services, world, fake)
        worker = TelegramUserWorker(services)
        await worker.reconcile()
        try:
            await _wait_connected(worker, account.id)
            await fake.push_message(PHONE, ALICE, "Where is my parcel?")
            await _wait_handled(worker, 1)

            # 1. The delivery worker commits the id first; the echo comes later.
            first = (await supervisor_reply(services, world, account.id, "On its way.")).message.id
            await DeliveryWorker(services).run_once()
            sent = fake.sent[-1]
            await fake.push_again(
                fake.accounts[PHONE.lstrip("+")],
                ALICE,
                sent.text,
                sent.message_id,
                fake.pts,
                out=True,
            )
            await _wait_handled(worker, 2)

            # 2. The echo arrives while the send is still being answered (no id yet).
            fake.echo_sends = True
            fake.hold_sends = asyncio.Event()
            second = (
                await supervisor_reply(services, world, account.id, "Tracking: 123.")
            ).message.id
            delivery = asyncio.create_task(DeliveryWorker(services).run_once())
            await _wait_handled(worker, 3)
            assert worker.own_sends_skipped == 1
            pending = await _message(services, second)
            # The echo's id is recorded already (should this attempt's answer be lost).
            assert pending.platform_message_id == str(fake.sent[-1].message_id)
            assert pending.status == MessageStatus.SENDING.value
            # 3. Meanwhile the owner types something on the phone: that one is an echo.
            phone_id = await fake.push_echo(PHONE, ALICE, "Tracking: 123. Call me!")
            await _wait_handled(worker, 4)
            fake.hold_sends.set()
            await delivery
        finally:
            await worker.stop()
    assert worker.own_sends_skipped == 1  # case 1 was dropped by its id, before the check
    messages = await _messages(services, account.id)
    assert len(messages) == 4
    ours = [await _message(services, m) for m in (first, second)]
    assert [m.platform_message_id for m in ours] == [str(s.message_id) for s in fake.sent]
    assert all(m.status == MessageStatus.SENT.value and not m.echo for m in ours)
    echoes = [m for m in messages if m.echo]
    assert [m.platform_message_id for m in echoes] == [str(phone_id)]
    assert echoes[0].sender_label == "phone app" and echoes[0].direction == "outbound"


async def test_echo_of_a_reply_whose_resend_was_refused_as_duplicate_gives_it_the_real_id(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    """The first attempt's answer was lost, the resend got RANDOM_ID_DUPLICATE (receipt
    "random:..."): the echo of the first attempt is ours, and carries the id we lacked."""
    async with asyncio.timeout(30):
        account = await _logged_in(services, world, fake)
        worker = TelegramUserWorker(services)
        contact = f"{ALICE}:{fake.contacts[ALICE][0]}"
        assert await worker.store(account.id, InboundEvent("900", contact, "Hi", utcnow()))
        reply = (await supervisor_reply(services, world, account.id, "Hello Alice")).message.id
        await DeliveryWorker(services).run_once()
        real_id = (await _message(services, reply)).platform_message_id
        assert real_id is not None and real_id.isdigit()
        async with transaction(services.sessionmaker) as session:
            row = await session.get(Message, reply)
            assert row is not None
            row.platform_message_id = f"random:{random_id('lost')}"
        echo = InboundEvent(real_id, contact, "Hello Alice", utcnow(), echo=True, kind="echo")
        assert not await worker.store(account.id, echo)
        assert (await _message(services, reply)).platform_message_id == real_id
        # Same text, but nothing of ours is waiting for an id: typed on the phone.
        again = InboundEvent("9999", contact, "Hello Alice", utcnow(), echo=True, kind="echo")
        assert await worker.store(account.id, again)
    assert worker.own_sends_skipped == 1
    stored = {m.platform_message_id: m for m in await _messages(services, account.id)}
    assert stored["9999"].echo and stored["9999"].sender_label == "phone app"
    assert not stored[real_id].echo


async def test_fake_get_file_follows_the_documented_part_rules(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    """The fake answers upload.getFile as core.telegram.org/api/files says, so a client bug
    (or a fake bug) shows up as an error or a short part, never as an endless download."""
    account = await _logged_in(services, world, fake)
    async with services.read_sessionmaker() as session:
        settings = telegram_user_settings(await account_context(services, session, account))
    media = fake.document_media(PDF, "application/pdf", "a.pdf")
    document = media.document
    location = types.InputDocumentFileLocation(
        document.id, document.access_hash, document.file_reference, ""
    )
    telegram = make_client(settings)
    async with asyncio.timeout(30):
        await telegram.connect()
        try:

            async def part(offset: int, limit: int) -> bytes:
                result = await telegram(functions.upload.GetFileRequest(location, offset, limit))
                assert isinstance(result.type, types.storage.FilePdf)
                return bytes(result.bytes)

            assert await part(0, 128 * 1024) == PDF[: 128 * 1024]
            assert await part(128 * 1024, 128 * 1024) == PDF[128 * 1024 :]
            assert await part(256 * 1024, 128 * 1024) == b""  # past the end: empty, done
            assert await part(192 * 1024, 128 * 1024) == PDF[192 * 1024 :]  # short: done
            for offset, limit in ((0, 1000), (0, 3 * 4096), (0, 2 * MIB), (MIB - 4096, 8192)):
                with pytest.raises(errors.LimitInvalidError):
                    await part(offset, limit)
            with pytest.raises(errors.OffsetInvalidError):
                await part(100, 4096)
            stale = types.InputDocumentFileLocation(document.id, document.access_hash, b"old", "")
            with pytest.raises(errors.FileReferenceExpiredError):
                await telegram(functions.upload.GetFileRequest(stale, 0, 4096))
        finally:
            await telegram.disconnect()


async def _attachments(services: Services) -> dict[str, Attachment]:
    """Attachment rows by message id."""
    async with services.read_sessionmaker() as session:
        rows = (await session.scalars(select(Attachment))).all()
    return {row.message_id: row for row in rows}


async def _wait_handled(worker: TelegramUserWorker, count: int) -> None:
    for _ in range(400):
        if worker.handled >= count:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"the worker handled {worker.handled} updates, not {count}")


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


async def test_login_and_probe_go_through_the_accounts_socks5_proxy(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    proxy = Socks5Server(users={"shop": "proxy-pass"}).start()
    try:
        account = await _account(services, world, fake)
        async with transaction(services.sessionmaker) as session:
            row = await session.get(ChannelAccount, account.id)
            assert row is not None
            row.proxy_url = proxy.url_for("shop", "proxy-pass")
        async with services.read_sessionmaker() as session:
            refreshed = await session.get(ChannelAccount, account.id)
            assert refreshed is not None
        await _login_existing(services, refreshed)
        logins = len(proxy.connects)
        assert logins >= 1  # the login's key exchange and RPCs went through the proxy
        async with services.read_sessionmaker() as session:
            context = await account_context(services, session, refreshed)
        result = await asyncio.wait_for(probe(None, context), 30)  # type: ignore[arg-type]
        assert result.health == "connected", result.detail
        assert len(proxy.connects) > logins
        assert {(c.host, c.port, c.user) for c in proxy.connects} == {
            ("127.0.0.1", fake.port, "shop")
        }
    finally:
        proxy.stop()


async def test_a_wrong_proxy_password_is_an_unreachable_account_not_a_bypass(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    proxy = Socks5Server(users={"shop": "proxy-pass"}).start()
    try:
        account = await _logged_in(services, world, fake)
        direct = fake.connections
        async with transaction(services.sessionmaker) as session:
            row = await session.get(ChannelAccount, account.id)
            assert row is not None
            row.proxy_url = proxy.url_for("shop", "wrong")
        async with services.read_sessionmaker() as session:
            refreshed = await session.get(ChannelAccount, account.id)
            assert refreshed is not None
            context = await account_context(services, session, refreshed)
        result = await asyncio.wait_for(probe(None, context), 30)  # type: ignore[arg-type]
        assert result.health != "connected"
        assert "proxy-pass" not in (result.detail or "") and "wrong" not in (result.detail or "")
        assert fake.connections == direct  # nothing went around the proxy
    finally:
        proxy.stop()
