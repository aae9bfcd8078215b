"""Errors → clear responses: JSON ``{"error": {...}}`` for the API, a page for people."""

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from crossdesk.errors import CrossdeskError, Unauthenticated

logger = logging.getLogger(__name__)


def _wants_html(request: Request) -> bool:
    return request.url.path.startswith("/ui") and "text/html" in request.headers.get("accept", "")


def _error_response(request: Request, status: int, body: dict[str, object]) -> Response:
    if request.headers.get("hx-request"):
        # htmx swaps this fragment into the page's error area.
        message = str(body.get("message", "Something went wrong"))
        return HTMLResponse(
            f'<div class="alert" role="alert">{_escape(message)}</div>',
            status_code=status,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    return JSONResponse({"error": body}, status_code=status)


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CrossdeskError)
    async def _crossdesk(request: Request, exc: CrossdeskError) -> Response:
        if isinstance(exc, Unauthenticated) and _wants_html(request) and request.method == "GET":
            return RedirectResponse("/login?next=" + request.url.path, status_code=303)
        if exc.http_status >= 500:
            logger.error("%s: %s", exc.code, exc.message)
        return _error_response(request, exc.http_status, exc.to_dict())

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error_response(
                request,
                400,
                {"code": "invalid_json", "message": "the body is not valid JSON (or not UTF-8)"},
            )
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "problem": e.get("msg", "invalid"),
            }
            for e in errors
        ]
        first = problems[0]
        return _error_response(
            request,
            422,
            {
                "code": "validation_error",
                "message": f"{first['field'] or 'body'}: {first['problem']}",
                "fields": problems,
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:  # FastAPI's only 400: a body it could not decode
            body: dict[str, object] = {
                "code": "invalid_json",
                "message": "the body is not valid JSON (or not UTF-8)",
            }
            return _error_response(request, 400, body)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error_response(request, exc.status_code, {"code": code, "message": str(exc.detail)})
