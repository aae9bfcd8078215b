"""Sensitive-word lists of the workspace, and "why was this flagged?"."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from crossdesk.actions.word_lists import WordListInput, save_word_list
from crossdesk.db.models import WordList
from crossdesk.db.session import commit
from crossdesk.domain import Direction, Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require

router = APIRouter(prefix="/word-lists", tags=["word lists"])
Manager = Annotated[Principal, Depends(require(Permission.WORDLIST_MANAGE))]


class WordListIn(StrictInput):
    category: Annotated[str, Field(max_length=32)]
    action: Annotated[str, Field(max_length=16)]
    direction: Annotated[str, Field(max_length=16)] = "both"
    severity: Annotated[int, Field(ge=1, le=5)] = 3
    terms: Annotated[str, Field(min_length=1, max_length=2_000_000)]
    allow: Annotated[str, Field(max_length=200_000)] = ""
    format: Literal["txt", "csv"] = "txt"


class WordListOut(BaseModel):
    id: str
    name: str
    category: str
    action: str
    direction: str
    severity: int
    version: int
    terms: str
    allow: str

    @classmethod
    def of(cls, row: WordList) -> "WordListOut":
        return cls(
            id=row.id,
            name=row.name,
            category=row.category,
            action=row.action,
            direction=row.direction,
            severity=row.severity,
            version=row.version,
            terms=row.terms_text,
            allow=row.allow_text,
        )


class TestIn(StrictInput):
    text: Annotated[str, Field(min_length=1, max_length=4096)]
    direction: Direction = Direction.OUTBOUND


@router.get("", response_model=list[WordListOut])
async def list_word_lists(principal: Manager, session: SessionDep) -> list[WordListOut]:
    rows = await session.scalars(
        select(WordList)
        .where(WordList.workspace_id == principal.workspace_id, WordList.archived.is_(False))
        .order_by(WordList.name)
    )
    return [WordListOut.of(row) for row in rows]


@router.put("/{name}", response_model=WordListOut)
async def put_word_list(
    name: str,
    body: WordListIn,
    request: Request,
    principal: Manager,
    services: ServicesDep,
    session: SessionDep,
) -> WordListOut:
    """Create or replace a list (a new version); errors name the faulty line."""
    spec = WordListInput(
        name,
        body.category,
        body.action,
        body.severity,
        body.direction,
        body.terms,
        body.allow,
        body.format,
    )
    row = await save_word_list(session, principal, spec, actor_of(request, principal))
    await commit(session)
    services.guards.invalidate(principal.workspace_id)
    return WordListOut.of(row)


@router.post("/test")
async def test_text(body: TestIn, principal: Manager, services: ServicesDep) -> dict[str, Any]:
    findings = await services.guards.findings(principal.workspace_id, body.text, body.direction)
    return {"findings": findings}
