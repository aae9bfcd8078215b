"""Scheduled account health: a revoked token is noticed, recorded, and alerted once."""

import httpx
from sqlalchemy import select
from tests.factories import DemoWorld

from crossdesk.actions.accounts import create_account
from crossdesk.db.models import AuditEvent, ChannelAccount, RiskAlert
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.health import HealthWorker


class TelegramStandIn:
    """Answers getMe like the Bot API: 200 while the token is valid, then 401."""

    def __init__(self) -> None:
        self.valid = True

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/getMe")
        if self.valid:
            return httpx.Response(
                200, json={"ok": True, "result": {"id": 7, "username": "shop_bot"}}
            )
        return httpx.Response(
            401, json={"ok": False, "error_code": 401, "description": "Unauthorized"}
        )


async def test_revoked_token_is_detected_and_alerted_once(
    sqlite_services: Services, app_world: DemoWorld
) -> None:
    async with transaction(sqlite_services.sessionmaker) as session:
        account = await create_account(
            sqlite_services,
            session,
            app_world.workspace_id,
            kind=ChannelKind.TELEGRAM_BOT,
            name="Shop bot",
            external_id="7",
            team_id=app_world.team_a,
            config={"api_base_url": "http://telegram.test"},
            secrets={"bot_token": "7:AAvalid", "webhook_secret": "s"},
            actor=audit.SYSTEM,
        )
    telegram = TelegramStandIn()
    worker = HealthWorker(
        sqlite_services,
        lambda _a: httpx.AsyncClient(transport=httpx.MockTransport(telegram.handler)),
    )
    await worker.run_once()
    telegram.valid = False
    assert await worker.run_once() >= 1
    assert await worker.run_once() == 0  # no change, no new alert
    async with sqlite_services.sessionmaker() as session:
        row = await session.get(ChannelAccount, account.id)
        alerts = (
            await session.scalars(select(RiskAlert).where(RiskAlert.target_id == account.id))
        ).all()
        checks = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "account.health_check", AuditEvent.target_id == account.id
                )
            )
        ).all()
    assert row is not None and row.health == "auth_failed"
    assert [a.kind for a in alerts] == ["account.health"]
    assert "7:AAvalid" not in str([c.data for c in checks])  # the token never reaches the log
