"""Offboarding: a person leaves, the company keeps the customers.

One transaction disables the user, ends every browser session, revokes every API token,
returns the platform account sessions they hold checked out, and moves each conversation
assigned to them to a chosen colleague (when that colleague belongs to the conversation's
team) or back to the team queue. Every step is audited; what the person did before stays
in the audit log untouched.
"""

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.identity import set_user_disabled
from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.models import (
    AccountSession,
    ApiToken,
    Conversation,
    TeamMember,
    User,
    WebSession,
)
from crossdesk.db.session import commit
from crossdesk.domain import Permission, Role
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services


@dataclass(frozen=True, slots=True)
class OffboardingResult:
    user_id: str
    sessions_ended: int
    tokens_revoked: int
    account_sessions_returned: int
    reassigned: int
    returned_to_queue: int


def check_may_manage(by: Principal, user: User) -> None:
    """The rules for changing another person: user.manage, never oneself, and only an
    owner may change an owner (an admin cannot lock the owners out)."""
    if not by.can(Permission.USER_MANAGE):
        raise PermissionDenied("your role lacks the permission: user.manage")
    if user.workspace_id != by.workspace_id:
        raise PermissionDenied("that user belongs to another workspace")
    if user.id == by.user_id:
        raise InvalidInput("you cannot change your own account this way")
    if user.role == Role.OWNER.value and by.role is not Role.OWNER:
        raise PermissionDenied("only an owner may change an owner")


async def end_access(session: AsyncSession, user_id: str) -> tuple[int, int]:
    """End every browser session of the user and revoke their API tokens, at once (the
    caller audits). Returns (sessions ended, tokens revoked). Risk rules reuse it."""
    ended = await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    revoked = await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    return (
        ended.rowcount or 0,  # type: ignore[attr-defined]  # CursorResult
        revoked.rowcount or 0,  # type: ignore[attr-defined]  # CursorResult
    )


async def offboard_user(
    services: Services,
    session: AsyncSession,
    user: User,
    actor: audit.Actor,
    *,
    reassign_to: User | None = None,
    by: Principal | None = None,
) -> OffboardingResult:
    """Disable ``user`` and hand their work over; commits. ``by`` is the acting person
    (None from the operator CLI, which runs with the machine's authority)."""
    if by is not None:
        check_may_manage(by, user)
    if reassign_to is not None and (
        reassign_to.workspace_id != user.workspace_id
        or reassign_to.disabled
        or reassign_to.id == user.id
    ):
        raise InvalidInput(
            "hand the conversations to an active colleague in the same workspace",
            field="reassign_to",
        )
    await set_user_disabled(session, user, True, actor)
    ended, revoked = await end_access(session, user.id)
    returned = await _return_account_sessions(session, user, actor)
    moved = queued = 0
    conversations = (
        await session.scalars(
            select(Conversation)
            .where(
                Conversation.workspace_id == user.workspace_id,
                Conversation.assignee_id == user.id,
            )
            .with_for_update()
        )
    ).all()
    target_teams: set[str] = set()
    if reassign_to is not None:
        target_teams = set(
            (
                await session.scalars(
                    select(TeamMember.team_id).where(TeamMember.user_id == reassign_to.id)
                )
            ).all()
        )
    for conversation in conversations:
        fits = reassign_to is not None and (
            conversation.team_id is None or conversation.team_id in target_teams
        )
        new_assignee = reassign_to.id if fits and reassign_to is not None else None
        conversation.assignee_id = new_assignee
        if new_assignee is None:
            queued += 1
        else:
            moved += 1
        await audit.record(
            session,
            user.workspace_id,
            "conversation.assign",
            actor,
            target_type="conversation",
            target_id=conversation.id,
            data={"from": user.id, "to": new_assignee, "reason": "offboarding"},
        )
        publish_on_commit(
            services, session, "conversation.updated", conversation, {"previous_assignee": user.id}
        )
    result = OffboardingResult(
        user.id,
        sessions_ended=ended,
        tokens_revoked=revoked,
        account_sessions_returned=returned,
        reassigned=moved,
        returned_to_queue=queued,
    )
    await audit.record(
        session,
        user.workspace_id,
        "user.offboard",
        actor,
        target_type="user",
        target_id=user.id,
        data={
            "sessions_ended": result.sessions_ended,
            "tokens_revoked": result.tokens_revoked,
            "account_sessions_returned": returned,
            "reassigned_to": reassign_to.id if reassign_to else None,
            "reassigned": moved,
            "returned_to_queue": queued,
        },
    )
    await commit(session)
    return result


async def _return_account_sessions(session: AsyncSession, user: User, actor: audit.Actor) -> int:
    """End the leases the user holds on platform account sessions, like a manager's forced
    check-in (``actions/sessions.force_checkin``): their later check-in is refused."""
    rows = (
        await session.scalars(
            select(AccountSession)
            .where(
                AccountSession.workspace_id == user.workspace_id,
                AccountSession.lease_holder_id == user.id,
            )
            .with_for_update()
        )
    ).all()
    for row in rows:
        row.lease_holder_id = None
        row.lease_token_hash = None
        row.leased_at = None
        row.lease_expires_at = None
        await audit.record(
            session,
            user.workspace_id,
            "session.force_checkin",
            actor,
            target_type="channel_account",
            target_id=row.account_id,
            data={"holder": user.id, "reason": "offboarding"},
        )
    return len(rows)


async def reenable_user(
    session: AsyncSession, user: User, actor: audit.Actor, *, by: Principal | None = None
) -> None:
    """Let a disabled person log in again (their old sessions and tokens stay gone)."""
    if by is not None:
        check_may_manage(by, user)
    if user.disabled:
        await set_user_disabled(session, user, False, actor)
    await commit(session)
