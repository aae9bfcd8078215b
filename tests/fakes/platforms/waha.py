"""A fake WAHA (WhatsApp HTTP API) bridge server.

Speaks WAHA's documented REST API: ``X-Api-Key`` on every ``/api`` request (401 otherwise),
``POST /api/sessions`` (``name``, ``start``, ``config.webhooks[]``; 422 if it exists),
``GET/PUT /api/sessions/{name}`` (404 if missing), ``POST .../start|stop|logout``,
``GET /api/{session}/auth/qr?format=image`` (PNG while SCAN_QR_CODE, else 422) and
``POST /api/sendText`` (422 unless WORKING; replies with the message, ``id`` serialized),
``POST /api/sendImage`` / ``/api/sendFile`` (``file``: ``mimetype``, ``filename``, ``data``
base64 (or ``url``), optional ``caption``; 400 on a malformed file, sendImage only for images).
A started session waits in SCAN_QR_CODE until the test "scans" it (``link``).

It also builds the webhooks WAHA would send (envelope ``id``/``timestamp``/``event``/
``session``/``me``/``payload``, HMAC-SHA512 headers with the session's ``hmac.key``) so a
test can deliver them to crossdesk exactly as WAHA would.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from tests.fakes.platforms.server import Recorded

# A valid 1x1 PNG (what WAHA serves is a PNG of the QR code).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def waha_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"statusCode": status, "message": message, "error": "Error"}, status)


@dataclass
class FakeSession:
    name: str
    status: str
    config: dict[str, Any]
    me: dict[str, str] | None = None


@dataclass
class FakeWaha:
    api_key: str = "waha-key"
    sessions: dict[str, FakeSession] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (bytes, type)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = FastAPI()
        self.app.add_api_route("/api/sessions", self._create, methods=["POST"])
        self.app.add_api_route("/api/sessions/{name}", self._get, methods=["GET"])
        self.app.add_api_route("/api/sessions/{name}", self._update, methods=["PUT"])
        self.app.add_api_route("/api/sessions/{name}/{action}", self._action, methods=["POST"])
        self.app.add_api_route("/api/{name}/auth/qr", self._qr, methods=["GET"])
        self.app.add_api_route("/api/sendText", self._send_text, methods=["POST"])
        self.app.add_api_route("/api/sendImage", self._send_image, methods=["POST"])
        self.app.add_api_route("/api/sendFile", self._send_file, methods=["POST"])
        self.app.add_api_route("/api/files/{name}/{filename}", self._file, methods=["GET"])

    def reset(self) -> None:
        self.sessions.clear()
        self.sent.clear()
        self.files.clear()
        self.requests.clear()

    # --- what the phone does -------------------------------------------------------------
    def link(self, name: str, phone: str = "4915112345678") -> None:
        session = self.sessions[name]
        session.status = "WORKING"
        session.me = {"id": f"{phone}@c.us", "pushName": "Shop"}

    def phone_logged_out(self, name: str) -> None:
        session = self.sessions[name]
        session.status, session.me = "SCAN_QR_CODE", None

    # --- webhooks as WAHA sends them -----------------------------------------------------
    def webhook(
        self, name: str, event: str, payload: dict[str, Any], *, url_index: int | None = None
    ) -> tuple[str, bytes, dict[str, str]]:
        """(the configured URL, body, headers) of one webhook for ``event``."""
        session = self.sessions[name]
        hooks = session.config.get("webhooks", [])
        hook = next(h for h in hooks if event in h.get("events", []))
        envelope = {
            "id": "evt_" + secrets.token_hex(12),
            "timestamp": int(time.time() * 1000),
            "event": event,
            "session": name,
            "metadata": {},
            "me": session.me,
            "payload": payload,
            "engine": "WEBJS",
            "environment": {"version": "2025.6.1", "engine": "WEBJS", "tier": "CORE"},
        }
        body = json.dumps(envelope).encode()
        headers = {
            "content-type": "application/json",
            "x-webhook-request-id": "req_" + secrets.token_hex(8),
            "x-webhook-timestamp": str(envelope["timestamp"]),
        }
        key = (hook.get("hmac") or {}).get("key")
        if key:
            headers["x-webhook-hmac"] = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
            headers["x-webhook-hmac-algorithm"] = "sha512"
        return hook["url"], body, headers

    @staticmethod
    def message(
        chat: str, text: str, *, from_me: bool = False, me: str = "4915112345678@c.us"
    ) -> dict[str, Any]:
        serial = secrets.token_hex(10).upper()
        return {
            "id": f"{'true' if from_me else 'false'}_{chat}_{serial}",
            "timestamp": int(time.time()),
            "from": me if from_me else chat,
            "fromMe": from_me,
            "source": "app",
            "to": chat if from_me else me,
            "participant": None,
            "body": text,
            "hasMedia": False,
            "media": None,
            "ack": 1,
            "ackName": "SERVER",
            "replyTo": None,
            "vCards": [],
        }

    # --- REST API -------------------------------------------------------------------------
    async def _record(self, request: Request) -> Any:
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
        return body

    def _authorized(self, request: Request) -> bool:
        given = request.headers.get("x-api-key", "")
        return bool(given) and secrets.compare_digest(given, self.api_key)

    @staticmethod
    def _info(session: FakeSession) -> dict[str, Any]:
        return {
            "name": session.name,
            "status": session.status,
            "config": session.config,
            "me": session.me,
            "engine": {"engine": "WEBJS"},
        }

    async def _create(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        if not self._authorized(request):
            return waha_error(401, "Unauthorized")
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return waha_error(400, "name must be a string")
        if body["name"] in self.sessions:
            return waha_error(422, f"Session '{body['name']}' already exists")
        status = "SCAN_QR_CODE" if body.get("start", True) else "STOPPED"
        session = FakeSession(body["name"], status, body.get("config") or {})
        self.sessions[session.name] = session
        return JSONResponse(self._info(session), 201)

    async def _get(self, name: str, request: Request) -> JSONResponse:
        await self._record(request)
        if not self._authorized(request):
            return waha_error(401, "Unauthorized")
        session = self.sessions.get(name)
        if session is None:
            return waha_error(404, "Session not found")
        return JSONResponse(self._info(session))

    async def _update(self, name: str, request: Request) -> JSONResponse:
        body = await self._record(request)
        if not self._authorized(request):
            return waha_error(401, "Unauthorized")
        session = self.sessions.get(name)
        if session is None:
            return waha_error(404, "Session not found")
        if isinstance(body, dict) and isinstance(body.get("config"), dict):
            session.config = body["config"]
        return JSONResponse(self._info(session))

    async def _action(self, name: str, action: str, request: Request) -> JSONResponse:
        await self._record(request)
        if not self._authorized(request):
            return waha_error(401, "Unauthorized")
        session = self.sessions.get(name)
        if session is None:
            return waha_error(404, "Session not found")
        if action == "start":
            session.status = "WORKING" if session.me else "SCAN_QR_CODE"
        elif action == "stop":
            session.status = "STOPPED"
        elif action == "logout":
            self.phone_logged_out(name)
        elif action == "restart":
            session.status = "WORKING" if session.me else "SCAN_QR_CODE"
        else:
            return waha_error(404, f"Cannot POST /api/sessions/{name}/{action}")
        return JSONResponse(self._info(session), 201)

    async def _qr(self, name: str, request: Request) -> Response:
        await self._record(request)
        if not self._authorized(request):
            return waha_error(401, "Unauthorized")
        session = self.sessions.get(name)
        if session is None:
            return waha_error(404, "Session not found")
        if session.status != "SCAN_QR_CODE":
            return waha_error(
                422,
                "Can get QR code only in SCAN_QR_CODE status. "
                f"The current status is '{session.status}'",
            )
        if request.query_params.get("format", "image") == "raw":
            return JSONResponse({"value": "2@" + secrets.token_urlsafe(40)})
        return Response(PNG, media_type="image/png")

    async def _file(self, name: str, filename: str, request: Request) -> Response:
        """Media WAHA saved for a received message (``payload.media.url``)."""
        await self._record(request)
        if not self._authorized(request):
            return waha_error(401, "Unauthorized")
        found = self.files.get(f"{name}/{filename}")
        if found is None:
            return waha_error(404, "File not found")
        return Response(found[0], media_type=found[1])

    async def _send_text(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        if not self._authorized(request):
            return waha_error(401, "Unauthorized")
        if not isinstance(body, dict):
            return waha_error(400, "body must be an object")
        session = self.sessions.get(str(body.get("session", "default")))
        if session is None:
            return waha_error(404, "Session not found")
        if session.status != "WORKING":
            return waha_error(
                422,
                f"Session status is not as expected. Status: {session.status}, expected: WORKING",
            )
        chat = body.get("chatId")
        if not isinstance(chat, str) or "@" not in chat or not body.get("text"):
            return waha_error(400, "chatId and text are required")
        assert session.me is not None
        message = self.message(chat, str(body["text"]), from_me=True, me=session.me["id"])
        self.sent.append(body)
        return JSONResponse(message, 201)

    async def _send_image(self, request: Request) -> JSONResponse:
        return await self._send_media(request, images_only=True)

    async def _send_file(self, request: Request) -> JSONResponse:
        return await self._send_media(request, images_only=False)

    async def _send_media(self, request: Request, *, images_only: bool) -> JSONResponse:
        body = await self._record(request)
        if not self._authorized(request):
            return waha_error(401, "Unauthorized")
        if not isinstance(body, dict):
            return waha_error(400, "body must be an object")
        session = self.sessions.get(str(body.get("session", "default")))
        if session is None:
            return waha_error(404, "Session not found")
        chat = body.get("chatId")
        file = body.get("file")
        if not isinstance(chat, str) or "@" not in chat or not isinstance(file, dict):
            return waha_error(400, "chatId and file are required")
        mimetype = file.get("mimetype")
        if not isinstance(mimetype, str) or "/" not in mimetype:
            return waha_error(400, "file.mimetype must be a MIME type")
        if images_only and not mimetype.startswith("image/"):
            return waha_error(400, "sendImage takes image files only")
        if "caption" in body and not isinstance(body["caption"], str):
            return waha_error(400, "caption must be a string")
        if isinstance(file.get("data"), str):
            try:
                data = base64.b64decode(file["data"], validate=True)
            except (binascii.Error, ValueError):
                return waha_error(400, "file.data must be base64")
        elif not isinstance(file.get("url"), str):
            return waha_error(400, "file needs data or url")
        else:
            data = b""
        if session.status != "WORKING":
            return waha_error(
                422,
                f"Session status is not as expected. Status: {session.status}, expected: WORKING",
            )
        assert session.me is not None
        endpoint = "sendImage" if images_only else "sendFile"
        self.sent.append({"endpoint": endpoint, **body, "file_bytes": data})
        message = self.message(
            chat, str(body.get("caption") or ""), from_me=True, me=session.me["id"]
        )
        message["hasMedia"] = True
        message["media"] = {"url": None, "mimetype": mimetype, "filename": file.get("filename")}
        return JSONResponse(message, 201)
