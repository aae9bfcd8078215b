"""Per-account send limits (anti-ban): read, enforce (delivery worker) and change (audited).

The policy is pure (:mod:`crossdesk.domain.send_limits`); this module counts an account's
recent sends from the database and stores its own limits. An account without a row uses
its platform's defaults with the warm-up counted from the account's creation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crossdesk.actions.sessions import may_use
from crossdesk.db.base import utcnow
from crossdesk.db.models import AccountSendLimit, ChannelAccount, Message, Outbox
from crossdesk.db.session import transaction
from crossdesk.domain import Direction, Permission
from crossdesk.domain.send_limits import (
    DAY,
    HOUR,
    Overrides,
    SendLimits,
    Verdict,
    check,
    effective,
    platform_default,
    schedule,
)
from crossdesk.errors import InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

WAITING_PREFIX = "waiting: account send limit"


@dataclass(frozen=True, slots=True)
class AccountLimits:
    limits: SendLimits
    warmup_started_at: datetime
    custom: bool  # False: the platform's defaults


@dataclass(frozen=True, slots=True)
class LimitsReport:
    """What the limits page shows."""

    account_id: str
    account_name: str
    kind: str
    configured: AccountLimits
    platform_default: SendLimits
    now: SendLimits
    schedule: list[tuple[int, SendLimits]]
    sent_last_hour: int
    sent_last_day: int
    new_chats_last_day: int
    waiting: int


def _from_row(row: AccountSendLimit) -> SendLimits:
    return SendLimits(
        per_hour=row.per_hour,
        per_day=row.per_day,
        new_chats_per_day=row.new_chats_per_day,
        warmup_days=row.warmup_days,
        warmup_start_percent=row.warmup_start_percent,
    )


async def limits_of(
    session: AsyncSession, account: ChannelAccount, overrides: Overrides | None = None
) -> AccountLimits:
    """The account's own limits, else its platform's (``overrides``: the configured
    per-platform defaults, ``sessions.send_limit_defaults``)."""
    row = await session.get(AccountSendLimit, account.id)
    if row is None:
        default = platform_default(account.kind, overrides)
        return AccountLimits(default, account.created_at, custom=False)
    return AccountLimits(_from_row(row), row.warmup_started_at, custom=True)


def _present(times: Sequence[datetime | None]) -> list[datetime]:
    return [t for t in times if t is not None]


async def _sent_times(session: AsyncSession, account_id: str, since: datetime) -> list[datetime]:
    return _present(
        (
            await session.scalars(
                select(Message.sent_at).where(
                    Message.account_id == account_id,
                    Message.direction == Direction.OUTBOUND.value,
                    Message.sent_at.is_not(None),
                    Message.sent_at > since,
                )
            )
        ).all()
    )


async def _new_chat_times(
    session: AsyncSession, account_id: str, since: datetime
) -> list[datetime]:
    """When the account's first messages into a conversation left (since ``since``)."""
    earlier = aliased(Message)
    has_earlier = exists().where(
        and_(
            earlier.conversation_id == Message.conversation_id,
            earlier.direction == Direction.OUTBOUND.value,
            earlier.sent_at.is_not(None),
            earlier.sent_at < Message.sent_at,
        )
    )
    return _present(
        (
            await session.scalars(
                select(Message.sent_at).where(
                    Message.account_id == account_id,
                    Message.direction == Direction.OUTBOUND.value,
                    Message.sent_at.is_not(None),
                    Message.sent_at > since,
                    ~has_earlier,
                )
            )
        ).all()
    )


async def _in_flight(session: AsyncSession, account_id: str, outbox_id: str | None) -> int:
    """Other messages of the account being handed to the platform right now."""
    query = select(func.count()).where(Outbox.account_id == account_id, Outbox.state == "sending")
    if outbox_id is not None:
        query = query.where(Outbox.id != outbox_id)
    return int(await session.scalar(query) or 0)


async def _opens_chat(session: AsyncSession, conversation_id: str) -> bool:
    sent_before = await session.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.OUTBOUND.value,
            Message.sent_at.is_not(None),
        )
        .limit(1)
    )
    return sent_before is None


async def send_verdict(
    session: AsyncSession,
    account: ChannelAccount,
    conversation_id: str,
    outbox_id: str | None = None,
    now: datetime | None = None,
    overrides: Overrides | None = None,
) -> Verdict:
    """May the account send one more message into the conversation now?

    Messages other workers are sending at this moment count as sent now, so two workers
    cannot both take the last slot unseen (they can at worst both see one free slot
    between their reads; the limits are a care, not a guarantee the platform relies on).
    """
    now = now or utcnow()
    configured = await limits_of(session, account, overrides)
    if configured.limits.unlimited:
        return Verdict(0.0)
    sent = await _sent_times(session, account.id, now - DAY)
    sent += [now] * await _in_flight(session, account.id, outbox_id)
    is_new = await _opens_chat(session, conversation_id)
    new_chats = await _new_chat_times(session, account.id, now - DAY) if is_new else []
    return check(
        configured.limits,
        configured.warmup_started_at,
        now,
        sent,
        new_chats,
        is_new_chat=is_new,
    )


