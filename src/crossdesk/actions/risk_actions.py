"""What risk rules do, and what supervisors do about it.

A firing is recorded once (``risk_rule_firing``, unique per rule, group and window period)
and its actions run in the same transaction, each audited: an alert (through
``risk.alerts``), a pending supervisor approval for the user's next sensitive action, the
end of the user's web sessions and API tokens (as offboarding does), a lock on an
account's session checkout. Supervisors (risk.manage) approve and unlock; both audited.

The gates (:func:`check_clearance`, :func:`check_account_unlocked`) run inside the
sensitive actions' own transactions.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.offboarding import end_access
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    ChannelAccount,
    RiskAccountLock,
    RiskApproval,
    RiskRuleFiring,
    RiskRuleSet,
    TeamMember,
    User,
)
from crossdesk.db.session import transaction
from crossdesk.domain import Permission, new_id
from crossdesk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.alerts import raise_rule_alert
from crossdesk.risk.rbac import Principal
from crossdesk.risk.rules import Firing, RuleFileError, RuleSet, default_rules, parse_rules
from crossdesk.services import Services

# The actions a pending approval holds back (the audit action names they record).
SENSITIVE = ("pii.reveal", "export", "session.checkout")
MAX_NOTE = 500


# --- rule sets -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredRules:
    rules: RuleSet
    version: int  # 0: the shipped defaults
    text: str | None


async def workspace_rules(session: AsyncSession, workspace_id: str) -> StoredRules:
    """The workspace's stored rules, or the shipped defaults when it has none."""
    row = await session.scalar(select(RiskRuleSet).where(RiskRuleSet.workspace_id == workspace_id))
    if row is None:
        return StoredRules(default_rules(), 0, None)
    return StoredRules(
        parse_rules(row.text, f"workspace {workspace_id} rules"), row.version, row.text
    )


async def rules_version(session: AsyncSession, workspace_id: str) -> int:
    version = await session.scalar(
        select(RiskRuleSet.version).where(RiskRuleSet.workspace_id == workspace_id)
    )
    return version or 0


async def store_rules(
    session: AsyncSession,
    workspace_id: str,
    text: str,
    actor: audit.Actor,
    *,
    by: Principal | None = None,
) -> StoredRules:
    """Validate and store a workspace's rules (the worker reloads them on its next pass).
    ``by`` None is the operator CLI. Raises InvalidInput listing every problem."""
    if by is not None and not by.can(Permission.RISK_MANAGE):
        raise PermissionDenied("your role lacks the permission: risk.manage")
    if len(text) > 200_000:
        raise InvalidInput("the rules file is larger than 200 kB", field="text")
    try:
        rules = parse_rules(text, "rules")
    except RuleFileError as exc:
        raise InvalidInput(
            "the rules are not valid: " + str(exc)[:1500],
            field="text",
            problems=[str(p) for p in exc.problems[:50]],
        ) from None
    row = await session.scalar(
        select(RiskRuleSet).where(RiskRuleSet.workspace_id == workspace_id).with_for_update()
    )
    now = utcnow()
    if row is None:
        row = RiskRuleSet(
            id=new_id(), workspace_id=workspace_id, text=text, version=1, updated_at=now
        )
        session.add(row)
    else:
        row.text = text
        row.version += 1
        row.updated_at = now
    row.updated_by = actor.user_id
    await session.flush()
    await audit.record(
        session,
        workspace_id,
        "risk.rules_change",
        actor,
        target_type="risk_rule_set",
        target_id=row.id,
        data={
            "version": row.version,
            "rules": [r.id for r in rules.rules][:100],
            "enabled": [r.id for r in rules.active][:100],
        },
    )
    return StoredRules(rules, row.version, text)


# --- firings ---------------------------------------------------------------------------


