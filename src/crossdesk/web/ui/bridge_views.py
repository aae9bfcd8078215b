"""The WhatsApp bridge (WAHA or Evolution API) part of the accounts page: link by QR code,
watch the session state, log out; and the bridges' session-status webhooks.

WAHA sends ``session.status`` to ``.../session``. Evolution API has one webhook URL per
instance (``.../evolution``): connection and QR events are recorded here, message and ack
events go on to the ordinary webhook pipeline (verify, parse, store once).

The fragment polls every few seconds while the account is not linked, so the QR code
refreshes (WAHA renews it) and the page shows "linked" as soon as the phone has scanned it.
No route holds a database session while the bridge answers (ADR 0002).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from crossdesk.actions.bridge_sessions import (
    BridgeState,
    link,
    qr_code,
    record_status,
    refresh,
    unlink,
)
from crossdesk.channels.base import WebhookRequest
from crossdesk.channels.decoding import decode_body
from crossdesk.channels.registry import get_adapter
from crossdesk.channels.whatsapp_bridge.evolution_events import session_status
from crossdesk.channels.whatsapp_bridge.evolution_payloads import EvolutionEnvelope
from crossdesk.channels.whatsapp_bridge.payloads import Envelope, SessionStatusPayload
from crossdesk.channels.whatsapp_bridge.settings import (
    CONFIG_KEY,
    LABELS,
    is_evolution,
    parse_flavour,
)
from crossdesk.db.models import ChannelAccount
from crossdesk.domain import ChannelKind, Permission
from crossdesk.errors import InvalidInput, NotFound
from crossdesk.risk.rbac import Principal
from crossdesk.web import webhooks
from crossdesk.web.account_cache import AccountCache, WebhookTarget
from crossdesk.web.deps import ServicesDep, actor_of, public_route, require
from crossdesk.web.ui.accounts_views import webhook_url
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/accounts", include_in_schema=False)
hooks = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[Depends(public_route)])
Manager = Annotated[Principal, Depends(require(Permission.ACCOUNT_MANAGE))]
Viewer = Annotated[
    Principal,
    Depends(require(Permission.ACCOUNT_MANAGE, Permission.ACCOUNT_OPEN, any_of=True)),
]
KIND = ChannelKind.WHATSAPP_WEB.value


async def _flavour_label(services: ServicesDep, account_id: str) -> str:
    """Which bridge software the account uses, for the fragment (access already checked)."""
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        value = account.config.get(CONFIG_KEY) if account is not None else None
    try:
        return LABELS[parse_flavour(str(value) if value is not None else None)]
    except InvalidInput:
        return str(value)[:40]


async def _fragment(
    request: Request, services: ServicesDep, state: BridgeState, principal: Principal
) -> HTMLResponse:
    context = {
        "bridge": state,
        "can_manage": principal.can(Permission.ACCOUNT_MANAGE),
        "bridge_software": await _flavour_label(services, state.account_id),
    }
    return render(request, "_bridge.html", context)


@router.get("/{account_id}/bridge")
async def bridge_state(
    account_id: str, request: Request, principal: Viewer, services: ServicesDep
) -> HTMLResponse:
    state = await refresh(services, principal, account_id)
    return await _fragment(request, services, state, principal)


@router.post("/{account_id}/bridge/link")
async def bridge_link(
    account_id: str, request: Request, principal: Manager, services: ServicesDep
) -> HTMLResponse:
    state = await link(
        services,
        principal,
        account_id,
        webhook_url(services, KIND, account_id),
        webhook_url(services, KIND, account_id) + "/session",
        actor_of(request, principal),
    )
    return await _fragment(request, services, state, principal)


@router.post("/{account_id}/bridge/logout")
async def bridge_logout(
    account_id: str, request: Request, principal: Manager, services: ServicesDep
) -> HTMLResponse:
    state = await unlink(services, principal, account_id, actor_of(request, principal))
    return await _fragment(request, services, state, principal)


@router.get("/{account_id}/bridge/qr.png")
async def bridge_qr(account_id: str, principal: Manager, services: ServicesDep) -> Response:
    png = await qr_code(services, principal, account_id)
    if png is None:
        raise NotFound("no QR code to scan: the session is linked or not started")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


async def _verified(request: Request, account_id: str) -> tuple[WebhookTarget, WebhookRequest]:
    """The account the hook is for and its request, once its signature or secret checks out
    (401/403 otherwise, nothing read further)."""
    targets: AccountCache = request.app.state.webhook_targets
    target = await targets.get(KIND, account_id)
    webhook = WebhookRequest(
        method="POST",
        headers={k.lower(): v for k, v in request.headers.items()},
        query={},
        body=await request.body(),
    )
    get_adapter(ChannelKind.WHATSAPP_WEB).verify(target.context, webhook)
    return target, webhook


@hooks.post("/whatsapp_web/{account_id}/session")
async def session_status_hook(
    account_id: str, request: Request, services: ServicesDep
) -> dict[str, int]:
    """WAHA's ``session.status`` webhook (HMAC-signed like the message webhook)."""
    target, webhook = await _verified(request, account_id)
    envelope = decode_body(Envelope, webhook.body, "waha")
    if envelope.session != target.context.external_id:
        raise InvalidInput("waha webhook is for another session")
    if envelope.event != "session.status":
        return {"statuses": 0}
    try:
        payload = SessionStatusPayload.model_validate(envelope.payload)
    except ValueError:
        raise InvalidInput("waha session.status payload has no status") from None
    me = envelope.me.id if envelope.me is not None else None
    await record_status(services, target.account.workspace_id, account_id, payload.status, me)
    return {"statuses": 1}


@hooks.post("/whatsapp_web/{account_id}/evolution")
async def evolution_hook(
    account_id: str, request: Request, services: ServicesDep
) -> dict[str, int]:
    """Evolution API's webhook: every event of the instance, with our secret header."""
    target, webhook = await _verified(request, account_id)
    if not is_evolution(target.context):
        raise NotFound("this account's bridge is not Evolution API")
    envelope = decode_body(EvolutionEnvelope, webhook.body, "evolution")
    if envelope.instance != target.context.external_id:
        raise InvalidInput("evolution webhook is for another instance")
    found = session_status(envelope)
    if found is None:  # messages and acks: the ordinary pipeline (verified again there)
        return await webhooks.receive(KIND, account_id, request, services)
    status, me = found
    await record_status(services, target.account.workspace_id, account_id, status, me)
    return {"statuses": 1}
