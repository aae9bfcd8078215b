"""Browser sessions of accounts: status, capture, checkout / renew / check-in, force check-in.

The storage state travels only in two bodies: the check-in (or capture) request and the
checkout response, which is marked ``no-store``. Bodies may be gzip-compressed
(``Content-Encoding: gzip``); the lease token travels in the ``X-Crossdesk-Lease`` header.
"""

import json
import zlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel

from crossdesk.actions import sessions as actions
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, actor_of, require

router = APIRouter(tags=["sessions"])

Opener = Annotated[Principal, Depends(require(Permission.ACCOUNT_OPEN))]
Manager = Annotated[Principal, Depends(require(Permission.ACCOUNT_MANAGE))]
LeaseHeader = Annotated[str, Header(alias="X-Crossdesk-Lease", min_length=16, max_length=200)]
NO_STORE = {"Cache-Control": "no-store, private", "Pragma": "no-cache"}


class SessionOut(BaseModel):
    account_id: str
    account_name: str
    version: int
    updated_at: datetime
    leased_to: str | None
    leased_to_name: str | None
    leased_at: datetime | None
    lease_expires_at: datetime | None


class CheckoutIn(StrictInput):
    # Take back your own lease (your launcher died); never someone else's.
    takeover: bool = False


class RenewOut(BaseModel):
    lease_expires_at: datetime


def _out(status: actions.SessionStatus) -> SessionOut:
    return SessionOut(
        account_id=status.account_id,
        account_name=status.account_name,
        version=status.version,
        updated_at=status.updated_at,
        leased_to=status.leased_to,
        leased_to_name=status.leased_to_name,
        leased_at=status.leased_at,
        lease_expires_at=status.lease_expires_at,
    )


async def _state_body(request: Request, limit: int) -> bytes:
    """The request body, inflated when gzip-encoded (bounded: no zip bombs)."""
    raw = await request.body()
    encoding = request.headers.get("content-encoding", "identity").lower()
    if encoding == "identity":
        return raw
    if encoding != "gzip":
        raise InvalidInput("only gzip or identity Content-Encoding is accepted")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise InvalidInput("the body is not valid gzip") from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise InvalidInput(f"the session state exceeds {limit} bytes", field="state")
    return body


@router.get("/sessions", response_model=list[SessionOut])
async def get_sessions(principal: Opener, services: ServicesDep) -> list[SessionOut]:
    """Sessions of the accounts you may open: version, who holds each and since when."""
    return [_out(s) for s in await actions.list_sessions(services, principal)]


@router.get("/accounts/{account_id}/session", response_model=SessionOut)
async def get_session_status(
    account_id: str, principal: Opener, services: ServicesDep
) -> SessionOut:
    return _out(await actions.session_status(services, principal, account_id))


@router.put("/accounts/{account_id}/session", response_model=SessionOut)
async def put_session(
    account_id: str, request: Request, principal: Manager, services: ServicesDep
) -> SessionOut:
    """Capture: store a logged-in storage state (JSON body), replacing the previous one."""
    raw = await _state_body(request, services.settings.sessions.max_state_bytes)
    status = await actions.capture_session(
        services, principal, account_id, raw, actor_of(request, principal)
    )
    return _out(status)


@router.post("/accounts/{account_id}/session/checkout")
async def post_checkout(
    account_id: str,
    request: Request,
    principal: Opener,
    services: ServicesDep,
    body: Annotated[CheckoutIn | None, Body()] = None,
) -> Response:
    """Lease the session to you (one person at a time) and return its storage state."""
    checkout = await actions.checkout_session(
        services,
        principal,
        account_id,
        actor_of(request, principal),
        takeover=body.takeover if body else False,
    )
    meta = {
        "account_id": checkout.account_id,
        "lease_token": checkout.lease_token,
        "lease_expires_at": checkout.expires_at.isoformat() if checkout.expires_at else None,
        "version": checkout.version,
        "start_url": checkout.start_url,
        "proxy_url": checkout.proxy_url,
    }
    # The state is stored as validated JSON: spliced in, not parsed and re-encoded.
    content = json.dumps(meta).encode()[:-1] + b', "state": ' + checkout.state + b"}"
    return Response(content, media_type="application/json", headers=NO_STORE)


@router.post("/accounts/{account_id}/session/renew", response_model=RenewOut)
async def post_renew(
    account_id: str, lease: LeaseHeader, principal: Opener, services: ServicesDep
) -> RenewOut:
    """Extend your lease while the browser is open."""
    expires = await actions.renew_lease(services, principal, account_id, lease)
    return RenewOut(lease_expires_at=expires)


@router.post("/accounts/{account_id}/session/checkin", response_model=SessionOut)
async def post_checkin(
    account_id: str,
    lease: LeaseHeader,
    request: Request,
    principal: Opener,
    services: ServicesDep,
) -> SessionOut:
    """Return the session: the body is the updated storage state (empty: keep the old one)."""
    raw = await _state_body(request, services.settings.sessions.max_state_bytes)
    status = await actions.checkin_session(
        services, principal, account_id, lease, raw or None, actor_of(request, principal)
    )
    return _out(status)


@router.post("/accounts/{account_id}/session/release", response_model=SessionOut)
async def post_force_checkin(
    account_id: str, request: Request, principal: Manager, services: ServicesDep
) -> SessionOut:
    """Force check-in (admins): end the current lease; the holder's state is not saved."""
    status = await actions.force_checkin(
        services, principal, account_id, actor_of(request, principal)
    )
    return _out(status)
