"""Admin pages for the sensitive-word monitor: lists, "why was this flagged?", hit statistics."""

from collections import Counter
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from crossdesk.actions.word_lists import WordListInput, save_word_list
from crossdesk.db.base import utcnow
from crossdesk.db.models import AuditEvent, WordList
from crossdesk.db.session import commit
from crossdesk.domain import Direction, Permission
from crossdesk.errors import InvalidInput
from crossdesk.guard import Action, Category, ListDirection
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require
from crossdesk.web.ui.charts import bar_chart
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/settings", include_in_schema=False)
Manager = Annotated[Principal, Depends(require(Permission.WORDLIST_MANAGE))]
STATS_DAYS = 7


async def _page_context(session: SessionDep, principal: Principal) -> dict[str, Any]:
    lists = (
        await session.scalars(
            select(WordList)
            .where(WordList.workspace_id == principal.workspace_id, WordList.archived.is_(False))
            .order_by(WordList.name)
        )
    ).all()
    since = utcnow() - timedelta(days=STATS_DAYS)
    hits = (
        await session.scalars(
            select(AuditEvent.data)
            .where(
                AuditEvent.workspace_id == principal.workspace_id,
                AuditEvent.action == "guard.hit",
                AuditEvent.at >= since,
            )
            .limit(50_000)
        )
    ).all()
    by_category: Counter[str] = Counter()
    by_term: Counter[str] = Counter()
    for data in hits:
        by_category.update(data.get("categories", []))
        by_term.update(data.get("terms", []))
    return {
        "lists": lists,
        "categories": [c.value for c in Category],
        "actions": [a.value for a in Action],
        "directions": [d.value for d in ListDirection],
        "hits_total": len(hits),
        "category_chart": bar_chart(by_category.most_common(8)),
        "top_terms": by_term.most_common(10),
        "stats_days": STATS_DAYS,
    }


@router.get("/words")
async def words_page(request: Request, principal: Manager, session: SessionDep) -> HTMLResponse:
    return render(request, "settings_words.html", await _page_context(session, principal))


@router.post("/words")
async def save_list(
    request: Request,
    principal: Manager,
    services: ServicesDep,
    session: SessionDep,
    name: Annotated[str, Form(max_length=100)],
    category: Annotated[str, Form(max_length=32)],
    action: Annotated[str, Form(max_length=16)],
    direction: Annotated[str, Form(max_length=16)],
    terms: Annotated[str, Form(max_length=2_000_000)],
    severity: Annotated[int, Form(ge=1, le=5)] = 3,
    allow: Annotated[str, Form(max_length=200_000)] = "",
    format: Annotated[str, Form(max_length=8)] = "txt",
) -> HTMLResponse:
    spec = WordListInput(name, category, action, severity, direction, terms, allow, format)
    try:
        row = await save_word_list(session, principal, spec, actor_of(request, principal))
    except InvalidInput as exc:
        context = await _page_context(session, principal)
        context.update({"error": exc.message, "form": spec})
        return render(request, "settings_words.html", context, status_code=422)
    await commit(session)
    services.guards.invalidate(principal.workspace_id)
    context = await _page_context(session, principal)
    context["saved"] = f"{row.name} v{row.version}"
    return render(request, "settings_words.html", context)


@router.post("/words/test")
async def test_text(
    request: Request,
    principal: Manager,
    services: ServicesDep,
    text: Annotated[str, Form(min_length=1, max_length=4096)],
    direction: Annotated[Direction, Form()] = Direction.OUTBOUND,
) -> HTMLResponse:
    """ "Why was this flagged?": every hit with its list, category, action and how it matched."""
    findings = await services.guards.findings(principal.workspace_id, text, direction)
    return render(
        request, "_words_test.html", {"text": text, "findings": findings, "direction": direction}
    )
