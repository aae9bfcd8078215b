"""HTTP hardening: body size limit, CSRF and security headers, as pure ASGI middleware."""

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)


def _json_error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": {"code": code, "message": message}}).encode()


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413, by header and while streaming.

    ``larger`` raises the limit for paths matching a pattern (browser session states are
    legitimately large); everything else keeps the small default.
    """

    def __init__(
        self, app: ASGIApp, limit: int, larger: tuple[tuple[re.Pattern[str], int], ...] = ()
    ) -> None:
        self.app = app
        self.default_limit = limit
        self.larger = larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.default_limit
        for pattern, bigger in self.larger:
            if pattern.fullmatch(scope["path"]):
                limit = bigger
                break
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _respond(
                send, *_json_error(413, "payload_too_large", f"the body exceeds {limit} bytes")
            )
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _respond(
                send, *_json_error(413, "payload_too_large", f"the body exceeds {limit} bytes")
            )


class _TooLarge(Exception):
    pass


class CsrfOriginMiddleware:
    """Refuse cross-site state changes by ``Sec-Fetch-Site`` / ``Origin``.

    Together with the per-session token checked on cookie-authenticated routes, this
    stops cross-site form posts and htmx requests. Webhooks and Bearer-token API calls
    carry no ambient credentials and are exempt.
    """

    def __init__(self, app: ASGIApp, exempt_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            path: str = scope["path"]
            headers = dict(scope["headers"])
            bearer = headers.get(b"authorization", b"").lower().startswith(b"bearer ")
            if not bearer and not path.startswith(self.exempt_prefixes):
                site = headers.get(b"sec-fetch-site", b"").decode()
                if site and site not in ("same-origin", "none"):
                    await _respond(
                        send, *_json_error(403, "csrf_rejected", "cross-site request refused")
                    )
                    return
                origin = headers.get(b"origin", b"").decode()
                host = headers.get(b"host", b"").decode()
                if origin and origin != "null" and origin.split("://", 1)[-1] != host:
                    await _respond(
                        send, *_json_error(403, "csrf_rejected", "cross-origin request refused")
                    )
                    return
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", CSP.encode()))
                headers.extend(h for h in extra if h[0] not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
