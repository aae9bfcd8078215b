"""Team reports: per agent, per account and platform, volume per day, and lead counts.

Counts are SQL aggregates; medians are taken in Python (neither database offers one that
works on both). Every query is limited to the caller's scope: owners and admins see the
whole workspace, a supervisor the conversations, accounts and people of their teams.

Definitions (also in docs/security.md's reports section):
- *conversations handled*: conversations in which the agent sent a message in the period;
- *messages sent*: the agent's outbound messages (private notes excluded);
- *response time*: for each customer turn (consecutive customer messages), from its first
  message to the next message written by an agent, attributed to that agent; counted when
  both fall in the period;
- *first-response time*: from a conversation's first customer message to its first agent
  reply, counted in the period of that reply;
- *guard hits*: the agent's ``guard.hit`` (sent with a warning) and ``message.blocked``
  (refused) audit events; *PII reveals*: their ``pii.reveal`` events;
- *lead*: a person who wrote for the first time to any account of the workspace. The same
  platform identity (e.g. one WhatsApp phone writing to two WhatsApp accounts) is one
  person, and so are contacts merged into one person (``contact.person_id``) when that
  column exists. A lead is counted once, on the day, account and agent (the assignee of
  their first conversation) of their first contact.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Subquery,
    and_,
    case,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crossdesk.db.models import (
    AuditEvent,
    ChannelAccount,
    Contact,
    Conversation,
    Message,
    TeamMember,
    User,
)
from crossdesk.domain import Direction, Permission, Role
from crossdesk.risk.alert_stats import GUARD_ACTIONS
from crossdesk.risk.periods import Period, utc_day
from crossdesk.risk.rbac import Principal

KINDS = ("agents", "accounts", "leads")
STREAM_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class ReportScope:
    """A workspace, and the teams the reader is limited to (``None``: the whole workspace)."""

    workspace_id: str
    team_ids: frozenset[str] | None

    @classmethod
    def of(cls, principal: Principal) -> "ReportScope":
        if principal.can(Permission.CONVERSATION_READ_ALL):
            return cls(principal.workspace_id, None)
        return cls(principal.workspace_id, principal.team_ids)

    def conversations(self) -> ColumnElement[bool]:
        clause = Conversation.workspace_id == self.workspace_id
        if self.team_ids is None:
            return clause
        return clause & Conversation.team_id.in_(self.team_ids)

    def accounts(self) -> ColumnElement[bool]:
        clause = ChannelAccount.workspace_id == self.workspace_id
        if self.team_ids is None:
            return clause
        return clause & ChannelAccount.team_id.in_(self.team_ids)


@dataclass(frozen=True, slots=True)
class AgentRow:
    user_id: str
    name: str
    conversations_handled: int
    first_response_median_s: float | None
    response_median_s: float | None
    messages_sent: int
    guard_hits: int
    pii_reveals: int


@dataclass(frozen=True, slots=True)
class AccountRow:
    account_id: str
    name: str
    platform: str
    inbound: int
    outbound: int


@dataclass(frozen=True, slots=True)
class PlatformRow:
    platform: str
    accounts: int
    inbound: int
    outbound: int


@dataclass(frozen=True, slots=True)
class LeadRow:
    """New leads of one day, first seen on one account, assigned to one agent (or nobody)."""

    day: str
    account_id: str
    account: str
    platform: str
    agent_id: str | None
    agent: str
    leads: int


@dataclass(frozen=True, slots=True)
class VolumeDay:
    day: str
    inbound: int
    outbound: int


@dataclass(frozen=True, slots=True)
class LeadReport:
    rows: list[LeadRow]
    total: int
    per_day: list[tuple[str, int]]
    per_account: list[tuple[str, int]]
    per_agent: list[tuple[str, int]]


async def _people(session: AsyncSession, scope: ReportScope) -> dict[str, str]:
    """The people a report may name: everyone but auditors, or the reader's teams."""
    statement = select(User.id, User.display_name).where(
        User.workspace_id == scope.workspace_id, User.role != Role.AUDITOR.value
    )
    if scope.team_ids is not None:
        statement = statement.where(
            User.id.in_(select(TeamMember.user_id).where(TeamMember.team_id.in_(scope.team_ids)))
        )
    return {str(k): str(v) for k, v in (await session.execute(statement)).all()}


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:  # Any: a datetime column
    return and_(column >= period.start, column < period.end)


