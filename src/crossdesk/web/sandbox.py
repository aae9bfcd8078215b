"""The sandbox platform's web face: its customer pages and its send API."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse

from crossdesk.channels.sandbox.platform import SandboxPlatform
from crossdesk.channels.sandbox.protocol import SendRequest
from crossdesk.errors import NotFound, Unauthenticated
from crossdesk.web.deps import public_route
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/sandbox", include_in_schema=False, dependencies=[Depends(public_route)])


def _platform(request: Request) -> SandboxPlatform:
    platform: SandboxPlatform = request.app.state.sandbox
    return platform


async def _checked(request: Request, external_id: str, contact_id: str) -> SandboxPlatform:
    platform = _platform(request)
    if len(contact_id) > 64 or not contact_id.replace("-", "").replace("_", "").isalnum():
        raise NotFound("no such sandbox contact")
    if not await platform.account_exists(external_id):
        raise NotFound("no such sandbox account")
    return platform


@router.get("/{external_id}/{contact_id}")
async def customer_page(
    external_id: str, contact_id: str, request: Request, name: str | None = None
) -> HTMLResponse:
    await _checked(request, external_id, contact_id)
    return render(
        request,
        "sandbox/customer.html",
        {"external_id": external_id, "contact_id": contact_id, "name": (name or contact_id)[:80]},
    )


@router.get("/{external_id}/{contact_id}/thread")
async def customer_thread(external_id: str, contact_id: str, request: Request) -> HTMLResponse:
    platform = await _checked(request, external_id, contact_id)
    rows = await platform.thread(external_id, contact_id)
    return render(request, "sandbox/_thread.html", {"rows": rows})


@router.post("/{external_id}/{contact_id}/messages")
async def customer_writes(
    external_id: str,
    contact_id: str,
    request: Request,
    text: Annotated[str, Form(min_length=1, max_length=4096)],
    name: Annotated[str | None, Form(max_length=80)] = None,
) -> HTMLResponse:
    platform = await _checked(request, external_id, contact_id)
    await platform.customer_says(external_id, contact_id, text, name=name, lang=None)
    rows = await platform.thread(external_id, contact_id)
    return render(request, "sandbox/_thread.html", {"rows": rows})


@router.post("/api/accounts/{external_id}/messages")
async def send_api(
    external_id: str,
    body: SendRequest,
    request: Request,
    authorization: Annotated[str, Header()] = "",
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    platform = _platform(request)
    if authorization != f"Bearer {platform.api_token(external_id)}":
        raise Unauthenticated("invalid sandbox API token")
    if not await platform.account_exists(external_id):
        raise NotFound("no such sandbox account")
    message_id = await platform.business_sends(external_id, body.to, body.text, idempotency_key)
    return JSONResponse({"id": message_id})
