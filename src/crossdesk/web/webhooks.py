"""Platform webhooks: verify, parse, store (deduplicated), commit, then answer 200.

The answer comes only after the events are committed, so a platform that gets our 200
can forget the event; a crash before the commit makes it retry, and the unique
constraint on (account, platform message id) stores a redelivery once.
"""

import logging

from fastapi import APIRouter, Depends, Request, Response

from crossdesk.actions.group_commit import GroupCommitter
from crossdesk.actions.receive_message import prepare_events
from crossdesk.channels.base import WebhookRequest
from crossdesk.channels.registry import get_adapter
from crossdesk.errors import NotFound
from crossdesk.web.account_cache import AccountCache
from crossdesk.web.deps import ServicesDep, public_route

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[Depends(public_route)])


def _targets(request: Request) -> AccountCache:
    cache: AccountCache = request.app.state.webhook_targets
    return cache


async def _webhook_request(request: Request) -> WebhookRequest:
    return WebhookRequest(
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=await request.body(),
    )


@router.get("/{kind}/{account_id}")
async def handshake(kind: str, account_id: str, request: Request) -> Response:
    context = (await _targets(request).get(kind, account_id)).context
    reply = get_adapter(context.kind).handshake(context, await _webhook_request(request))
    if reply is None:
        raise NotFound("this platform has no subscription handshake")
    return Response(reply.body, status_code=reply.status, media_type=reply.content_type)


@router.post("/{kind}/{account_id}")
async def receive(
    kind: str, account_id: str, request: Request, services: ServicesDep
) -> dict[str, int]:
    webhook = await _webhook_request(request)
    target = await _targets(request).get(kind, account_id)
    account, context = target.account, target.context
    adapter = get_adapter(context.kind)
    adapter.verify(context, webhook)
    events = adapter.parse(context, webhook)
    # Engines run here with no connection or lock held (ADR 0003).
    prepared = await prepare_events(
        services, account, events, default_language=target.default_language
    )
    committer: GroupCommitter = request.app.state.group_commit
    result = await committer.store(account, prepared)  # answered only once committed
    logger.debug(
        "webhook %s stored=%d duplicates=%d statuses=%d",
        kind,
        result.stored,
        result.duplicates,
        result.statuses,
    )
    return {"stored": result.stored, "duplicates": result.duplicates, "statuses": result.statuses}
