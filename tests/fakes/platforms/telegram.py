"""A fake Telegram Bot API (``/bot{token}/{method}``).

Implements getMe, sendMessage, sendPhoto, sendDocument, sendVideo, sendAudio, sendSticker,
getUpdates (offset confirmation, short long-poll, 409 while a webhook is set), setWebhook
(secret_token format) and deleteWebhook, with the documented error envelopes:
401 Unauthorized, 404 Not Found, 400 "Bad Request: chat not found" / "message text is
empty" / "message is too long", 403 "Forbidden: bot was blocked by the user", and scripted
429 flood-control replies with ``parameters.retry_after``.

Files: the send methods also take ``multipart/form-data`` with the file as the method's
field (an InputFile upload: photos up to 10 MB and really images, "IMAGE_PROCESS_FAILED";
other files up to 50 MB, 413 beyond), other parameters as form fields, objects as JSON.
Uploads are kept in ``uploads``.
"""

import asyncio
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests.fakes.platforms.server import Recorded, ScriptedReply

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_MB = 1024 * 1024
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF")


@dataclass
class TgUpload:
    field: str
    filename: str
    content_type: str
    data: bytes


_MEDIA_FIELDS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendSticker": "sticker",
}


def tg_error(code: int, description: str, **parameters: int) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, code)


def flood(retry_after: int) -> ScriptedReply:
    """The documented 429 flood-control reply."""
    return ScriptedReply(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        },
    )


