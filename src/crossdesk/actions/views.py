"""Saved inbox views: a named filter, personal or shared with a team, and their unread
counts. A view never widens what its reader may see: it is applied inside the reader's
own scope, whoever saved it."""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.inbox_filters import InboxFilter, unread_clause
from crossdesk.db.models import ChannelAccount, Contact, Conversation, SavedView, Team
from crossdesk.db.repositories import InboxView, _view_filter, views_for
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal, conversation_scope

MAX_VIEWS_PER_USER = 50
# Sidebar counts stop here ("99+"): counting further would scan a whole large inbox.
COUNT_CAP = 100
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """What a saved view holds: the inbox tab and the filter."""

    tab: InboxView
    filters: InboxFilter

    @classmethod
    def load(cls, stored: Mapping[str, Any]) -> "ViewSpec":
        query = {k: v for k, v in stored.items() if k != "view"}
        try:
            tab = InboxView(str(stored.get("view") or InboxView.ALL.value))
        except ValueError:
            raise InvalidInput("view must be mine, unassigned, team or all", field="view") from None
        return cls(tab, InboxFilter.from_query(query))

    def dump(self) -> dict[str, Any]:
        return {"view": self.tab.value, **self.filters.to_query()}

    def tab_for(self, principal: Principal) -> InboxView:
        """The saved tab if the reader may open it, else their widest one."""
        allowed = views_for(principal)
        return self.tab if self.tab in allowed else allowed[-1]


def clean_view_name(name: str) -> str:
    cleaned = _SPACES.sub(" ", name).strip()
    if not cleaned or len(cleaned) > 60:
        raise InvalidInput("a view name needs 1 to 60 characters", field="name")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise InvalidInput("a view name may not contain control characters", field="name")
    return cleaned


async def visible_views(session: AsyncSession, principal: Principal) -> list[SavedView]:
    """The caller's own views and those shared with their teams, by name."""
    clauses = [SavedView.owner_id == principal.user_id]
    if principal.team_ids:
        clauses.append(SavedView.team_id.in_(principal.team_ids))
    statement = (
        select(SavedView)
        .where(
            SavedView.workspace_id == principal.workspace_id,
            SavedView.archived_at.is_(None),
            or_(*clauses),
        )
        .order_by(SavedView.name, SavedView.id)
    )
    return list((await session.scalars(statement)).all())


async def get_view(session: AsyncSession, principal: Principal, view_id: str) -> SavedView:
    for view in await visible_views(session, principal):
        if view.id == view_id:
            return view
    raise NotFound("no such saved view")


async def _check_team(session: AsyncSession, principal: Principal, team_id: str | None) -> None:
    if team_id is None:
        return
    if not principal.can(Permission.VIEW_SHARE):
        raise PermissionDenied("your role may not share views with a team")
    team = await session.scalar(
        select(Team.id).where(Team.id == team_id, Team.workspace_id == principal.workspace_id)
    )
    if team is None:
        raise InvalidInput("no team with that id in this workspace", field="team_id")
    # A supervisor shares with their own teams; workspace-wide readers with any.
    if team_id not in principal.team_ids and not principal.can(Permission.USER_MANAGE):
        raise PermissionDenied("you may share views only with your own teams")


async def _check_name(
    session: AsyncSession, principal: Principal, name: str, exclude: str | None = None
) -> None:
    mine = [
        v
        for v in await visible_views(session, principal)
        if v.owner_id == principal.user_id and v.id != exclude
    ]
    if any(v.name.casefold() == name.casefold() for v in mine):
        raise Conflict(f"you already have a view named {name!r}", field="name")
    if exclude is None and len(mine) >= MAX_VIEWS_PER_USER:
        raise InvalidInput(f"at most {MAX_VIEWS_PER_USER} saved views per person", field="name")