def _scoped_messages(scope: ReportScope) -> ColumnElement[bool]:
    """Messages of the workspace, or of conversations of the reader's teams.

    A filter rather than a join, so that the message indexes (workspace and time, or
    conversation and time) serve the query without the conversation table in between.
    """
    clause = Message.workspace_id == scope.workspace_id
    if scope.team_ids is None:
        return clause
    return clause & Message.conversation_id.in_(
        select(Conversation.id).where(scope.conversations())
    )


def _seconds(later: Any, earlier: Any, dialect: str) -> ColumnElement[float]:  # Any: columns
    """``later - earlier`` in seconds, computed by the database."""
    if dialect == "postgresql":
        return type_coerce(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


async def _medians(session: AsyncSession, durations: Subquery) -> dict[str, float]:
    """Median ``seconds`` per ``agent_id`` in SQL (neither database has a portable median
    aggregate): number the durations per agent, average the middle one or two."""
    ranked = select(
        durations.c.agent_id,
        durations.c.seconds,
        func.row_number()
        .over(partition_by=durations.c.agent_id, order_by=durations.c.seconds)
        .label("rn"),
        func.count().over(partition_by=durations.c.agent_id).label("n"),
    ).subquery()
    rows = await session.execute(
        select(ranked.c.agent_id, func.avg(ranked.c.seconds))
        .where(or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2))
        .group_by(ranked.c.agent_id)
    )
    return {str(agent): round(float(value), 1) for agent, value in rows.all()}


async def agent_report(session: AsyncSession, scope: ReportScope, period: Period) -> list[AgentRow]:
    people = await _people(session, scope)
    if not people:
        return []
    ids = list(people)
    sent = dict.fromkeys(ids, (0, 0))
    rows = await session.execute(
        select(
            Message.sender_user_id,
            func.count(),
            func.count(func.distinct(Message.conversation_id)),
        )
        .where(
            _scoped_messages(scope),
            Message.direction == Direction.OUTBOUND.value,
            Message.sender_user_id.in_(ids),
            _in_period(Message.created_at, period),
        )
        .group_by(Message.sender_user_id)
    )
    for user_id, messages, conversations in rows.all():
        sent[str(user_id)] = (int(messages), int(conversations))

    responses = await _response_medians(session, scope, period)
    firsts = await _first_response_medians(session, scope, period)
    guard = await _audit_counts(session, scope, period, GUARD_ACTIONS, ids)
    reveals = await _audit_counts(session, scope, period, ("pii.reveal",), ids)
    report = [
        AgentRow(
            user_id=user_id,
            name=people[user_id],
            conversations_handled=sent[user_id][1],
            first_response_median_s=firsts.get(user_id),
            response_median_s=responses.get(user_id),
            messages_sent=sent[user_id][0],
            guard_hits=guard.get(user_id, 0),
            pii_reveals=reveals.get(user_id, 0),
        )
        for user_id in ids
    ]
    return sorted(report, key=lambda r: (-r.messages_sent, -r.conversations_handled, r.name))


