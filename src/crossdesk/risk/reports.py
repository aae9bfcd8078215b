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

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


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


def _messages() -> Select[Any]:  # Any: the caller adds the columns
    """Messages joined to their conversation, which carries the team scope."""
    return (
        select().select_from(Message).join(Conversation, Conversation.id == Message.conversation_id)
    )


async def agent_report(session: AsyncSession, scope: ReportScope, period: Period) -> list[AgentRow]:
    people = await _people(session, scope)
    if not people:
        return []
    ids = list(people)
    sent = dict.fromkeys(ids, (0, 0))
    rows = await session.execute(
        _messages()
        .add_columns(
            Message.sender_user_id,
            func.count(),
            func.count(func.distinct(Message.conversation_id)),
        )
        .where(
            scope.conversations(),
            Message.direction == Direction.OUTBOUND.value,
            Message.sender_user_id.in_(ids),
            _in_period(Message.created_at, period),
        )
        .group_by(Message.sender_user_id)
    )
    for user_id, messages, conversations in rows.all():
        sent[str(user_id)] = (int(messages), int(conversations))

    responses = await _response_times(session, scope, period, set(ids))
    firsts = await _first_responses(session, scope, period, set(ids))
    guard = await _audit_counts(session, scope, period, GUARD_ACTIONS, ids)
    reveals = await _audit_counts(session, scope, period, ("pii.reveal",), ids)
    report = [
        AgentRow(
            user_id=user_id,
            name=people[user_id],
            conversations_handled=sent[user_id][1],
            first_response_median_s=_median(firsts.get(user_id, [])),
            response_median_s=_median(responses.get(user_id, [])),
            messages_sent=sent[user_id][0],
            guard_hits=guard.get(user_id, 0),
            pii_reveals=reveals.get(user_id, 0),
        )
        for user_id in ids
    ]
    return sorted(report, key=lambda r: (-r.messages_sent, -r.conversations_handled, r.name))


async def _response_times(
    session: AsyncSession, scope: ReportScope, period: Period, agents: set[str]
) -> dict[str, list[float]]:
    """One pass over the period's messages in conversation order (narrow rows, streamed)."""
    statement = (
        _messages()
        .add_columns(
            Message.conversation_id,
            Message.direction,
            Message.sender_user_id,
            Message.created_at,
        )
        .where(
            scope.conversations(),
            Message.direction.in_((Direction.INBOUND.value, Direction.OUTBOUND.value)),
            _in_period(Message.created_at, period),
        )
        .order_by(Message.conversation_id, Message.created_at, Message.id)
        .execution_options(yield_per=5000)
    )
    times: dict[str, list[float]] = defaultdict(list)
    current: str | None = None
    waiting_since: datetime | None = None
    result = await session.stream(statement)
    async for conversation_id, direction, sender, at in result:
        if conversation_id != current:
            current, waiting_since = conversation_id, None
        if direction == Direction.INBOUND.value:
            waiting_since = waiting_since or at
        elif sender is not None and waiting_since is not None:
            # An agent's reply ends the customer's turn; echoes (no sender) do not count.
            if sender in agents:
                times[sender].append((at - waiting_since).total_seconds())
            waiting_since = None
    return times


async def _first_responses(
    session: AsyncSession, scope: ReportScope, period: Period, agents: set[str]
) -> dict[str, list[float]]:
    """First agent reply of each conversation (window function: same SQL on both
    databases) against the conversation's first customer message."""
    replies = (
        select(
            Message.conversation_id.label("conversation_id"),
            Message.sender_user_id.label("agent_id"),
            Message.created_at.label("at"),
            func.row_number()
            .over(
                partition_by=Message.conversation_id,
                order_by=(Message.created_at, Message.id),
            )
            .label("rank"),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            scope.conversations(),
            Message.direction == Direction.OUTBOUND.value,
            Message.sender_user_id.is_not(None),
        )
        .subquery()
    )
    first_in = (
        select(
            Message.conversation_id.label("conversation_id"),
            func.min(Message.created_at).label("at"),
        )
        .where(
            Message.workspace_id == scope.workspace_id,
            Message.direction == Direction.INBOUND.value,
        )
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await session.execute(
        select(replies.c.agent_id, first_in.c.at, replies.c.at)
        .join(first_in, first_in.c.conversation_id == replies.c.conversation_id)
        .where(
            replies.c.rank == 1,
            replies.c.at >= period.start,
            replies.c.at < period.end,
            replies.c.at > first_in.c.at,
        )
    )
    times: dict[str, list[float]] = defaultdict(list)
    for agent_id, asked, answered in rows.all():
        if agent_id in agents:
            times[str(agent_id)].append((answered - asked).total_seconds())
    return times


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
        _messages()
        .add_columns(Message.account_id, Message.direction, func.count())
        .where(
            scope.conversations(),
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
        _messages()
        .add_columns(day, Message.direction, func.count())
        .where(
            scope.conversations(),
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
