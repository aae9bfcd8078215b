"""Full-text search over masked message text and contact names, in the caller's scope."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from crossdesk.search.query import MAX_QUERY_CHARS, parse_query
from crossdesk.search.repository import MAX_PAGE, ContactHit, MessageHit, search
from crossdesk.search.snippets import Snippet
from crossdesk.web.deps import Reader, SessionDep

router = APIRouter(tags=["search"])


class SnippetOut(BaseModel):
    text: str
    # [start, end) character offsets into ``text`` of each hit.
    highlights: list[tuple[int, int]]

    @classmethod
    def of(cls, snippet: Snippet) -> "SnippetOut":
        return cls(text=snippet.text, highlights=list(snippet.highlights))


class MessageHitOut(BaseModel):
    message_id: str
    conversation_id: str
    direction: str
    created_at: datetime
    snippet: SnippetOut
    contact_name: str
    account_name: str
    account_kind: str

    @classmethod
    def of(cls, hit: MessageHit) -> "MessageHitOut":
        return cls(
            message_id=hit.message_id,
            conversation_id=hit.conversation_id,
            direction=hit.direction,
            created_at=hit.created_at,
            snippet=SnippetOut.of(hit.snippet),
            contact_name=hit.contact_name,
            account_name=hit.account_name,
            account_kind=hit.account_kind,
        )


class ContactHitOut(BaseModel):
    contact_id: str
    conversation_id: str
    name: SnippetOut
    handle: str  # the platform id with all but its last four characters hidden
    account_name: str
    account_kind: str
    last_message_at: datetime | None

    @classmethod
    def of(cls, hit: ContactHit) -> "ContactHitOut":
        return cls(
            contact_id=hit.contact_id,
            conversation_id=hit.conversation_id,
            name=SnippetOut.of(hit.name),
            handle=hit.handle,
            account_name=hit.account_name,
            account_kind=hit.account_kind,
            last_message_at=hit.last_message_at,
        )


class SearchOut(BaseModel):
    query: str
    terms: list[str]
    page: int
    has_more: bool
    messages: list[MessageHitOut]
    contacts: list[ContactHitOut]


@router.get("/search", response_model=SearchOut)
async def search_api(
    principal: Reader,
    session: SessionDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)],
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> SearchOut:
    """Messages (20 a page, best first) and, on page 1, contacts whose name matches."""
    result = await search(session, principal, parse_query(q), page=page)
    return SearchOut(
        query=result.query.text,
        terms=list(result.query.terms),
        page=result.page,
        has_more=result.has_more,
        messages=[MessageHitOut.of(h) for h in result.messages],
        contacts=[ContactHitOut.of(h) for h in result.contacts],
    )
