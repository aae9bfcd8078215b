"""The accounts admin page: every platform account with its health, proxy, browser session
lease and webhook URL; adding an account per platform; "test connection"; force check-in.
Telegram user accounts are logged in from their row (``telegram_login_views``, included here).

Managers (account.manage) see and change every account; agents and supervisors
(account.open) see their teams' accounts read-only. The connection test runs with no
database session held (ADR 0002): its route takes no ``SessionDep``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions import telegram_login_flow
from crossdesk.actions.account_health import (
    PLATFORM_FORMS,
    HealthResult,
    NewAccount,
    PlatformForm,
    add_account,
    assign_team,
    check_connection,
    last_checks,
    register_telegram_webhook,
)
from crossdesk.actions.account_overview import account_overviews
from crossdesk.actions.sessions import force_checkin, lease_active, may_use
from crossdesk.db.base import utcnow
from crossdesk.db.models import AccountSession, ChannelAccount, Team, User
from crossdesk.domain import ChannelKind, Permission
from crossdesk.errors import CrossdeskError, InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.web.deps import ServicesDep, actor_of, require
from crossdesk.web.ui import telegram_login_views
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/accounts", include_in_schema=False)
Manager = Annotated[Principal, Depends(require(Permission.ACCOUNT_MANAGE))]
Viewer = Annotated[
    Principal,
    Depends(require(Permission.ACCOUNT_MANAGE, Permission.ACCOUNT_OPEN, any_of=True)),
]
MAX_FIELD = 4096


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: str
    kind: str
    name: str
    external_id: str
    team_id: str | None
    team: str | None
    health: str
    proxy_url: str | None
    webhook_url: str
    session_captured: bool
    telegram_logged_in: bool  # telegram_user: a session is sealed in the vault
    leased_to: str | None
    leased_at: datetime | None
    last_check: HealthResult | None


def platform_filter(value: str | None) -> str | None:
    """The inbox's platform filter: empty means every platform; an unknown one is refused."""
    if not value:
        return None
    try:
        return ChannelKind(value).value
    except ValueError:
        raise InvalidInput(f"unknown platform: {value}", field="platform") from None


async def inbox_filter_accounts(
    session: AsyncSession, principal: Principal
) -> list[ChannelAccount]:
    """The accounts offered by the inbox's account filter: those whose conversations the
    caller may read (every account for read.all and managers, else their teams')."""
    accounts = (
        await session.scalars(
            select(ChannelAccount)
            .where(
                ChannelAccount.workspace_id == principal.workspace_id,
                ChannelAccount.archived.is_(False),
            )
            .order_by(ChannelAccount.kind, ChannelAccount.name)
        )
    ).all()
    if principal.can(Permission.CONVERSATION_READ_ALL) or principal.can(Permission.ACCOUNT_MANAGE):
        return list(accounts)
    return [a for a in accounts if a.team_id is not None and a.team_id in principal.team_ids]


def shown_proxy(proxy_url: str | None) -> str | None:
    """The proxy without its password (proxy URLs often carry credentials)."""
    if not proxy_url:
        return None
    parts = urlsplit(proxy_url)
    if parts.password is None:
        return proxy_url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def webhook_url(services: Services, kind: str, account_id: str) -> str:
    return f"{services.settings.web.public_url.rstrip('/')}/webhooks/{kind}/{account_id}"


async def _rows(services: Services, principal: Principal) -> tuple[list[AccountRow], list[Team]]:
    """Read everything in one short session; nothing slow happens while it is open."""
    now = utcnow()
    async with services.read_sessionmaker() as session:
        accounts = (
            await session.scalars(
                select(ChannelAccount)
                .where(
                    ChannelAccount.workspace_id == principal.workspace_id,
                    ChannelAccount.archived.is_(False),
                )
                .order_by(ChannelAccount.kind, ChannelAccount.name)
            )
        ).all()
        visible = [a for a in accounts if may_use(principal, a)]
        teams = list(
            (
                await session.scalars(
                    select(Team)
                    .where(Team.workspace_id == principal.workspace_id)
                    .order_by(Team.name)
                )
            ).all()
        )
        leases = {
            row.account_id: row
            for row in (
                await session.scalars(
                    select(AccountSession).where(
                        AccountSession.account_id.in_([a.id for a in visible])
                    )
                )
            ).all()
        }
        holder_ids = {
            r.lease_holder_id for r in leases.values() if r.lease_holder_id and lease_active(r, now)
        }
        names = {
            u.id: u.display_name
            for u in (await session.scalars(select(User).where(User.id.in_(holder_ids)))).all()
        }
    checks = await last_checks(services, principal.workspace_id, [a.id for a in visible])
    telegram_ids = [a.id for a in visible if a.kind == ChannelKind.TELEGRAM_USER.value]
    telegram_logged_in = await telegram_login_flow.logged_in(services, telegram_ids)
    team_names = {t.id: t.name for t in teams}
    rows = []
    for account in visible:
        lease = leases.get(account.id)
        active = lease is not None and lease_active(lease, now)
        holder = lease.lease_holder_id if lease is not None and active else None
        rows.append(
            AccountRow(
                id=account.id,
                kind=account.kind,
                name=account.name,
                external_id=account.external_id,
                team_id=account.team_id,
                team=team_names.get(account.team_id) if account.team_id else None,
                health=account.health,
                proxy_url=shown_proxy(account.proxy_url),
                webhook_url=webhook_url(services, account.kind, account.id),
                session_captured=lease is not None,
                telegram_logged_in=account.id in telegram_logged_in,
                leased_to=names.get(holder, holder) if holder else None,
                leased_at=lease.leased_at if lease is not None and active else None,
                last_check=checks.get(account.id),
            )
        )
    return rows, teams


