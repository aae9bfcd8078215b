"""Received files that were not stored say why in the conversation: "refused" (too big, a
type we do not take) or "could not be downloaded" (the platform would not give it, or it
kept failing), apart from files still waiting for the attachment worker. The same for the
platforms the attachment worker fetches (per-attachment notes) and for Telegram user
accounts (the worker's one note for the message's file)."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from tests.factories import DemoWorld, asgi_client, bearer, build_world, receive
from tests.fakes.platforms.mtproto import FakeMTProto
from tests.integration.test_telegram_user import (
    ALICE,
    JPEG,
    PDF,
    PHONE,
    _logged_in,
    _wait_connected,
    _wait_handled,
)

from crossdesk.actions.accounts import create_account
from crossdesk.db.base import utcnow
from crossdesk.db.models import Attachment, ChannelAccount, Message
from crossdesk.db.session import transaction
from crossdesk.domain import Attachment as AttachmentMeta
from crossdesk.domain import ChannelKind, InboundEvent, new_id
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.web.app import create_app
from crossdesk.workers.attachments import (
    AttachmentWorker,
    DownloadProblem,
    download_problems,
)
from crossdesk.workers.telegram_user import TelegramUserWorker

BOT_TOKEN = "7012345678:AAH-states"
LIMIT = 4096


@pytest.fixture
async def fake() -> AsyncIterator[FakeMTProto]:
    async with FakeMTProto() as server:
        server.add_account(PHONE, "24680")
        server.add_contact(ALICE, "Alice")
        yield server


@pytest.fixture
async def web(services: Services) -> AsyncIterator[tuple[httpx.AsyncClient, DemoWorld]]:
    world = await build_world(services)
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client, world


async def _bot_account(services: Services, world: DemoWorld) -> ChannelAccount:
    """A Telegram bot account; nothing here reaches its API (the files are refused on their
    declared size or have nothing to fetch)."""
    async with transaction(services.sessionmaker) as session:
        return await create_account(
            services,
            session,
            world.workspace_id,
            kind=ChannelKind.TELEGRAM_BOT,
            name="Shop bot",
            external_id="7012345678",
            team_id=world.team_a,
            config={"api_base_url": "http://127.0.0.1:9"},
            secrets={"bot_token": BOT_TOKEN, "webhook_secret": "s"},
            actor=audit.SYSTEM,
        )


def _event(*files: AttachmentMeta) -> InboundEvent:
    return InboundEvent(f"1:{new_id()}", "5550001", "see the files", utcnow(), attachments=files)


async def _rows(services: Services, account_id: str) -> list[tuple[Attachment, Message]]:
    async with services.read_sessionmaker() as session:
        return list(
            (
                await session.execute(
                    select(Attachment, Message)
                    .join(Message, Message.id == Attachment.message_id)
                    .where(Message.account_id == account_id)
                    .order_by(Attachment.created_at, Attachment.id)
                )
            ).all()
        )


async def _received_files(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> tuple[dict[str, Attachment], dict[str, Message]]:
    """Files in every state: refused and failed from the attachment worker (a bot account)
    and from the Telegram user worker, and one still waiting (a sandbox account)."""
    bot = await _bot_account(services, world)
    big = AttachmentMeta(
        kind="document", platform_file_id="BQAD-big", size=10_000, filename="catalogue.pdf"
    )
    nothing = AttachmentMeta(kind="image", content_type="image/jpeg")  # no file id, no URL
    await receive(services, bot, _event(big, nothing))
    worker = AttachmentWorker(services, max_bytes=LIMIT)
    assert await worker.run_once() == 1  # the unfetchable one is given up without trying
    sandbox = world.account_a
    waiting = AttachmentMeta(kind="video", platform_file_id="later", size=100)
    await receive(services, sandbox, _event(waiting))

    account = await _logged_in(services, world, fake)
    listener = TelegramUserWorker(services, max_attachment_bytes=64 * 1024)
    async with asyncio.timeout(30):
        await listener.reconcile()
        try:
            await _wait_connected(listener, account.id)
            await fake.push_media(
                PHONE, ALICE, fake.document_media(PDF, "application/pdf", "big.pdf"), "Big"
            )
            lost = fake.photo_media(JPEG[:5000])
            fake.forget_file(lost)
            await fake.push_media(PHONE, ALICE, lost, "See photo")
            await _wait_handled(listener, 2)
        finally:
            await listener.stop()

    rows = (
        await _rows(services, bot.id)
        + await _rows(services, sandbox.id)
        + await _rows(services, account.id)
    )
    names = ["bot_big", "bot_nothing", "waiting", "tg_big", "tg_lost"]
    assert len(rows) == len(names)
    return (
        {name: a for name, (a, _) in zip(names, rows, strict=True)},
        {name: m for name, (_, m) in zip(names, rows, strict=True)},
    )


async def test_why_a_file_was_not_stored_is_recorded_on_its_message(
    services: Services, world: DemoWorld, fake: FakeMTProto
) -> None:
    files, messages = await _received_files(services, world, fake)
    # The attachment worker: one note per attachment of the message, kept after a restart.
    notes = messages["bot_big"].stage_notes["attachments"]
    assert notes == {
        files["bot_big"].id: f"refused: the file has 10000 bytes; the limit is {LIMIT}",
        files["bot_nothing"].id: "not downloaded: no file id or https URL to fetch",
    }
    assert "attachments" not in messages["waiting"].stage_notes
    problems = download_problems(
        list(files.values()), {m.id: m.stage_notes for m in messages.values()}
    )
    assert problems == {
        files["bot_big"].id: DownloadProblem(
            "refused", f"the file has 10000 bytes; the limit is {LIMIT}"
        ),
        files["bot_nothing"].id: DownloadProblem("failed", "no file id or https URL to fetch"),
        files["tg_big"].id: DownloadProblem(
            "refused", f"the file has {len(PDF)} bytes; the limit is {64 * 1024}"
        ),
        files["tg_lost"].id: DownloadProblem("failed", "LocationInvalidError"),
    }


async def test_conversation_shows_refused_and_failed_files_apart_from_waiting_ones(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    files, messages = await _received_files(services, world, fake)

    async def fragment(name: str, user: str) -> str:
        conversation = messages[name].conversation_id
        page = await client.get(
            f"/ui/conversations/{conversation}/attachments",
            headers=bearer(world.tokens[user]),
        )
        assert page.status_code == 200, page.text
        return page.text

    def state(text: str, name: str) -> str:
        start = text.index(f'data-attachment-id="{files[name].id}"')
        return text[start : text.index("</div>", start)]

    bot = await fragment("bot_big", "owner")  # English
    refused = state(bot, "bot_big")
    assert 'data-state="refused"' in refused and "document: refused" in refused
    assert f"catalogue.pdf · the file has 10000 bytes; the limit is {LIMIT}" in refused
    failed = state(bot, "bot_nothing")
    assert 'data-state="failed"' in failed and "image: could not be downloaded" in failed
    assert "not downloaded yet" not in bot
    waiting = state(await fragment("waiting", "owner"), "waiting")
    assert 'data-state="pending"' in waiting and "not downloaded yet" in waiting

    telegram = await fragment("tg_big", "owner")
    assert 'data-state="refused"' in state(telegram, "tg_big")
    assert "big.pdf · the file has" in state(telegram, "tg_big")
    assert 'data-state="failed"' in state(telegram, "tg_lost")
    assert "LocationInvalidError" in state(telegram, "tg_lost")

    chinese = await fragment("bot_big", "supervisor")  # zh-Hans
    assert "已拒收" in state(chinese, "bot_big") and "无法下载" in state(chinese, "bot_nothing")
