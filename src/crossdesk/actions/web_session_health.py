"""Is an account's stored browser session still logged in? A cheap check on a schedule.

For an account whose browser session was captured and which has a configured "logged-in"
URL (``config.logged_in_url``, e.g. the platform's inbox page; optionally
``config.logged_in_marker``, text only a logged-in page shows), the health worker asks that
URL with the session's cookies, through the account's own proxy, and follows redirects:

- 2xx, not redirected to another path that looks like a login page, marker present (when
  configured): ``logged_in``;
- a redirect to a login page, 401/403, or the marker missing: ``logged_out`` (the session
  expired or was revoked: an admin must capture it again);
- anything else (network trouble, 5xx): ``unknown``, which changes nothing.

A change is recorded and audited (``session.web_check``); ``logged_out`` raises an alert for
the admins once. The check is skipped while someone holds the lease (the session is in use
and a second client on it is what platforms flag). Only cookies are sent: a web app that
keeps its login in localStorage or IndexedDB alone (WhatsApp Web) cannot be checked this
way; the check then sees the logged-out page, so do not configure it for such apps.
Cookies the platform sets in the answer are not stored back (the check never changes the
session). No database session is held while the platform answers (ADR 0002).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from crossdesk.actions.accounts import account_context
from crossdesk.actions.sessions import lease_active, may_use, open_state
from crossdesk.channels.base import AccountContext
from crossdesk.db.base import utcnow
from crossdesk.db.models import AccountSession, AccountWebCheck, ChannelAccount
from crossdesk.db.session import transaction
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.alerts import raise_alert
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

CHECK_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
LOGIN_HINTS = ("*login*", "*signin*", "*sign-in*", "*sign_in*", "*logon*", "*auth*")
MAX_MARKER = 200


@dataclass(frozen=True, slots=True)
class WebCheck:
    state: str  # logged_in | logged_out | unknown
    detail: str


@dataclass(frozen=True, slots=True)
class WebCheckView:
    state: str
    detail: str
    checked_at: datetime


def cookies_from_state(raw: bytes) -> httpx.Cookies:
    """The cookies of a Playwright storage state, with their domains and paths."""
    jar = httpx.Cookies()
    state = json.loads(raw)
    for cookie in state.get("cookies", []):
        if not isinstance(cookie, dict):
            continue
        name, value = cookie.get("name"), cookie.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        domain = str(cookie.get("domain", "")).lstrip(".")
        jar.set(name, value, domain=domain, path=str(cookie.get("path") or "/"))
    return jar


def _looks_like_login(url: httpx.URL, wanted: str) -> bool:
    if url.path == urlsplit(wanted).path:
        return False
    return any(fnmatch.fnmatch(url.path.lower(), hint) for hint in LOGIN_HINTS)


async def check_web_session(
    client: httpx.AsyncClient, state: bytes, url: str, marker: str | None
) -> WebCheck:
    """One GET of ``url`` with the session's cookies; never raises for platform trouble."""
    client.cookies.update(cookies_from_state(state))  # a client of its own, per check
    try:
        response = await client.get(url, follow_redirects=True, timeout=CHECK_TIMEOUT)
    except httpx.TransportError as exc:
        return WebCheck("unknown", f"could not reach the page: {type(exc).__name__}")
    if response.status_code in (401, 403):
        return WebCheck("logged_out", f"the page answered {response.status_code}")
    if _looks_like_login(response.url, url):
        return WebCheck("logged_out", f"redirected to the login page ({response.url.path})")
    if not response.is_success:
        return WebCheck("unknown", f"the page answered {response.status_code}")
    if marker and marker not in response.text:
        return WebCheck("logged_out", "the logged-in page does not show the expected text")
    return WebCheck("logged_in", f"logged in ({response.url.path})")


@dataclass(frozen=True, slots=True)
class _Target:
    account_id: str
    workspace_id: str
    name: str
    url: str
    marker: str | None
    state: bytes
    context: AccountContext


async def due_checks(services: Services, account_ids: list[str] | None = None) -> list[_Target]:
    """Accounts to check now: a captured session, a logged-in URL, nobody holding the lease."""
    now = utcnow()
    targets: list[_Target] = []
    async with services.read_sessionmaker() as session:
        query = (
            select(ChannelAccount, AccountSession)
            .join(AccountSession, AccountSession.account_id == ChannelAccount.id)
            .where(ChannelAccount.archived.is_(False))
        )
        if account_ids is not None:
            query = query.where(ChannelAccount.id.in_(account_ids))
        for account, row in (await session.execute(query)).all():
            url = account.config.get("logged_in_url")
            if not url or lease_active(row, now):
                continue
            marker = account.config.get("logged_in_marker") or None
            targets.append(
                _Target(
                    account.id,
                    account.workspace_id,
                    account.name,
                    str(url),
                    str(marker) if marker else None,
                    open_state(services, row),
                    await account_context(services, session, account),
                )
            )
    return targets