async def apply_firing(
    services: Services, session: AsyncSession, workspace_id: str, firing: Firing
) -> RiskRuleFiring | None:
    """Record ``firing`` and run its actions, in the caller's transaction. Returns None
    (and does nothing) when this rule, group and window period already fired."""
    exists = await session.scalar(
        select(RiskRuleFiring.id).where(
            RiskRuleFiring.workspace_id == workspace_id,
            RiskRuleFiring.dedupe_key == firing.dedupe_key,
        )
    )
    if exists is not None:
        return None
    row = RiskRuleFiring(
        id=new_id(),
        workspace_id=workspace_id,
        rule_id=firing.rule_id,
        dedupe_key=firing.dedupe_key,
        group={name: value for name, value in firing.group},
        period_start=firing.period_start,
        at=firing.at,
        value=firing.value,
        severity=firing.severity,
        subject_user_id=firing.subject_user,
        subject_account_id=firing.subject_account,
        actions=list(firing.actions),
        evidence=list(firing.evidence_ids),
    )
    session.add(row)
    await session.flush()  # the unique key: a concurrent worker's duplicate fails here
    if "alert" in firing.actions:
        alert = await raise_rule_alert(session, workspace_id, firing, firing_id=row.id)
        row.alert_id = alert.id
    if "require_approval" in firing.actions and firing.subject_user:
        await require_approval(session, workspace_id, firing.subject_user, firing, row.id)
    if "suspend_sessions" in firing.actions and firing.subject_user:
        await suspend_sessions(session, workspace_id, firing.subject_user, firing, row.id)
    if "lock_account" in firing.actions and firing.subject_account:
        await lock_account(session, workspace_id, firing.subject_account, firing, row.id)
    return row


def _rule_actor() -> audit.Actor:
    return audit.Actor(None, None, "crossdesk-risk-rules")


def _reason(firing: Firing) -> str:
    return f"risk rule {firing.rule_id}: {firing.description}"[:300]


async def require_approval(
    session: AsyncSession, workspace_id: str, user_id: str, firing: Firing, firing_id: str
) -> RiskApproval:
    """Hold back the user's next sensitive action until a supervisor approves. One
    pending approval per user is enough: a second firing joins it (still audited)."""
    pending = await session.scalar(
        select(RiskApproval).where(
            RiskApproval.workspace_id == workspace_id,
            RiskApproval.user_id == user_id,
            RiskApproval.status == "pending",
        )
    )
    row = pending or RiskApproval(
        id=new_id(),
        workspace_id=workspace_id,
        user_id=user_id,
        rule_id=firing.rule_id,
        firing_id=firing_id,
        reason=_reason(firing),
        status="pending",
    )
    if pending is None:
        session.add(row)
    await audit.record(
        session,
        workspace_id,
        "risk.approval_required",
        _rule_actor(),
        target_type="user",
        target_id=user_id,
        data={"rule_id": firing.rule_id, "approval_id": row.id, "joined": pending is not None},
    )
    return row


async def suspend_sessions(
    session: AsyncSession, workspace_id: str, user_id: str, firing: Firing, firing_id: str
) -> tuple[int, int]:
    """End the user's browser sessions and revoke their API tokens (as offboarding does);
    they may log in again, and a supervisor sees why in the alert."""
    user = await session.get(User, user_id)
    if user is None or user.workspace_id != workspace_id:
        return 0, 0
    ended, revoked = await end_access(session, user.id)
    await audit.record(
        session,
        workspace_id,
        "risk.sessions_suspended",
        _rule_actor(),
        target_type="user",
        target_id=user_id,
        data={
            "rule_id": firing.rule_id,
            "firing_id": firing_id,
            "sessions_ended": ended,
            "tokens_revoked": revoked,
        },
    )
    return ended, revoked


async def lock_account(
    session: AsyncSession, workspace_id: str, account_id: str, firing: Firing, firing_id: str
) -> RiskAccountLock:
    active = await session.scalar(
        select(RiskAccountLock).where(
            RiskAccountLock.workspace_id == workspace_id,
            RiskAccountLock.account_id == account_id,
            RiskAccountLock.active.is_(True),
        )
    )
    row = active or RiskAccountLock(
        id=new_id(),
        workspace_id=workspace_id,
        account_id=account_id,
        rule_id=firing.rule_id,
        firing_id=firing_id,
        reason=_reason(firing),
        active=True,
    )
    if active is None:
        session.add(row)
    await audit.record(
        session,
        workspace_id,
        "risk.account_locked",
        _rule_actor(),
        target_type="channel_account",
        target_id=account_id,
        data={"rule_id": firing.rule_id, "lock_id": row.id, "joined": active is not None},
    )
    return row


# --- gates -----------------------------------------------------------------------------


def _approval_needed(what: str, pending: RiskApproval) -> Conflict:
    return Conflict(
        f"a supervisor must approve this {what.replace('.', ' ')} first: "
        f"{pending.reason}. Ask a supervisor to approve it (risk approvals).",
        reason="approval_required",
        approval_id=pending.id,
    )