async def _response_medians(
    session: AsyncSession, scope: ReportScope, period: Period
) -> dict[str, float]:
    """Customer turns and their replies, found in SQL with window functions (the same SQL
    on both databases), so that only one row per agent comes back.

    Echoes (outbound without an agent) are left out: they neither answer nor split a turn.
    A turn starts at a customer message that follows no customer message; the agent
    message right after a customer message is the reply.
    """
    inbound, outbound = Direction.INBOUND.value, Direction.OUTBOUND.value
    order = (Message.created_at, Message.id)
    ordered = (
        select(
            Message.id,
            Message.conversation_id,
            Message.direction,
            Message.sender_user_id,
            Message.created_at,
            func.lag(Message.direction)
            .over(partition_by=Message.conversation_id, order_by=order)
            .label("previous"),
        )
        .where(
            _scoped_messages(scope),
            _in_period(Message.created_at, period),
            or_(
                Message.direction == inbound,
                and_(Message.direction == outbound, Message.sender_user_id.is_not(None)),
            ),
        )
        .subquery()
    )
    starts_turn = and_(
        ordered.c.direction == inbound,
        or_(ordered.c.previous.is_(None), ordered.c.previous != inbound),
    )
    # Carry the latest turn start forward to every later row: no self-join needed.
    marked = select(
        ordered.c.sender_user_id,
        ordered.c.direction,
        ordered.c.previous,
        ordered.c.created_at,
        func.max(case((starts_turn, ordered.c.created_at)))
        .over(
            partition_by=ordered.c.conversation_id,
            order_by=(ordered.c.created_at, ordered.c.id),
            rows=(None, 0),
        )
        .label("asked"),
    ).subquery()
    dialect = session.get_bind().dialect.name
    durations = (
        select(
            marked.c.sender_user_id.label("agent_id"),
            _seconds(marked.c.created_at, marked.c.asked, dialect).label("seconds"),
        )
        # The first agent message after customer messages is the reply to their turn.
        .where(marked.c.direction == outbound, marked.c.previous == inbound)
        .subquery()
    )
    return await _medians(session, durations)


async def _first_response_medians(
    session: AsyncSession, scope: ReportScope, period: Period
) -> dict[str, float]:
    """A conversation's first agent reply (if it falls in the period) against its first
    customer message, looked up per conversation through the (conversation, time) index."""
    outbound = Direction.OUTBOUND.value
    first_reply = (
        select(
            Message.conversation_id.label("conversation_id"),
            func.min(Message.created_at).label("at"),
        )
        .where(
            _scoped_messages(scope),
            Message.direction == outbound,
            Message.sender_user_id.is_not(None),
        )
        .group_by(Message.conversation_id)
        .having(_in_period(func.min(Message.created_at), period))
        .subquery()
    )
    replier = aliased(Message)
    customer = aliased(Message)
    first_question = (
        select(func.min(customer.created_at))
        .where(
            customer.conversation_id == first_reply.c.conversation_id,
            customer.direction == Direction.INBOUND.value,
        )
        .scalar_subquery()
    )
    dialect = session.get_bind().dialect.name
    pairs = (
        select(
            replier.sender_user_id.label("agent_id"),
            first_question.label("asked"),
            first_reply.c.at.label("answered"),
        )
        .join(
            replier,
            and_(
                replier.conversation_id == first_reply.c.conversation_id,
                replier.created_at == first_reply.c.at,
                replier.direction == outbound,
                replier.sender_user_id.is_not(None),
            ),
        )
        .subquery()
    )
    durations = (
        select(
            pairs.c.agent_id, _seconds(pairs.c.answered, pairs.c.asked, dialect).label("seconds")
        )
        .where(pairs.c.asked < pairs.c.answered)
        .subquery()
    )
    return await _medians(session, durations)


async def _audit_counts(
    session: AsyncSession,
    scope: ReportScope,
    period: Period,
    actions: tuple[str, ...],
    ids: list[str],
) -> dict[str, int]:
    rows = await session.execute(
        select(AuditEvent.actor_id, func.count())
        .where(
            AuditEvent.workspace_id == scope.workspace_id,
            AuditEvent.action.in_(actions),
            AuditEvent.actor_id.in_(ids),
            _in_period(AuditEvent.at, period),
        )
        .group_by(AuditEvent.actor_id)
    )
    return {str(actor): int(n) for actor, n in rows.all()}