def waiting_note(verdict: Verdict, now: datetime) -> str:
    """What the agent sees on a message held back by the account's limits."""
    at = now.timestamp() + verdict.wait_seconds
    when = datetime.fromtimestamp(at, tz=now.tzinfo).strftime("%H:%M UTC")
    return f"{WAITING_PREFIX} ({verdict.reason}); it leaves automatically at about {when}"


def _require_manage(principal: Principal) -> None:
    if not principal.can(Permission.ACCOUNT_MANAGE):
        raise PermissionDenied("your role lacks the permission: account.manage")


async def _account(session: AsyncSession, principal: Principal, account_id: str) -> ChannelAccount:
    account = await session.get(ChannelAccount, account_id)
    if account is None or not may_use(principal, account):
        raise NotFound("no such account")
    return account


async def limits_report(services: Services, principal: Principal, account_id: str) -> LimitsReport:
    """The account's limits, what applies now, the warm-up plan and the recent counts."""
    now = utcnow()
    async with services.read_sessionmaker() as session:
        account = await _account(session, principal, account_id)
        defaults = services.settings.sessions.send_limit_defaults
        configured = await limits_of(session, account, defaults)
        sent = await _sent_times(session, account.id, now - DAY)
        new_chats = await _new_chat_times(session, account.id, now - DAY)
        waiting = int(
            await session.scalar(
                select(func.count()).where(
                    Outbox.account_id == account.id,
                    Outbox.state == "pending",
                    Outbox.last_error.like(f"{WAITING_PREFIX}%"),
                )
            )
            or 0
        )
        return LimitsReport(
            account_id=account.id,
            account_name=account.name,
            kind=account.kind,
            configured=configured,
            platform_default=platform_default(account.kind, defaults),
            now=effective(configured.limits, configured.warmup_started_at, now),
            schedule=schedule(configured.limits),
            sent_last_hour=sum(1 for t in sent if t > now - HOUR),
            sent_last_day=len(sent),
            new_chats_last_day=len(new_chats),
            waiting=waiting,
        )


def parse_limits(fields: dict[str, str]) -> SendLimits:
    """The limits form/API body: empty limit fields are unlimited; errors name the field."""

    def number(name: str, default: int | None) -> int | None:
        raw = fields.get(name, "").strip()
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number", field=name) from None

    values = {
        "per_hour": number("per_hour", None),
        "per_day": number("per_day", None),
        "new_chats_per_day": number("new_chats_per_day", None),
        "warmup_days": number("warmup_days", 0),
        "warmup_start_percent": number("warmup_start_percent", 100),
    }
    try:
        return SendLimits(**values)  # type: ignore[arg-type]  # ints, checked by the class
    except ValueError as exc:
        name = str(exc).split(" ", 1)[0]
        raise InvalidInput(str(exc), field=name) from None


async def set_limits(
    services: Services,
    principal: Principal,
    account_id: str,
    limits: SendLimits,
    actor: audit.Actor,
    *,
    restart_warmup: bool = False,
) -> AccountLimits:
    """Set the account's own limits (they replace its platform's defaults); audited with
    the limits before and after. ``restart_warmup`` starts the warm-up again now (for a
    number that was re-registered, or restored after a ban)."""
    _require_manage(principal)
    now = utcnow()
    async with transaction(services.sessionmaker) as session:
        account = await _account(session, principal, account_id)
        before = await limits_of(session, account, services.settings.sessions.send_limit_defaults)
        row = await session.get(AccountSendLimit, account.id)
        if row is None:
            row = AccountSendLimit(
                account_id=account.id,
                workspace_id=account.workspace_id,
                warmup_started_at=now if restart_warmup else before.warmup_started_at,
            )
            session.add(row)
        elif restart_warmup:
            row.warmup_started_at = now
        for key, value in limits.as_dict().items():
            setattr(row, key, value)
        row.updated_at = now
        row.updated_by = principal.user_id
        after = AccountLimits(limits, row.warmup_started_at, True)
        await audit.record(
            session,
            principal.workspace_id,
            "account.send_limits",
            actor,
            target_type="channel_account",
            target_id=account.id,
            data={
                "before": {**before.limits.as_dict(), "custom": before.custom},
                "after": {**after.limits.as_dict(), "custom": after.custom},
                "warmup_started_at": after.warmup_started_at.isoformat(timespec="seconds"),
                "restart_warmup": restart_warmup,
            },
        )
        return after