async def check_clearance(
    session: AsyncSession,
    workspace_id: str,
    user_id: str,
    what: str,
    actor: audit.Actor | None = None,
) -> None:
    """Refuse ``what`` (one of :data:`SENSITIVE`) while a supervisor approval is pending
    for the user; an approved one is used up by this action (audited when ``actor`` is
    given, in the caller's transaction)."""
    rows = (
        await session.scalars(
            select(RiskApproval)
            .where(
                RiskApproval.workspace_id == workspace_id,
                RiskApproval.user_id == user_id,
                RiskApproval.status.in_(("pending", "approved")),
            )
            .order_by(RiskApproval.created_at)
            .with_for_update()
        )
    ).all()
    pending = [r for r in rows if r.status == "pending"]
    if pending:
        raise _approval_needed(what, pending[0])
    approved = [r for r in rows if r.status == "approved"]
    if approved:
        row = approved[0]
        row.status = "used"
        row.used_for = what
        row.used_at = utcnow()
        if actor is not None:
            await audit.record(
                session,
                workspace_id,
                "risk.approval_used",
                actor,
                target_type="risk_approval",
                target_id=row.id,
                data={"for": what, "user_id": user_id},
            )


async def refuse_if_not_cleared(
    services: Services, workspace_id: str, user_id: str, what: str, actor: audit.Actor
) -> None:
    """A pre-check in a transaction of its own that audits a refusal (``risk.gate_refused``)
    before raising it; the action then repeats :func:`check_clearance` in its own
    transaction, which settles any race."""
    async with transaction(services.sessionmaker) as session:
        pending = await session.scalar(
            select(RiskApproval).where(
                RiskApproval.workspace_id == workspace_id,
                RiskApproval.user_id == user_id,
                RiskApproval.status == "pending",
            )
        )
        if pending is None:
            return
        await audit.record(
            session,
            workspace_id,
            "risk.gate_refused",
            actor,
            target_type="risk_approval",
            target_id=pending.id,
            data={"for": what, "user_id": user_id, "rule_id": pending.rule_id},
        )
        refusal = _approval_needed(what, pending)
    raise refusal


async def check_account_unlocked(session: AsyncSession, workspace_id: str, account_id: str) -> None:
    lock = await session.scalar(
        select(RiskAccountLock).where(
            RiskAccountLock.workspace_id == workspace_id,
            RiskAccountLock.account_id == account_id,
            RiskAccountLock.active.is_(True),
        )
    )
    if lock is not None:
        raise Conflict(
            f"this account's session checkout is locked ({lock.reason}); "
            "a supervisor must unlock it",
            reason="risk_locked",
            lock_id=lock.id,
        )


# --- supervisors -----------------------------------------------------------------------


def _check_manager(principal: Principal) -> None:
    if not principal.can(Permission.RISK_MANAGE):
        raise PermissionDenied("your role lacks the permission: risk.manage")


def approval_scope(principal: Principal) -> ColumnElement[bool]:
    """Approvals the principal may see and decide: all of the workspace for those who read
    everything, else those of the members of their teams (as for alerts)."""
    in_workspace = RiskApproval.workspace_id == principal.workspace_id
    if principal.can(Permission.CONVERSATION_READ_ALL):
        return in_workspace
    members = select(TeamMember.user_id).where(
        TeamMember.workspace_id == principal.workspace_id,
        TeamMember.team_id.in_(principal.team_ids),
    )
    return in_workspace & RiskApproval.user_id.in_(members)


def firing_scope(principal: Principal) -> ColumnElement[bool]:
    """Firings about the members or the accounts of the principal's teams."""
    in_workspace = RiskRuleFiring.workspace_id == principal.workspace_id
    if principal.can(Permission.CONVERSATION_READ_ALL):
        return in_workspace
    members = select(TeamMember.user_id).where(
        TeamMember.workspace_id == principal.workspace_id,
        TeamMember.team_id.in_(principal.team_ids),
    )
    accounts = select(ChannelAccount.id).where(
        ChannelAccount.workspace_id == principal.workspace_id,
        ChannelAccount.team_id.in_(principal.team_ids),
    )
    return in_workspace & or_(
        RiskRuleFiring.subject_user_id.in_(members),
        RiskRuleFiring.subject_account_id.in_(accounts),
    )


