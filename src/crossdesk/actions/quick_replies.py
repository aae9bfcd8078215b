"""Quick replies: a library per workspace and per team, with variables."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.models import QuickReply
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal

SHORTCUT = re.compile(r"[\w-]{1,40}")
VARIABLE = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")


@dataclass(frozen=True, slots=True)
class ReplyVariables:
    customer_name: str
    agent_name: str
    # The contact's custom attributes (contact profile), e.g. {order_number}.
    attributes: Mapping[str, object] = field(default_factory=dict)


def fill(text: str, variables: ReplyVariables) -> str:
    """Replace {customer_name}, {agent_name} and {<attribute>} from the contact's profile.

    A variable the contact has no value for stays as written, so the agent sees what is
    missing in the composer instead of a silently shortened sentence.
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "customer_name":
            return variables.customer_name
        if name == "agent_name":
            return variables.agent_name
        found = variables.attributes.get(name)
        return match.group(0) if found is None or found == "" else str(found)

    return VARIABLE.sub(value, text)


async def visible_replies(
    session: AsyncSession, principal: Principal, query: str = "", limit: int = 20
) -> list[QuickReply]:
    """The workspace's replies and those of the principal's teams, matching ``query``."""
    statement = (
        select(QuickReply)
        .where(
            QuickReply.workspace_id == principal.workspace_id,
            or_(QuickReply.team_id.is_(None), QuickReply.team_id.in_(principal.team_ids)),
        )
        .order_by(QuickReply.shortcut)
        .limit(limit)
    )
    if query:
        like = f"%{query.replace('%', '').replace('_', '')}%"
        statement = statement.where(
            or_(QuickReply.shortcut.ilike(like), QuickReply.text.ilike(like))
        )
    return list((await session.scalars(statement)).all())


async def save_quick_reply(
    session: AsyncSession,
    principal: Principal,
    *,
    shortcut: str,
    text: str,
    team_id: str | None,
    actor: audit.Actor,
) -> QuickReply:
    """Create or replace a reply. Workspace-wide ones need conversation.assign (supervisors
    and admins); anyone may add replies to their own team's library."""
    shortcut = shortcut.strip().lstrip("/")
    if not SHORTCUT.fullmatch(shortcut):
        raise InvalidInput("a shortcut is 1 to 40 letters, digits, _ or -", field="shortcut")
    text = text.strip()
    if not text or len(text) > 4096:
        raise InvalidInput("the reply needs 1 to 4096 characters", field="text")
    if team_id is None and not principal.can(Permission.CONVERSATION_ASSIGN):
        raise PermissionDenied("only supervisors and admins add workspace-wide replies")
    if (
        team_id is not None
        and team_id not in principal.team_ids
        and not principal.can(Permission.CONVERSATION_READ_ALL)
    ):
        raise PermissionDenied("you can only add replies to your own teams")
    row = await session.scalar(
        select(QuickReply).where(
            QuickReply.workspace_id == principal.workspace_id,
            QuickReply.shortcut == shortcut,
            QuickReply.team_id.is_(None) if team_id is None else QuickReply.team_id == team_id,
        )
    )
    if row is None:
        row = QuickReply(workspace_id=principal.workspace_id, team_id=team_id, shortcut=shortcut)
        session.add(row)
    row.text = text
    row.created_by = principal.user_id
    await session.flush()
    await audit.record(
        session,
        principal.workspace_id,
        "quick_reply.change",
        actor,
        target_type="quick_reply",
        target_id=row.id,
        data={"shortcut": shortcut, "team_id": team_id},
    )
    return row
