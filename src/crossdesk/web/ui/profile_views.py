"""The profile page (UI language, browser notifications, online/away) and the supervisors'
team page (presence of each member, capacities, the team's auto-assignment policy)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crossdesk.actions.assignment import PolicyInput, save_policy, set_capacity
from crossdesk.actions.assignment_overview import team_overview
from crossdesk.actions.notifications import browser_notifications, set_browser_notifications
from crossdesk.actions.presence import presence_of, set_availability
from crossdesk.db.models import AgentState, User
from crossdesk.db.session import commit, rollback
from crossdesk.domain import Permission
from crossdesk.errors import CrossdeskError, InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require
from crossdesk.web.i18n import UI_LANGUAGES
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui", include_in_schema=False)
Member = Annotated[Principal, Depends(require(Permission.WORKSPACE_READ))]
Supervisor = Annotated[Principal, Depends(require(Permission.CONVERSATION_ASSIGN))]


async def _profile_context(session: SessionDep, principal: Principal) -> dict[str, Any]:
    state = await session.get(AgentState, principal.user_id)
    return {
        "availability": state.availability if state else "online",
        "presence": presence_of(state).value,
        "browser": await browser_notifications(session, principal.user_id),
    }


@router.get("/profile")
async def profile(
    request: Request, principal: Member, session: SessionDep, saved: bool = False
) -> HTMLResponse:
    context = {**await _profile_context(session, principal), "saved": saved, "error": None}
    return render(request, "profile.html", context)


@router.post("/profile")
async def save_profile(
    request: Request,
    principal: Member,
    services: ServicesDep,
    session: SessionDep,
    language: Annotated[str, Form(max_length=16)],
    availability: Annotated[str, Form(max_length=16)] = "online",
    browser_notifications: Annotated[bool, Form()] = False,
) -> Response:
    try:
        if language not in UI_LANGUAGES:
            raise InvalidInput(f"unsupported language {language!r}", field="language")
        user = await session.get(User, principal.user_id)
        assert user is not None  # authenticated just now
        user.language = language
        await set_browser_notifications(session, principal, browser_notifications)
        await set_availability(
            services, session, principal, availability, actor_of(request, principal)
        )
    except CrossdeskError as exc:
        await rollback(session)
        context = {**await _profile_context(session, principal), "saved": False}
        context["error"] = exc.message
        return render(request, "profile.html", context, status_code=exc.http_status)
    await commit(session)
    return RedirectResponse("/ui/profile?saved=1", status_code=303)


@router.get("/team")
async def team_page(request: Request, principal: Supervisor, session: SessionDep) -> HTMLResponse:
    context = {"teams": await team_overview(session, principal), "error": None}
    return render(request, "team_assignment.html", context)


def _optional_int(raw: str, field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput(f"{field} must be a whole number, or empty", field=field)
    return int(raw)


@router.post("/team/{team_id}/policy")
async def save_team_policy(
    team_id: str,
    request: Request,
    principal: Supervisor,
    services: ServicesDep,
    session: SessionDep,
    default_capacity: Annotated[str, Form(max_length=6)],
    offline_return_minutes: Annotated[str, Form(max_length=6)] = "",
    auto_assign: Annotated[bool, Form()] = False,
) -> Response:
    async def change() -> None:
        capacity = _optional_int(default_capacity, "default_capacity")
        if capacity is None:
            raise InvalidInput("the default capacity is required", field="default_capacity")
        minutes = _optional_int(offline_return_minutes, "offline_return_minutes")
        value = PolicyInput(auto_assign, capacity, minutes)
        await save_policy(
            services, session, principal, team_id, value, actor_of(request, principal)
        )

    return await _apply(request, session, principal, change)


@router.post("/team/capacity/{user_id}")
async def save_capacity(
    user_id: str,
    request: Request,
    principal: Supervisor,
    services: ServicesDep,
    session: SessionDep,
    capacity: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    async def change() -> None:
        value = _optional_int(capacity, "capacity")
        await set_capacity(
            services, session, principal, user_id, value, actor_of(request, principal)
        )

    return await _apply(request, session, principal, change)


async def _apply(
    request: Request,
    session: SessionDep,
    principal: Principal,
    change: Callable[[], Awaitable[None]],
) -> Response:
    try:
        await change()
    except CrossdeskError as exc:
        await rollback(session)
        context = {"teams": await team_overview(session, principal), "error": exc.message}
        return render(request, "team_assignment.html", context, status_code=exc.http_status)
    await commit(session)
    return RedirectResponse("/ui/team", status_code=303)
