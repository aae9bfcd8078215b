"""Account health: every account's platform connection is probed on a schedule.

A probe is one cheap authenticated call (actions.account_health.probe) made with no database
session held. A change of health is recorded (and audited); an account that stops being
connected raises a risk alert for the admins, so an expired token or a revoked bot is seen
before customers notice.

With the same client (so through the account's proxy) it asks the IP-echo endpoint where
the account's traffic leaves (actions.account_egress): a changed IP or country, or two
accounts set up apart that share one address, raises an alert. Captured browser sessions
with a configured logged-in URL are checked too (actions.web_session_health).
"""

import asyncio
import logging
from collections.abc import Callable

import httpx
from sqlalchemy import select

from crossdesk.actions.account_egress import EgressResult, egress_probe, record_egress
from crossdesk.actions.account_health import default_probe_client, probe
from crossdesk.actions.accounts import account_context
from crossdesk.actions.web_session_health import run_web_checks
from crossdesk.channels.base import AccountContext
from crossdesk.db.models import ChannelAccount
from crossdesk.db.session import transaction
from crossdesk.risk import audit
from crossdesk.risk.alerts import raise_alert
from crossdesk.services import Services

logger = logging.getLogger(__name__)


class HealthWorker:
    def __init__(
        self,
        services: Services,
        client_factory: Callable[[AccountContext], httpx.AsyncClient] = default_probe_client,
    ) -> None:
        self._services = services
        self._client_factory = client_factory

    async def run_forever(self) -> None:
        minutes = self._services.settings.sessions.health_check_minutes
        if not minutes:
            return
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("account health pass failed")
            await asyncio.sleep(minutes * 60)

    async def run_once(self) -> int:
        """Probe every account once; returns how many changed health."""
        async with self._services.read_sessionmaker() as session:
            accounts = (
                await session.scalars(
                    select(ChannelAccount).where(ChannelAccount.archived.is_(False))
                )
            ).all()
            contexts = [
                (
                    account.id,
                    account.health,
                    await account_context(self._services, session, account),
                )
                for account in accounts
            ]
        changed = 0
        echo_url = self._services.settings.sessions.egress_echo_url
        for account_id, before, context in contexts:  # no session held while probing
            async with self._client_factory(context) as client:
                result = await probe(client, context)
                egress = await self._egress(client, echo_url, account_id)
            if result.health != before:
                changed += 1
                await self._record(account_id, context, before, result.health, result.detail)
            if egress is not None:
                await record_egress(self._services, context.workspace_id, account_id, egress)
        try:
            # Stored browser sessions: still logged in? (accounts with a logged-in URL)
            web = await run_web_checks(self._services, self._client_factory)
        except Exception:
            logger.exception("web-session checks failed")
        else:
            changed += sum(1 for result in web.values() if result.state != "unknown")
        return changed

    async def _egress(
        self, client: httpx.AsyncClient, echo_url: str, account_id: str
    ) -> EgressResult | None:
        """The egress check must never stop the pass (its failures are recorded as such)."""
        if not echo_url:
            return None
        try:
            return await egress_probe(client, echo_url)
        except Exception as exc:
            logger.warning("egress check of account %s failed: %s", account_id, type(exc).__name__)
            return EgressResult(error=f"egress check failed: {type(exc).__name__}")

    async def _record(
        self, account_id: str, context: AccountContext, before: str, health: str, detail: str
    ) -> None:
        async with transaction(self._services.sessionmaker) as session:
            row = await session.get(ChannelAccount, account_id)
            if row is None:
                return
            row.health = health
            await audit.record(
                session,
                context.workspace_id,
                "account.health_check",
                audit.SYSTEM,
                target_type="channel_account",
                target_id=account_id,
                data={"health": health, "detail": detail[:300], "before": before},
            )
            if health != "connected":
                await raise_alert(
                    session,
                    context.workspace_id,
                    kind="account.health",
                    severity=4,
                    summary=f"{row.name}: {health} ({detail})",
                    actor_id=None,
                    target_type="channel_account",
                    target_id=account_id,
                    data={"health": health, "before": before},
                )
