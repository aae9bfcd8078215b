"""A fake LINE Messaging API: push and reply.

Implements ``POST /v2/bot/message/push`` with ``X-Line-Retry-Key`` semantics (a UUID; the
first accepted request executes, repeats get 409 with ``x-line-accepted-request-id`` and
the accepted ``sentMessages``; a retry key on the reply API is a 400), ``POST
/v2/bot/message/reply`` with single-use reply tokens ("Invalid reply token"), bearer auth
(401 "Authentication failed ..."), message validation (1-5 messages, text 1-5000 chars,
https media URLs), ``x-line-request-id`` on every reply, and scripted replies (429 rate
limit / monthly limit, 500).
"""

import re
import secrets
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests.fakes.platforms.server import Recorded, ScriptedReply

_TO = re.compile(r"^[UCR][0-9a-f]{32}$")

RATE_LIMITED = ScriptedReply(
    429, {"message": "The API rate limit has been exceeded. Try again later."}
)
MONTHLY_LIMIT = ScriptedReply(429, {"message": "You have reached your monthly limit."})


@dataclass
class FakeLineApi:
    token: str = ""
    reply_tokens: set[str] = field(default_factory=set)
    accepted_keys: dict[str, tuple[str, list[dict[str, str]]]] = field(default_factory=dict)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    scripted: deque[ScriptedReply] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.app = FastAPI()
        self.app.add_api_route("/v2/bot/message/push", self._push, methods=["POST"])
        self.app.add_api_route("/v2/bot/message/reply", self._reply, methods=["POST"])

    def reset(self) -> None:
        self.token = ""
        self.reply_tokens.clear()
        self.accepted_keys.clear()
        self.delivered.clear()
        self.requests.clear()
        self.scripted.clear()

    def script(self, reply: ScriptedReply) -> None:
        self.scripted.append(reply)

    @staticmethod
    def _reply_json(status: int, body: Any, headers: dict[str, str] | None = None) -> JSONResponse:
        all_headers = {"x-line-request-id": str(uuid.uuid4()), **(headers or {})}
        return JSONResponse(body, status, headers=all_headers)

    async def _common(self, request: Request) -> tuple[dict[str, Any] | None, JSONResponse | None]:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.requests.append(
            Recorded(
                request.method,
                request.url.path,
                dict(request.headers),
                dict(request.query_params),
                body,
            )
        )
        auth = request.headers.get("authorization", "")
        if not self.token or auth != f"Bearer {self.token}":
            return None, self._reply_json(
                401,
                {
                    "message": "Authentication failed. Confirm that the "
                    "access token in the authorization header is valid."
                },
            )
        if self.scripted:
            reply = self.scripted.popleft()
            return None, self._reply_json(reply.status, reply.body, reply.headers)
        if not isinstance(body, dict):
            return None, self._reply_json(
                400,
                {
                    "message": "The request body has 1 error(s)",
                    "details": [{"message": "must be a JSON object", "property": ""}],
                },
            )
        problem = _messages_problem(body.get("messages"))
        if problem is not None:
            return None, self._reply_json(
                400, {"message": "The request body has 1 error(s)", "details": [problem]}
            )
        return body, None

    def _sent(self, body: dict[str, Any]) -> list[dict[str, str]]:
        sent = [
            {"id": str(secrets.randbelow(10**17) + 10**17), "quoteToken": secrets.token_urlsafe(24)}
            for _ in body["messages"]
        ]
        self.delivered.append(body)
        return sent

    async def _push(self, request: Request) -> JSONResponse:
        key = request.headers.get("x-line-retry-key")
        if key is not None:
            try:
                uuid.UUID(key)
            except ValueError:
                self.requests.append(
                    Recorded("POST", request.url.path, dict(request.headers), {}, None)
                )
                return self._reply_json(
                    400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}
                )
            if key in self.accepted_keys:
                self.requests.append(
                    Recorded("POST", request.url.path, dict(request.headers), {}, None)
                )
                request_id, sent = self.accepted_keys[key]
                return self._reply_json(
                    409,
                    {"message": "The retry key is already accepted", "sentMessages": sent},
                    {"x-line-accepted-request-id": request_id},
                )
        body, error = await self._common(request)
        if error is not None or body is None:
            return error or self._reply_json(400, {"message": "invalid"})
        if not isinstance(body.get("to"), str) or not _TO.match(body["to"]):
            return self._reply_json(
                400,
                {
                    "message": "The property, 'to', in the request body is invalid "
                    "(line: -, column: -)"
                },
            )
        sent = self._sent(body)
        request_id = str(uuid.uuid4())
        if key is not None:
            self.accepted_keys[key] = (request_id, sent)
        return self._reply_json(200, {"sentMessages": sent}, {"x-line-request-id": request_id})

    async def _reply(self, request: Request) -> JSONResponse:
        if request.headers.get("x-line-retry-key") is not None:
            self.requests.append(
                Recorded("POST", request.url.path, dict(request.headers), {}, None)
            )
            return self._reply_json(
                400, {"message": "X-Line-Retry-Key header cannot be specified for this API"}
            )
        body, error = await self._common(request)
        if error is not None or body is None:
            return error or self._reply_json(400, {"message": "invalid"})
        token = body.get("replyToken")
        if token not in self.reply_tokens:
            return self._reply_json(400, {"message": "Invalid reply token"})
        self.reply_tokens.discard(token)
        return self._reply_json(200, {"sentMessages": self._sent(body)})


def _messages_problem(messages: Any) -> dict[str, str] | None:
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return {"message": "Size must be between 1 and 5", "property": "messages"}
    for i, item in enumerate(messages):
        kind = item.get("type") if isinstance(item, dict) else None
        where = f"messages[{i}]"
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= 5000:
                return {"message": "Length must be between 1 and 5000", "property": f"{where}.text"}
        elif kind in ("image", "video", "audio"):
            for key in ("originalContentUrl", *(("previewImageUrl",) if kind != "audio" else ())):
                url = item.get(key)
                if not isinstance(url, str) or not url.startswith("https://"):
                    return {"message": "Must be an HTTPS URL", "property": f"{where}.{key}"}
            if kind == "audio" and not isinstance(item.get("duration"), int):
                return {"message": "Must be specified", "property": f"{where}.duration"}
        else:
            return {
                "message": "Must be one of the following values: [text, image, video, audio, ...]",
                "property": f"{where}.type",
            }
    return None
