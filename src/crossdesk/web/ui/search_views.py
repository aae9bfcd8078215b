"""The search results page (/ui/search), reached from the search box in the inbox header."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from crossdesk.errors import InvalidInput
from crossdesk.search.query import MAX_QUERY_CHARS, parse_query
from crossdesk.search.repository import MAX_PAGE, search
from crossdesk.web.deps import Reader, SessionDep
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/search")
async def search_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    context: dict[str, object] = {"q": q, "result": None, "error": None}
    if q.strip():
        try:
            context["result"] = await search(session, principal, parse_query(q), page=page)
        except InvalidInput as exc:
            context["error"] = exc.message
            return render(request, "search.html", context, status_code=400)
    return render(request, "search.html", context)