async def _page(
    request: Request,
    services: Services,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    rows, teams = await _rows(services, principal)
    context: dict[str, Any] = {
        "accounts": rows,
        # Egress IP, send limits and health score per account (issue 7, anti-ban care).
        "overview": await account_overviews(services, principal.workspace_id, [r.id for r in rows]),
        "teams": teams,
        "forms": _forms(),
        "can_manage": principal.can(Permission.ACCOUNT_MANAGE),
        **extra,
    }
    return render(request, "accounts.html", context, status_code=status_code)


def _forms() -> list[PlatformForm]:
    """Every platform's add-account form."""
    return list(PLATFORM_FORMS.values())


@router.get("")
async def accounts_page(
    request: Request,
    principal: Viewer,
    services: ServicesDep,
    added: str | None = None,
    telegram_login: str | None = None,
) -> HTMLResponse:
    return await _page(request, services, principal, added=added, telegram_login=telegram_login)


@router.post("", response_model=None)
async def add_account_form(
    request: Request, principal: Manager, services: ServicesDep
) -> HTMLResponse | RedirectResponse:
    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name, "")
        return value[:MAX_FIELD] if isinstance(value, str) else ""

    kind = text("kind")
    platform = next((f for f in _forms() if f.kind.value == kind), None)
    spec = NewAccount(
        kind=kind,
        name=text("name")[:200],
        external_id=text("external_id")[:200],
        team_id=text("team_id"),
        proxy_url=text("proxy_url")[:500],
        secrets={s.name: text(f"secret_{s.name}") for s in platform.secrets} if platform else {},
        config={c.name: text(f"config_{c.name}") for c in platform.config} if platform else {},
    )
    try:
        account = await add_account(services, principal, spec, actor_of(request, principal))
    except CrossdeskError as exc:
        # The form comes back without any secret: they are typed again, never echoed.
        return await _page(
            request,
            services,
            principal,
            status_code=exc.http_status if exc.http_status >= 400 else 422,
            error=exc.message,
            failed_kind=kind,
            form=spec,
        )
    return RedirectResponse(f"/ui/accounts?added={account.id}#account-{account.id}", 303)


@router.post("/{account_id}/test")
async def test_account(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse:
    """Runs with no database session held while the platform answers."""
    result = await check_connection(services, principal, account_id, actor_of(request, principal))
    return render(request, "_account_health.html", {"health": result.health, "check": result})


@router.post("/{account_id}/checkin")
async def force_checkin_form(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> RedirectResponse:
    await force_checkin(services, principal, account_id, actor_of(request, principal))
    return RedirectResponse(f"/ui/accounts#account-{account_id}", 303)


@router.post("/{account_id}/team")
async def assign_team_form(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> RedirectResponse:
    form = await request.form()
    value = form.get("team_id", "")
    team_id = value.strip()[:32] if isinstance(value, str) else ""
    await assign_team(
        services, principal, account_id, team_id or None, actor_of(request, principal)
    )
    return RedirectResponse(f"/ui/accounts#account-{account_id}", 303)


@router.post("/{account_id}/webhook")
async def register_webhook(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse:
    """Telegram only: setWebhook with the account's secret (no session held meanwhile)."""
    url = webhook_url(services, "telegram_bot", account_id)
    result = await register_telegram_webhook(
        services, principal, account_id, url, actor_of(request, principal)
    )
    return render(request, "_account_webhook.html", {"result": result})


# The Telegram user login steps live under /ui/accounts/{id}/telegram-login.
router.include_router(telegram_login_views.router)
