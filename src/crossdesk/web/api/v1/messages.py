"""Operations on one message."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from crossdesk.actions.reveal_pii import reveal_pii
from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, actor_of, require

router = APIRouter(prefix="/messages", tags=["messages"])


class RevealIn(StrictInput):
    span: Annotated[int, Field(ge=0, le=1000)]
    reason: Annotated[str, Field(min_length=5, max_length=500)]


@router.post("/{message_id}/reveal")
async def post_reveal(
    message_id: str,
    body: RevealIn,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.PII_REVEAL))],
    services: ServicesDep,
) -> JSONResponse:
    """Reveal one masked item, with a reason; audited, rate-limited, never cacheable."""
    value, span = await reveal_pii(
        services, principal, message_id, body.span, body.reason, actor_of(request, principal)
    )
    return JSONResponse(
        {"type": span.get("type"), "value": value},
        headers={"Cache-Control": "no-store, private", "Pragma": "no-cache"},
    )
