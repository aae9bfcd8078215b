"""The anti-ban column of the accounts page: egress IP, send limits in force and a health
score per account, read in one short session (plus the egress read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from crossdesk.actions.account_egress import EgressView, egress_views
from crossdesk.actions.account_limits import WAITING_PREFIX, limits_of
from crossdesk.actions.web_session_health import WebCheckView, web_check_views
from crossdesk.db.base import utcnow
from crossdesk.db.models import ChannelAccount, Message, Outbox
from crossdesk.domain import Direction, MessageStatus
from crossdesk.domain.account_score import AccountFacts, Score, score
from crossdesk.domain.send_limits import SendLimits, effective
from crossdesk.services import Services


@dataclass(frozen=True, slots=True)
class AccountOverview:
    egress: EgressView | None
    limits_now: SendLimits
    custom_limits: bool
    waiting: int
    score: Score
    web_check: WebCheckView | None = None


async def account_overviews(
    services: Services, workspace_id: str, account_ids: list[str]
) -> dict[str, AccountOverview]:
    """Per account id (the caller has checked the ids are visible to whoever looks)."""
    if not account_ids:
        return {}
    now = utcnow()
    since = now - timedelta(days=1)
    egress = await egress_views(services, workspace_id, account_ids)
    web = await web_check_views(services, workspace_id, account_ids)
    async with services.read_sessionmaker() as session:
        accounts = list(
            (
                await session.scalars(
                    select(ChannelAccount).where(
                        ChannelAccount.id.in_(account_ids),
                        ChannelAccount.workspace_id == workspace_id,
                    )
                )
            ).all()
        )
        ids = [a.id for a in accounts]
        sent = dict(
            (
                await session.execute(
                    select(Message.account_id, func.count())
                    .where(
                        Message.account_id.in_(ids),
                        Message.direction == Direction.OUTBOUND.value,
                        Message.sent_at > since,
                    )
                    .group_by(Message.account_id)
                )
            ).all()
        )
        failed = dict(
            (
                await session.execute(
                    select(Message.account_id, func.count())
                    .where(
                        Message.account_id.in_(ids),
                        Message.direction == Direction.OUTBOUND.value,
                        Message.status == MessageStatus.FAILED.value,
                        Message.created_at > since,
                    )
                    .group_by(Message.account_id)
                )
            ).all()
        )
        waiting = dict(
            (
                await session.execute(
                    select(Outbox.account_id, func.count())
                    .where(
                        Outbox.account_id.in_(ids),
                        Outbox.state == "pending",
                        Outbox.last_error.like(f"{WAITING_PREFIX}%"),
                    )
                    .group_by(Outbox.account_id)
                )
            ).all()
        )
        defaults = services.settings.sessions.send_limit_defaults
        limits = {a.id: await limits_of(session, a, defaults) for a in accounts}
    overviews: dict[str, AccountOverview] = {}
    for account in accounts:
        view = egress.get(account.id)
        configured = limits[account.id]
        facts = AccountFacts(
            health=account.health,
            egress_error=bool(view and view.error),
            egress_shared=bool(view and view.shared_with),
            egress_changed_recently=bool(view and view.changed_at and view.changed_at > since),
            sent_last_day=int(sent.get(account.id, 0)),
            failed_last_day=int(failed.get(account.id, 0)),
            waiting_on_limits=int(waiting.get(account.id, 0)),
            session_logged_out=account.id in web and web[account.id].state == "logged_out",
        )
        overviews[account.id] = AccountOverview(
            egress=view,
            limits_now=effective(configured.limits, configured.warmup_started_at, now),
            custom_limits=configured.custom,
            waiting=facts.waiting_on_limits,
            score=score(facts),
            web_check=web.get(account.id),
        )
    return overviews