async def account_report(
    session: AsyncSession, scope: ReportScope, period: Period
) -> tuple[list[AccountRow], list[PlatformRow]]:
    """Inbound and outbound messages per account (zero rows included) and per platform."""
    accounts = (
        await session.execute(
            select(ChannelAccount.id, ChannelAccount.name, ChannelAccount.kind)
            .where(scope.accounts())
            .order_by(ChannelAccount.kind, ChannelAccount.name)
        )
    ).all()
    counts: dict[tuple[str, str], int] = {}
    rows = await session.execute(
        select(Message.account_id, Message.direction, func.count())
        .where(
            _scoped_messages(scope),
            Message.direction.in_((Direction.INBOUND.value, Direction.OUTBOUND.value)),
            _in_period(Message.created_at, period),
        )
        .group_by(Message.account_id, Message.direction)
    )
    for account_id, direction, n in rows.all():
        counts[(str(account_id), str(direction))] = int(n)
    per_account = [
        AccountRow(
            account_id=str(account_id),
            name=str(name),
            platform=str(kind),
            inbound=counts.get((str(account_id), "inbound"), 0),
            outbound=counts.get((str(account_id), "outbound"), 0),
        )
        for account_id, name, kind in accounts
    ]
    platforms: dict[str, list[int]] = {}
    for row in per_account:
        totals = platforms.setdefault(row.platform, [0, 0, 0])
        totals[0] += 1
        totals[1] += row.inbound
        totals[2] += row.outbound
    per_platform = [
        PlatformRow(platform, n, inbound, outbound)
        for platform, (n, inbound, outbound) in sorted(platforms.items())
    ]
    return per_account, per_platform


async def volume_per_day(
    session: AsyncSession, scope: ReportScope, period: Period
) -> list[VolumeDay]:
    day = utc_day(Message.created_at, session.get_bind().dialect.name).label("day")
    rows = await session.execute(
        select(day, Message.direction, func.count())
        .where(
            _scoped_messages(scope),
            Message.direction.in_((Direction.INBOUND.value, Direction.OUTBOUND.value)),
            _in_period(Message.created_at, period),
        )
        .group_by(day, Message.direction)
    )
    counts = {(str(d), str(direction)): int(n) for d, direction, n in rows.all()}
    return [
        VolumeDay(d, counts.get((d, "inbound"), 0), counts.get((d, "outbound"), 0))
        for d in period.days
    ]


def lead_key() -> ColumnElement[str]:
    """Who a contact is, workspace-wide: the merged person when contacts were merged
    (``contact.person_id``, if the schema has it), else the platform identity."""
    identity = ChannelAccount.kind + ":" + Contact.platform_user_id
    person = Contact.__table__.c.get("person_id")
    return func.coalesce(person, identity) if person is not None else identity


