"""The engine comparison page: one text through several engines, answers side by side
(admins and supervisors, ``translation.compare``). Engines run with no database session
held (ADR 0002): the routes take no ``SessionDep``."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from crossdesk.actions.translation_compare import MAX_TEXT, compare_engines, configured_engines
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.translation.languages import NAMES
from crossdesk.web.deps import ServicesDep, actor_of, require
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/translation", include_in_schema=False)
Comparer = Annotated[Principal, Depends(require(Permission.TRANSLATION_COMPARE))]


@router.get("/compare")
async def compare_page(
    request: Request, principal: Comparer, services: ServicesDep
) -> HTMLResponse:
    return render(
        request,
        "translation_compare.html",
        {
            "engines": configured_engines(services),
            "languages": sorted(NAMES.items(), key=lambda item: item[1]),
            "max_text": MAX_TEXT,
        },
    )


@router.post("/compare")
async def compare_form(
    request: Request, principal: Comparer, services: ServicesDep
) -> HTMLResponse:
    form = await request.form()
    text = form.get("text", "")
    target = form.get("target", "")
    source = form.get("source", "")
    engines = [e for e in form.getlist("engines") if isinstance(e, str)]
    if not isinstance(text, str) or not isinstance(target, str) or not isinstance(source, str):
        raise InvalidInput("text, target and source must be plain fields")
    try:
        result = await compare_engines(
            services,
            principal,
            text[: MAX_TEXT + 1],
            target[:16],
            actor_of(request, principal),
            source=source[:16] or None,
            engines=[e[:64] for e in engines[:16]] or None,
        )
    except InvalidInput as exc:
        return render(request, "_compare_results.html", {"error": exc.message}, status_code=400)
    return render(request, "_compare_results.html", {"result": result})