def lock_scope(principal: Principal) -> ColumnElement[bool]:
    """Locks on the accounts of the principal's teams (all of them for read-all roles)."""
    in_workspace = RiskAccountLock.workspace_id == principal.workspace_id
    if principal.can(Permission.CONVERSATION_READ_ALL):
        return in_workspace
    accounts = select(ChannelAccount.id).where(
        ChannelAccount.workspace_id == principal.workspace_id,
        ChannelAccount.team_id.in_(principal.team_ids),
    )
    return in_workspace & RiskAccountLock.account_id.in_(accounts)


def _note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"a note has at most {MAX_NOTE} characters", field="note")
    return note or None


@dataclass(frozen=True, slots=True)
class ApprovalView:
    id: str
    user_id: str
    rule_id: str
    reason: str
    status: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


@dataclass(frozen=True, slots=True)
class LockView:
    id: str
    account_id: str
    rule_id: str
    reason: str
    active: bool
    created_at: datetime
    unlocked_by: str | None
    unlocked_at: datetime | None
    note: str | None


def _approval_view(row: RiskApproval) -> ApprovalView:
    return ApprovalView(
        row.id, row.user_id, row.rule_id, row.reason, row.status, row.created_at,
        row.decided_by, row.decided_at, row.note,
    )  # fmt: skip


def _lock_view(row: RiskAccountLock) -> LockView:
    return LockView(
        row.id, row.account_id, row.rule_id, row.reason, row.active, row.created_at,
        row.unlocked_by, row.unlocked_at, row.note,
    )  # fmt: skip


async def list_approvals(
    services: Services, principal: Principal, status: str | None = "pending"
) -> list[ApprovalView]:
    _check_manager(principal)
    query = select(RiskApproval).where(approval_scope(principal))
    if status:
        query = query.where(RiskApproval.status == status)
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(query.order_by(RiskApproval.created_at.desc()).limit(500))
        return [_approval_view(r) for r in rows]


async def approve(
    services: Services,
    principal: Principal,
    approval_id: str,
    note: str | None,
    actor: audit.Actor,
) -> ApprovalView:
    """A supervisor lets the user's next sensitive action through; never their own."""
    _check_manager(principal)
    text = _note(note)
    async with transaction(services.sessionmaker) as session:
        row = await session.scalar(
            select(RiskApproval)
            .where(RiskApproval.id == approval_id, approval_scope(principal))
            .with_for_update()
        )
        if row is None:
            raise NotFound("no such approval")
        if row.user_id == principal.user_id:
            raise PermissionDenied("another supervisor must approve your own actions")
        if row.status != "pending":
            raise Conflict(f"this approval is already {row.status}", status=row.status)
        row.status = "approved"
        row.decided_by = principal.user_id
        row.decided_at = utcnow()
        row.note = text
        await audit.record(
            session,
            principal.workspace_id,
            "risk.approval_granted",
            actor,
            target_type="risk_approval",
            target_id=row.id,
            data={"user_id": row.user_id, "rule_id": row.rule_id, "note": text},
        )
        return _approval_view(row)


async def list_locks(
    services: Services, principal: Principal, *, active_only: bool = True
) -> list[LockView]:
    _check_manager(principal)
    query = select(RiskAccountLock).where(lock_scope(principal))
    if active_only:
        query = query.where(RiskAccountLock.active.is_(True))
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(query.order_by(RiskAccountLock.created_at.desc()).limit(500))
        return [_lock_view(r) for r in rows]


async def unlock_account(
    services: Services,
    principal: Principal,
    lock_id: str,
    note: str | None,
    actor: audit.Actor,
) -> LockView:
    _check_manager(principal)
    text = _note(note)
    async with transaction(services.sessionmaker) as session:
        row = await session.scalar(
            select(RiskAccountLock)
            .where(RiskAccountLock.id == lock_id, lock_scope(principal))
            .with_for_update()
        )
        if row is None:
            raise NotFound("no such account lock")
        if not row.active:
            raise Conflict("this account is already unlocked")
        row.active = False
        row.unlocked_by = principal.user_id
        row.unlocked_at = utcnow()
        row.note = text
        await audit.record(
            session,
            principal.workspace_id,
            "risk.account_unlocked",
            actor,
            target_type="channel_account",
            target_id=row.account_id,
            data={"lock_id": row.id, "rule_id": row.rule_id, "note": text},
        )
        return _lock_view(row)