async def record_web_check(
    services: Services, target: _Target, result: WebCheck, actor: audit.Actor = audit.SYSTEM
) -> bool:
    """Store the check; audit a change and alert a logout. Returns True when it changed."""
    if result.state == "unknown":
        return False
    async with transaction(services.sessionmaker) as session:
        row = await session.get(AccountWebCheck, target.account_id)
        before = row.state if row is not None else None
        if row is None:
            row = AccountWebCheck(account_id=target.account_id, workspace_id=target.workspace_id)
            session.add(row)
        row.state = result.state
        row.detail = result.detail[:300]
        row.checked_at = utcnow()
        if before == result.state:
            return False
        await audit.record(
            session,
            target.workspace_id,
            "session.web_check",
            actor,
            target_type="channel_account",
            target_id=target.account_id,
            data={"state": result.state, "before": before, "detail": result.detail[:300]},
        )
        if result.state == "logged_out":
            await raise_alert(
                session,
                target.workspace_id,
                kind="session.logged_out",
                severity=4,
                summary=f"{target.name}: the stored browser session is logged out; capture again",
                actor_id=actor.user_id,
                target_type="channel_account",
                target_id=target.account_id,
                data={"detail": result.detail[:300]},
            )
        return True


def default_web_client(account: AccountContext) -> httpx.AsyncClient:
    """Through the account's own proxy, as the platform would see the agent."""
    return httpx.AsyncClient(timeout=CHECK_TIMEOUT, proxy=account.proxy_url)


async def run_web_checks(
    services: Services,
    client_factory: Callable[[AccountContext], httpx.AsyncClient] = default_web_client,
    account_ids: list[str] | None = None,
    actor: audit.Actor = audit.SYSTEM,
) -> dict[str, WebCheck]:
    results: dict[str, WebCheck] = {}
    for target in await due_checks(services, account_ids):  # no session held from here
        async with client_factory(target.context) as client:
            result = await check_web_session(client, target.state, target.url, target.marker)
        await record_web_check(services, target, result, actor)
        results[target.account_id] = result
    return results


async def set_web_check(
    services: Services,
    principal: Principal,
    account_id: str,
    url: str,
    marker: str,
    actor: audit.Actor,
) -> None:
    """Configure (or with an empty URL turn off) the account's logged-in check; audited."""
    if not principal.can(Permission.ACCOUNT_MANAGE):
        raise PermissionDenied("your role lacks the permission: account.manage")
    url, marker = url.strip(), marker.strip()
    if url and (not url.startswith(("https://", "http://")) or len(url) > 500):
        raise InvalidInput("the logged-in URL must be an http(s):// URL", field="logged_in_url")
    if len(marker) > MAX_MARKER:
        raise InvalidInput(
            f"the expected text is longer than {MAX_MARKER} characters", field="logged_in_marker"
        )
    async with transaction(services.sessionmaker) as session:
        account = await session.get(ChannelAccount, account_id)
        if account is None or not may_use(principal, account):
            raise NotFound("no such account")
        config = dict(account.config)
        for key, value in (("logged_in_url", url), ("logged_in_marker", marker)):
            if value:
                config[key] = value
            else:
                config.pop(key, None)
        account.config = config
        await audit.record(
            session,
            principal.workspace_id,
            "account.web_check_config",
            actor,
            target_type="channel_account",
            target_id=account_id,
            data={"logged_in_url": url or None, "marker_set": bool(marker)},
        )


async def web_check_views(
    services: Services, workspace_id: str, account_ids: list[str]
) -> dict[str, WebCheckView]:
    if not account_ids:
        return {}
    async with services.read_sessionmaker() as session:
        rows = (
            await session.scalars(
                select(AccountWebCheck).where(
                    AccountWebCheck.account_id.in_(account_ids),
                    AccountWebCheck.workspace_id == workspace_id,
                )
            )
        ).all()
    return {r.account_id: WebCheckView(r.state, r.detail, r.checked_at) for r in rows}
