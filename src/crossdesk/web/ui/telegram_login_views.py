"""The accounts page's Telegram user login forms: phone → code (→ 2FA password).

The login itself, and what is kept between two requests, is ``actions.telegram_login_flow``;
these routes only render its steps.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from crossdesk.actions.telegram_login_flow import (
    MAX_FIELD,
    cancel_login,
    enter_code,
    enter_password,
    logged_in,
    prepare,
    start_login,
)
from crossdesk.channels.telegram_user import login as steps
from crossdesk.domain import Permission
from crossdesk.errors import Conflict, CrossdeskError, InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.web.deps import ServicesDep, actor_of, require
from crossdesk.web.ui.render import render

# Included by accounts_views' router (prefix /ui/accounts).
router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, Depends(require(Permission.ACCOUNT_MANAGE))]


# -- routes ---------------------------------------------------------------------------------------


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


async def _page(
    request: Request,
    services: Services,
    principal: Principal,
    account_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    phone: str = "",
) -> HTMLResponse:
    prepared = await prepare(services, principal, account_id, sweep=False)
    pending = prepared.pending
    mine = pending is not None and pending.started_by == principal.user_id
    step = pending.login.step if pending is not None and mine else "phone"
    account = prepared.account
    context: dict[str, Any] = {
        "account": account,
        "step": step,
        "pending": pending if mine else None,
        "masked_phone": steps.mask_phone(pending.login.phone) if pending and mine else "",
        "phone": phone or _default_phone(account.external_id),
        "expired": prepared.expired_by == principal.user_id,
        "other_admin": pending is not None and not mine,
        "logged_in": bool(await logged_in(services, [account.id])),
        "error": error,
    }
    return render(request, "telegram_login.html", context, status_code=status_code)


def _default_phone(external_id: str) -> str:
    try:
        return steps.normalise_phone(external_id)
    except InvalidInput:
        return ""


def _status(exc: CrossdeskError) -> int:
    return exc.http_status if exc.http_status >= 400 else 422


@router.get("/{account_id}/telegram-login")
async def login_page(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse:
    return await _page(request, services, principal, account_id)


@router.post("/{account_id}/telegram-login/send-code", response_model=None)
async def send_code_form(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse | RedirectResponse:
    phone = _field(await request.form(), "phone")
    try:
        await start_login(services, principal, account_id, phone, actor_of(request, principal))
    except (InvalidInput, steps.LoginRefused) as exc:
        return await _page(
            request,
            services,
            principal,
            account_id,
            error=exc.message,
            status_code=_status(exc),
            phone=phone,
        )
    return RedirectResponse(f"/ui/accounts/{account_id}/telegram-login", 303)


@router.post("/{account_id}/telegram-login/code", response_model=None)
async def code_form(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    try:
        asking = await enter_code(
            services,
            principal,
            account_id,
            _field(form, "login"),
            _field(form, "code"),
            actor_of(request, principal),
        )
    except (InvalidInput, Conflict) as exc:
        return await _page(
            request, services, principal, account_id, error=exc.message, status_code=_status(exc)
        )
    if asking is not None:
        return RedirectResponse(f"/ui/accounts/{account_id}/telegram-login", 303)
    return RedirectResponse(f"/ui/accounts?telegram_login={account_id}#account-{account_id}", 303)


@router.post("/{account_id}/telegram-login/password", response_model=None)
async def password_form(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    password = form.get("password", "")
    try:
        await enter_password(
            services,
            principal,
            account_id,
            _field(form, "login"),
            password[:MAX_FIELD] if isinstance(password, str) else "",
            actor_of(request, principal),
        )
    except (InvalidInput, Conflict) as exc:
        return await _page(
            request, services, principal, account_id, error=exc.message, status_code=_status(exc)
        )
    return RedirectResponse(f"/ui/accounts?telegram_login={account_id}#account-{account_id}", 303)


@router.post("/{account_id}/telegram-login/cancel")
async def cancel_form(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> RedirectResponse:
    await cancel_login(services, principal, account_id)
    return RedirectResponse(f"/ui/accounts/{account_id}/telegram-login", 303)