async def create_view(
    session: AsyncSession,
    principal: Principal,
    name: str,
    spec: ViewSpec,
    team_id: str | None,
    actor: audit.Actor,
) -> SavedView:
    name = clean_view_name(name)
    await _check_team(session, principal, team_id)
    await _check_name(session, principal, name)
    view = SavedView(
        workspace_id=principal.workspace_id,
        owner_id=principal.user_id,
        team_id=team_id,
        name=name,
        filters=spec.dump(),
    )
    session.add(view)
    await session.flush()
    await audit.record(
        session,
        principal.workspace_id,
        "view.create",
        actor,
        target_type="saved_view",
        target_id=view.id,
        data={"name": name, "team_id": team_id, "filters": view.filters},
    )
    await commit(session)
    return view


def _owned(principal: Principal, view: SavedView) -> None:
    # Shared views are read by the team, changed only by whoever saved them.
    if view.owner_id != principal.user_id:
        raise PermissionDenied("only the person who saved a view may change it")


async def update_view(
    session: AsyncSession,
    principal: Principal,
    view_id: str,
    actor: audit.Actor,
    *,
    name: str | None = None,
    spec: ViewSpec | None = None,
    team_id: str | None = None,
    share: bool = False,
) -> SavedView:
    """Rename, change the filter, or (``share``) set the team (None: personal)."""
    view = await get_view(session, principal, view_id)
    _owned(principal, view)
    changed: dict[str, Any] = {}
    if name is not None:
        cleaned = clean_view_name(name)
        if cleaned != view.name:
            await _check_name(session, principal, cleaned, exclude=view.id)
            view.name = changed["name"] = cleaned
    if spec is not None and spec.dump() != view.filters:
        view.filters = changed["filters"] = spec.dump()
    if share and team_id != view.team_id:
        await _check_team(session, principal, team_id)
        view.team_id = team_id
        changed["team_id"] = team_id
    if changed:
        await audit.record(
            session,
            principal.workspace_id,
            "view.update",
            actor,
            target_type="saved_view",
            target_id=view.id,
            data=changed,
        )
    await commit(session)
    return view


async def archive_view(
    session: AsyncSession, principal: Principal, view_id: str, actor: audit.Actor
) -> SavedView:
    view = await get_view(session, principal, view_id)
    _owned(principal, view)
    view.archived_at = utcnow()
    await audit.record(
        session,
        principal.workspace_id,
        "view.archive",
        actor,
        target_type="saved_view",
        target_id=view.id,
        data={"name": view.name},
    )
    await commit(session)
    return view


async def unread_total(
    session: AsyncSession,
    principal: Principal,
    tab: InboxView,
    filters: InboxFilter,
    *,
    now: datetime | None = None,
) -> int:
    """Conversations with unread messages in a tab and filter (up to ``COUNT_CAP``)."""
    inner = (
        select(Conversation.id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(ChannelAccount, ChannelAccount.id == Conversation.account_id)
        .where(
            conversation_scope(principal),
            Conversation.archived_at.is_(None),
            unread_clause(principal),
            *filters.clauses(principal, now or utcnow()),
        )
        .limit(COUNT_CAP)
    )
    extra = _view_filter(principal, tab)
    if extra is not None:
        inner = inner.where(extra)
    count = await session.scalar(select(func.count()).select_from(inner.subquery()))
    return int(count or 0)


async def view_unread_counts(
    session: AsyncSession, principal: Principal, views: Sequence[SavedView]
) -> dict[str, int | None]:
    """Unread conversations per saved view; None for a view whose filter no longer
    validates (a label id from another workspace, a filter since renamed)."""
    now = utcnow()
    counts: dict[str, int | None] = {}
    for view in views:
        try:
            spec = ViewSpec.load(view.filters)
        except InvalidInput:
            counts[view.id] = None
            continue
        counts[view.id] = await unread_total(
            session, principal, spec.tab_for(principal), spec.filters, now=now
        )
    return counts


async def tab_unread_counts(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """Unread open conversations per inbox tab the caller may open."""
    now = utcnow()
    return {
        tab.value: await unread_total(session, principal, tab, InboxFilter(), now=now)
        for tab in views_for(principal)
    }
