"""Prometheus metrics and the health check."""

import time

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text

from crossdesk.web.deps import SessionDep, public_route
from crossdesk.web.security import ASGIApp, Message, Receive, Scope, Send

router = APIRouter(include_in_schema=False, dependencies=[Depends(public_route)])

HTTP_REQUESTS = Counter(
    "crossdesk_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "crossdesk_http_request_seconds", "HTTP request latency", ["method", "route"]
)


@router.get("/healthz")
async def healthz(session: SessionDep) -> JSONResponse:
    await session.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts requests and their latency per route template (never per raw path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(method, path, str(status["code"])).inc()
            HTTP_LATENCY.labels(method, path).observe(time.perf_counter() - started)
