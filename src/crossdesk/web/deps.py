"""Request-scoped dependencies: the database session, the caller and permission checks.

Every route declares what it needs with ``require(Permission.X)`` (or ``public_route``);
tests walk all routes and fail on one that declares nothing.
"""

import hmac
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.identity import hash_token, principal_for
from crossdesk.db.models import ApiToken, User, WebSession
from crossdesk.domain import Permission
from crossdesk.errors import CsrfRejected, PermissionDenied, Unauthenticated
from crossdesk.risk.audit import Actor
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_COOKIE = "cd_session"
SECURE_SESSION_COOKIE = "__Host-cd_session"


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(request: Request, services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """A read-only session for GET (no state change on GET), a writing one otherwise."""
    maker = (
        services.sessionmaker if request.method in UNSAFE_METHODS else services.read_sessionmaker
    )
    async with maker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def actor_of(request: Request, principal: Principal | None = None) -> Actor:
    client = request.client.host if request.client else None
    return Actor(
        principal.user_id if principal else None, client, request.headers.get("user-agent")
    )


def session_cookie_name(services: Services) -> str:
    return SECURE_SESSION_COOKIE if services.settings.web.secure_cookies else SESSION_COOKIE


async def _authenticate(
    request: Request, services: Services, session: AsyncSession
) -> tuple[Principal, WebSession | None]:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        row = await session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
            )
        )
        if row is None:
            raise Unauthenticated("the API token is unknown or revoked")
        user = await session.get(User, row.user_id)
        web_session = None
    else:
        cookie = request.cookies.get(session_cookie_name(services))
        if not cookie:
            raise Unauthenticated("log in first")
        web_session = await session.get(WebSession, hash_token(cookie))
        if web_session is None or web_session.expires_at < datetime.now(UTC):
            raise Unauthenticated("your session has expired; log in again")
        user = await session.get(User, web_session.user_id)
        if request.method in UNSAFE_METHODS:
            await _check_csrf(request, web_session)
    if user is None or user.disabled:
        raise Unauthenticated("this account is disabled")
    principal = await principal_for(session, user)
    request.state.principal = principal
    request.state.web_session = web_session
    return principal, web_session


async def _check_csrf(request: Request, web_session: WebSession) -> None:
    """Cookie-authenticated state changes must echo the session's CSRF token, in the
    ``X-CSRF-Token`` header (htmx, fetch) or a ``csrf_token`` form field."""
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given, web_session.csrf_token):
        raise CsrfRejected("the form is out of date or came from another site; reload the page")


async def current_principal(request: Request, services: ServicesDep) -> Principal:
    """Authenticate in a short session of its own, so that long responses (event streams)
    hold no database connection."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    async with services.read_sessionmaker() as session:
        principal, _ = await _authenticate(request, services, session)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(
    *permissions: Permission, any_of: bool = False
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that authenticates the caller and checks permissions."""

    async def _check(principal: CurrentPrincipal) -> Principal:
        granted = [p in principal.permissions for p in permissions]
        if not (any(granted) if any_of else all(granted)):
            names = ", ".join(p.value for p in permissions)
            raise PermissionDenied(f"your role lacks the permission: {names}")
        return principal

    _check.crossdesk_permissions = permissions  # type: ignore[attr-defined]  # read by tests
    return _check


async def public_route() -> None:
    """Marks a route as deliberately open to anyone (login page, health, webhooks)."""


READ_ANY = (
    Permission.CONVERSATION_READ_OWN,
    Permission.CONVERSATION_READ_TEAM,
    Permission.CONVERSATION_READ_ALL,
)
Reader = Annotated[Principal, Depends(require(*READ_ANY, any_of=True))]
Sender = Annotated[Principal, Depends(require(Permission.MESSAGE_SEND))]
