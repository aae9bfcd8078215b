"""Side-by-side engine comparison (admins and supervisors): one text, several engines."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from crossdesk.actions.translation_compare import (
    MAX_ENGINES,
    MAX_TEXT,
    compare_engines,
    configured_engines,
)
from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, actor_of, require

router = APIRouter(prefix="/translation", tags=["translation"])
Comparer = Annotated[Principal, Depends(require(Permission.TRANSLATION_COMPARE))]


class CompareIn(StrictInput):
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    target: Annotated[str, Field(min_length=2, max_length=16)]
    source: Annotated[str | None, Field(max_length=16)] = None
    # Engine names as configured; empty or missing: every configured engine.
    engines: Annotated[
        list[Annotated[str, Field(max_length=64)]],
        Field(default_factory=list, max_length=MAX_ENGINES),
    ]


class AnswerOut(BaseModel):
    engine: str
    text: str
    status: str
    placeholders_ok: bool
    reason: str | None
    cached: bool
    milliseconds: float
    self_hosted: bool
    needs_review: bool


class CompareOut(BaseModel):
    source: str
    target: str
    text: str = Field(description="the input as viewers see it: personal data masked")
    answers: list[AnswerOut]


class EnginesOut(BaseModel):
    engines: list[str]


@router.get("/engines", response_model=EnginesOut)
async def list_engines(principal: Comparer, services: ServicesDep) -> EnginesOut:
    """The configured engines, in their default chain order."""
    return EnginesOut(engines=configured_engines(services))


@router.post("/compare", response_model=CompareOut)
async def compare(
    body: CompareIn, request: Request, principal: Comparer, services: ServicesDep
) -> CompareOut:
    """Translate ``text`` with each engine on its own (no fallback), side by side. The text
    is masked before any engine sees it; characters count as the caller's usage."""
    result = await compare_engines(
        services,
        principal,
        body.text,
        body.target,
        actor_of(request, principal),
        source=body.source,
        engines=body.engines or None,
    )
    return CompareOut(
        source=result.source,
        target=result.target,
        text=result.text,
        answers=[AnswerOut.model_validate(a, from_attributes=True) for a in result.answers],
    )