async def lead_report(session: AsyncSession, scope: ReportScope, period: Period) -> LeadReport:
    key = lead_key()
    contacts = (
        select(
            Contact.id.label("contact_id"),
            Contact.account_id.label("account_id"),
            Contact.created_at.label("first_at"),
            func.row_number()
            .over(partition_by=key, order_by=(Contact.created_at, Contact.id))
            .label("rank"),
        )
        .join(ChannelAccount, ChannelAccount.id == Contact.account_id)
        # Dedupe across the whole workspace, whatever the reader's scope.
        .where(Contact.workspace_id == scope.workspace_id)
        .subquery()
    )
    conversations = (
        select(
            Conversation.contact_id.label("contact_id"),
            Conversation.assignee_id.label("assignee_id"),
            func.row_number()
            .over(
                partition_by=Conversation.contact_id,
                order_by=(Conversation.created_at, Conversation.id),
            )
            .label("rank"),
        )
        .where(Conversation.workspace_id == scope.workspace_id)
        .subquery()
    )
    day = utc_day(contacts.c.first_at, session.get_bind().dialect.name).label("day")
    rows = await session.execute(
        select(
            day,
            contacts.c.account_id,
            ChannelAccount.name,
            ChannelAccount.kind,
            conversations.c.assignee_id,
            func.count(),
        )
        .join(ChannelAccount, ChannelAccount.id == contacts.c.account_id)
        .outerjoin(
            conversations,
            and_(
                conversations.c.contact_id == contacts.c.contact_id,
                conversations.c.rank == 1,
            ),
        )
        .where(
            contacts.c.rank == 1,
            contacts.c.first_at >= period.start,
            contacts.c.first_at < period.end,
            scope.accounts(),
        )
        .group_by(
            day,
            contacts.c.account_id,
            ChannelAccount.name,
            ChannelAccount.kind,
            conversations.c.assignee_id,
        )
    )
    names = await _people(session, ReportScope(scope.workspace_id, None))
    lead_rows = sorted(
        (
            LeadRow(
                day=str(d),
                account_id=str(account_id),
                account=str(account),
                platform=str(kind),
                agent_id=str(agent) if agent else None,
                agent=names.get(str(agent), "") if agent else "",
                leads=int(n),
            )
            for d, account_id, account, kind, agent, n in rows.all()
        ),
        key=lambda r: (r.day, r.account, r.agent),
    )
    per_day: dict[str, int] = dict.fromkeys(period.days, 0)
    per_account: dict[str, int] = defaultdict(int)
    per_agent: dict[str, int] = defaultdict(int)
    for row in lead_rows:
        per_day[row.day] = per_day.get(row.day, 0) + row.leads
        per_account[row.account] += row.leads
        per_agent[row.agent or "—"] += row.leads
    return LeadReport(
        rows=lead_rows,
        total=sum(r.leads for r in lead_rows),
        per_day=list(per_day.items()),
        per_account=sorted(per_account.items(), key=lambda kv: -kv[1]),
        per_agent=sorted(per_agent.items(), key=lambda kv: -kv[1]),
    )


def csv_rows(
    kind: str,
    agents: list[AgentRow] | None = None,
    accounts: tuple[list[AccountRow], list[PlatformRow]] | None = None,
    leads: LeadReport | None = None,
) -> list[list[str]]:
    """The header and rows of one CSV export (numbers as plain text, seconds for times)."""

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    if kind == "agents" and agents is not None:
        return [
            [
                "agent_id",
                "agent",
                "conversations_handled",
                "first_response_median_seconds",
                "response_median_seconds",
                "messages_sent",
                "guard_hits",
                "pii_reveals",
            ],
            *(
                [
                    r.user_id,
                    r.name,
                    str(r.conversations_handled),
                    number(r.first_response_median_s),
                    number(r.response_median_s),
                    str(r.messages_sent),
                    str(r.guard_hits),
                    str(r.pii_reveals),
                ]
                for r in agents
            ),
        ]
    if kind == "accounts" and accounts is not None:
        per_account, per_platform = accounts
        return [
            ["level", "platform", "account_id", "account", "inbound", "outbound"],
            *(
                ["account", r.platform, r.account_id, r.name, str(r.inbound), str(r.outbound)]
                for r in per_account
            ),
            *(
                ["platform", r.platform, "", "", str(r.inbound), str(r.outbound)]
                for r in per_platform
            ),
        ]
    if kind == "leads" and leads is not None:
        return [
            ["day", "platform", "account_id", "account", "agent_id", "agent", "new_leads"],
            *(
                [
                    r.day,
                    r.platform,
                    r.account_id,
                    r.account,
                    r.agent_id or "",
                    r.agent,
                    str(r.leads),
                ]
                for r in leads.rows
            ),
        ]
    raise ValueError(f"unknown report kind {kind!r}")