@dataclass
class FakeTelegramBotApi:
    bot_id: int = 7012345678
    token: str = ""
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    updates: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    requests: list[Recorded] = field(default_factory=list)
    scripted: deque[ScriptedReply] = field(default_factory=deque)
    uploads: list[TgUpload] = field(default_factory=list)
    _next_id: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.app = FastAPI()
        self.app.add_api_route("/bot{token}/{method}", self._method, methods=["GET", "POST"])

    def reset(self) -> None:
        self.token = ""
        self.chats.clear()
        self.blocked.clear()
        self.updates.clear()
        self.webhook = None
        self.requests.clear()
        self.scripted.clear()
        self.uploads.clear()
        self._next_id.clear()

    def add_chat(self, chat_id: int, first_name: str = "Алексей") -> None:
        self.chats[chat_id] = {"id": chat_id, "first_name": first_name, "type": "private"}

    def script(self, reply: ScriptedReply) -> None:
        self.scripted.append(reply)

    async def _method(self, token: str, method: str, request: Request) -> JSONResponse:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST" and request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            try:
                body = await request.json()
            except ValueError:
                return tg_error(400, "Bad Request: can't parse JSON object")
            if isinstance(body, dict):
                params.update(body)
        elif request.method == "POST" and request.headers.get("content-type", "").startswith(
            "multipart/form-data"
        ):
            async with request.form() as form:
                for key, value in form.items():
                    if isinstance(value, str):
                        params[key] = _form_value(key, value)
                    else:
                        params[key] = TgUpload(
                            key,
                            value.filename or "",
                            (value.content_type or "").split(";")[0],
                            await value.read(),
                        )
        self.requests.append(
            Recorded(
                request.method,
                f"/bot<token>/{method}",
                dict(request.headers),
                dict(request.query_params),
                params,
            )
        )
        if not self.token or token != self.token:
            return tg_error(401, "Unauthorized")
        if self.scripted:
            reply = self.scripted.popleft()
            return JSONResponse(reply.body, reply.status, headers=reply.headers)
        if method == "getMe":
            return self._ok(
                {
                    "id": self.bot_id,
                    "is_bot": True,
                    "first_name": "Crossdesk Support",
                    "username": "crossdesk_support_bot",
                }
            )
        if method == "sendMessage":
            return self._send(params, "text", 4096, "message text is empty", "message is too long")
        if method in _MEDIA_FIELDS:
            return self._send_media(params, _MEDIA_FIELDS[method])
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setWebhook":
            secret = params.get("secret_token")
            if secret is not None and not _SECRET.match(str(secret)):
                return tg_error(400, "Bad Request: secret token contains unallowed characters")
            self.webhook = {"url": params.get("url"), "secret_token": secret}
            return self._ok(True)
        if method == "deleteWebhook":
            self.webhook = None
            return self._ok(True)
        return tg_error(404, "Not Found")

    @staticmethod
    def _ok(result: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "result": result})

    def _chat(self, params: dict[str, Any]) -> tuple[dict[str, Any] | None, JSONResponse | None]:
        raw = params.get("chat_id")
        if raw in (None, ""):
            return None, tg_error(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            return None, tg_error(400, "Bad Request: chat not found")
        if chat_id not in self.chats:
            return None, tg_error(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            return None, tg_error(403, "Forbidden: bot was blocked by the user")
        return self.chats[chat_id], None

    def _reply_check(self, chat_id: int, params: dict[str, Any]) -> JSONResponse | None:
        reply = params.get("reply_parameters")
        if reply is None:
            return None
        target = reply.get("message_id") if isinstance(reply, dict) else None
        if not isinstance(target, int):
            return tg_error(400, "Bad Request: invalid reply parameters")
        known = target <= self._next_id.get(chat_id, 0) or target < 1000
        if not known and not reply.get("allow_sending_without_reply"):
            return tg_error(400, "Bad Request: message to be replied not found")
        return None

    def _message(self, chat: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = chat["id"]
        self._next_id[chat_id] = self._next_id.get(chat_id, 1000) + 1
        return {
            "message_id": self._next_id[chat_id],
            "from": {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Crossdesk Support",
                "username": "crossdesk_support_bot",
            },
            "chat": chat,
            "date": int(time.time()),
            **content,
        }

    def _send(
        self, params: dict[str, Any], key: str, limit: int, empty: str, long: str
    ) -> JSONResponse:
        chat, error = self._chat(params)
        if error is not None or chat is None:
            return error or tg_error(400, "Bad Request: chat not found")
        text = params.get(key)
        if not isinstance(text, str) or not text.strip():
            return tg_error(400, f"Bad Request: {empty}")
        if len(text) > limit:
            return tg_error(400, f"Bad Request: {long}")
        problem = self._reply_check(chat["id"], params)
        if problem is not None:
            return problem
        return self._ok(self._message(chat, text=text))

    def _send_media(self, params: dict[str, Any], field_name: str) -> JSONResponse:
        chat, error = self._chat(params)
        if error is not None or chat is None:
            return error or tg_error(400, "Bad Request: chat not found")
        ref = params.get(field_name)
        if isinstance(ref, TgUpload):
            problem = _upload_problem(ref, field_name)
            if problem is not None:
                return problem
            self.uploads.append(ref)
            ref = "AgAC" + secrets.token_urlsafe(24)  # the file_id Telegram assigns
        if not isinstance(ref, str) or not ref:
            return tg_error(400, f"Bad Request: there is no {field_name} in the request")
        caption = params.get("caption")
        if caption is not None and len(str(caption)) > 1024:
            return tg_error(400, "Bad Request: message caption is too long")
        problem = self._reply_check(chat["id"], params)
        if problem is not None:
            return problem
        content: dict[str, Any] = {field_name: {"file_id": ref, "file_unique_id": ref[-8:]}}
        if caption:
            content["caption"] = caption
        return self._ok(self._message(chat, **content))

    async def _get_updates(self, params: dict[str, Any]) -> JSONResponse:
        if self.webhook is not None:
            return tg_error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset:
            # Calling with an offset confirms (forgets) every earlier update.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        # A short long-poll; a polling loop is simplest for a single-threaded fake.
        while not self.updates and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return self._ok(list(self.updates[:100]))


def _form_value(key: str, value: str) -> Any:
    """Multipart parameters are strings; objects (reply_parameters, ...) are JSON."""
    if key in ("reply_parameters", "reply_markup", "caption_entities"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _upload_problem(upload: TgUpload, field_name: str) -> JSONResponse | None:
    if not upload.data:
        return tg_error(400, "Bad Request: file must be non-empty")
    if field_name == "photo":
        if len(upload.data) > 10 * _MB:
            return tg_error(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
        if not upload.data.startswith(_IMAGE_MAGIC):
            return tg_error(400, "Bad Request: IMAGE_PROCESS_FAILED")
    elif len(upload.data) > 50 * _MB:
        return tg_error(413, "Request Entity Too Large")
    return None
