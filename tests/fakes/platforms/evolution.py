"""A fake Evolution API (v2) server.

Speaks Evolution API v2's documented REST API: the ``apikey`` header on every request (401
``{"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}}``
otherwise), errors as ``{"status", "error", "response": {"message": [...]}}``, 404 for an
unknown instance (``The "x" instance does not exist``), and:

- ``POST /instance/create`` (``instanceName``, ``qrcode``, ``integration``; 403 when the
  name is in use): with ``qrcode`` the instance starts connecting and the reply carries the
  ``qrcode`` (``base64`` PNG data URL);
- ``GET /instance/connect/{instance}``: starts a closed instance; the QR code while one
  waits, the connection state when open;
- ``GET /instance/connectionState/{instance}``: ``{"instance": {"instanceName", "state"}}``;
- ``DELETE /instance/logout/{instance}`` (400 when not connected);
- ``POST /webhook/set/{instance}``: ``{"webhook": {enabled, url, headers, byEvents,
  base64, events}}`` validated (known event names, string headers);
- ``POST /message/sendText/{instance}`` and ``/message/sendMedia/{instance}`` (``number``,
  ``mediatype`` image/video/document/audio, ``mimetype``, ``media`` base64, ``fileName``,
  ``caption``), validated like Evolution's JSON schemas; 400 ``Connection Closed`` while the
  phone is not connected; the reply is the sent message (``key.id``);
- ``POST /chat/getBase64FromMediaMessage/{instance}`` (``message.key.id``): the received
  file as ``base64`` with its ``mimetype``.

It also builds the webhooks Evolution would send (``event``, ``instance``, ``data``,
``destination``, ``date_time``, ``sender``, ``server_url``, ``apikey``; the configured
``headers``; ``byEvents`` URLs) so a test can deliver them to crossdesk as Evolution would.
"""

import base64
import binascii
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests.fakes.platforms.server import Recorded
from tests.fakes.platforms.waha import PNG

EVENTS = (
    "APPLICATION_STARTUP",
    "QRCODE_UPDATED",
    "MESSAGES_SET",
    "MESSAGES_UPSERT",
    "MESSAGES_UPDATE",
    "MESSAGES_DELETE",
    "SEND_MESSAGE",
    "CONTACTS_SET",
    "CONTACTS_UPSERT",
    "CONTACTS_UPDATE",
    "PRESENCE_UPDATE",
    "CHATS_SET",
    "CHATS_UPSERT",
    "CHATS_UPDATE",
    "CHATS_DELETE",
    "GROUPS_UPSERT",
    "GROUP_UPDATE",
    "GROUP_PARTICIPANTS_UPDATE",
    "CONNECTION_UPDATE",
    "LABELS_EDIT",
    "LABELS_ASSOCIATION",
    "CALL",
)
MEDIATYPES = ("image", "video", "document", "audio")
QR_DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def evolution_error(status: int, message: Any) -> JSONResponse:
    names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    body = {"status": status, "error": names.get(status, "Error"), "response": {"message": message}}
    return JSONResponse(body, status)


@dataclass
class FakeInstance:
    name: str
    state: str  # close, connecting, open
    token: str
    instance_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    webhook: dict[str, Any] | None = None
    owner: str | None = None
    qr_count: int = 0
    reconnecting: bool = False  # linked, connection dropped: "connecting" without a QR


@dataclass
class FakeEvolution:
    api_key: str = "evo-global-key"
    instances: dict[str, FakeInstance] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str, str | None]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    not_on_whatsapp: set[str] = field(default_factory=set)  # numbers (digits)
    server_url: str = "http://evolution.invalid"

    def __post_init__(self) -> None:
        app = FastAPI()
        app.add_api_route("/instance/create", self._create, methods=["POST"])
        app.add_api_route("/instance/connect/{name}", self._connect, methods=["GET"])
        app.add_api_route("/instance/connectionState/{name}", self._state, methods=["GET"])
        app.add_api_route("/instance/logout/{name}", self._logout, methods=["DELETE"])
        app.add_api_route("/webhook/set/{name}", self._set_webhook, methods=["POST"])
        app.add_api_route("/message/sendText/{name}", self._send_text, methods=["POST"])
        app.add_api_route("/message/sendMedia/{name}", self._send_media, methods=["POST"])
        app.add_api_route(
            "/chat/getBase64FromMediaMessage/{name}", self._get_base64, methods=["POST"]
        )
        self.app = app

    def reset(self) -> None:
        self.not_on_whatsapp.clear()
        self.instances.clear()
        self.sent.clear()
        self.media.clear()
        self.requests.clear()

    # --- what the phone does -------------------------------------------------------------
    def link(self, name: str, phone: str = "4915112345678") -> None:
        instance = self.instances[name]
        instance.state, instance.owner, instance.reconnecting = (
            "open",
            f"{phone}@s.whatsapp.net",
            False,
        )

    def phone_logged_out(self, name: str) -> None:
        instance = self.instances[name]
        instance.state, instance.owner = "close", None

    # --- webhooks as Evolution sends them ------------------------------------------------
    def webhook(self, name: str, event: str, data: Any) -> tuple[str, bytes, dict[str, str]]:
        """(URL, body, headers) of one webhook for ``event`` (``MESSAGES_UPSERT`` ...)."""
        instance = self.instances[name]
        hook = instance.webhook
        assert hook is not None and hook["enabled"], "no webhook set for this instance"
        assert event in hook["events"], f"{event} is not enabled"
        url = hook["url"]
        if hook.get("byEvents"):
            url = f"{url}/{event.replace('_', '-').lower()}"
        body = {
            "event": event.lower().replace("_", "."),
            "instance": name,
            "data": data,
            "destination": hook["url"],
            "date_time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "sender": instance.owner,
            "server_url": self.server_url,
            "apikey": instance.token,
        }
        headers = {"content-type": "application/json", **(hook.get("headers") or {})}
        return url, json.dumps(body).encode(), headers

    def text_message(
        self, name: str, chat: str, text: str, *, from_me: bool = False, extended: bool = False
    ) -> dict[str, Any]:
        """``messages.upsert`` data of a text (``conversation`` or ``extendedTextMessage``)."""
        if extended:
            content: dict[str, Any] = {"extendedTextMessage": {"text": text}}
            kind = "extendedTextMessage"
        else:
            content, kind = {"conversation": text}, "conversation"
        return self._upsert(name, chat, content, kind, from_me=from_me)

    def media_message(
        self,
        name: str,
        chat: str,
        kind: str,
        data: bytes,
        mimetype: str,
        *,
        caption: str | None = None,
        filename: str | None = None,
    ) -> dict[str, Any]:
        """``messages.upsert`` data of a photo/document/voice/video; the bytes stay here for
        ``getBase64FromMediaMessage`` (as Evolution keeps the message to download from)."""
        field_name = f"{kind}Message"
        media: dict[str, Any] = {
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/" + secrets.token_hex(8) + ".enc",
            "mimetype": mimetype,
            "fileSha256": base64.b64encode(secrets.token_bytes(32)).decode(),
            "fileLength": str(len(data)),
            "mediaKey": base64.b64encode(secrets.token_bytes(32)).decode(),
            "directPath": "/v/t62.7118-24/" + secrets.token_hex(8),
        }
        if caption is not None:
            media["caption"] = caption
        if filename is not None:
            media["fileName"] = filename
            media["title"] = filename
        if kind == "audio":
            media.update({"seconds": 4, "ptt": True})
        upsert = self._upsert(name, chat, {field_name: media}, field_name)
        self.media[upsert["key"]["id"]] = (data, mimetype, filename)
        return upsert

    def _upsert(
        self, name: str, chat: str, content: dict[str, Any], kind: str, *, from_me: bool = False
    ) -> dict[str, Any]:
        return {
            "key": {
                "remoteJid": chat,
                "fromMe": from_me,
                "id": "3EB0" + secrets.token_hex(8).upper(),
            },
            "pushName": "" if from_me else "Maria Souza",
            "message": content,
            "contextInfo": None,
            "messageType": kind,
            "messageTimestamp": int(time.time()),
            "instanceId": self.instances[name].instance_id,
            "source": "android",
        }

    def status_update(
        self, name: str, key_id: str, status: str, chat: str, *, from_me: bool = True
    ) -> dict[str, Any]:
        """``messages.update`` data (SERVER_ACK, DELIVERY_ACK, READ, PLAYED, ERROR)."""
        return {
            "messageId": "cm" + secrets.token_hex(10),
            "keyId": key_id,
            "remoteJid": chat,
            "fromMe": from_me,
            "participant": chat,
            "status": status,
            "instanceId": self.instances[name].instance_id,
        }

    def connection_update(self, name: str, state: str, reason: int = 200) -> dict[str, Any]:
        instance = self.instances[name]
        return {
            "instance": name,
            "wuid": instance.owner,
            "profileName": "Shop",
            "profilePictureUrl": None,
            "state": state,
            "statusReason": reason,
        }

    def qrcode_update(self, name: str) -> dict[str, Any]:
        return {"qrcode": {"instance": name, **self._qr(self.instances[name])}}

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

    def _authorized(self, request: Request, instance: FakeInstance | None = None) -> bool:
        given = request.headers.get("apikey", "")
        if not given:
            return False
        if secrets.compare_digest(given, self.api_key):
            return True
        return instance is not None and secrets.compare_digest(given, instance.token)

    def _find(self, request: Request, name: str) -> FakeInstance | JSONResponse:
        instance = self.instances.get(name)
        if not self._authorized(request, instance):
            return evolution_error(401, "Unauthorized")
        if instance is None:
            return evolution_error(404, [f'The "{name}" instance does not exist'])
        return instance

    @staticmethod
    def _qr(instance: FakeInstance) -> dict[str, Any]:
        instance.qr_count += 1
        return {
            "pairingCode": None,
            "code": "2@" + secrets.token_urlsafe(40),
            "base64": QR_DATA_URL,
            "count": instance.qr_count,
        }

    async def _create(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        if not self._authorized(request):
            return evolution_error(401, "Unauthorized")
        if not isinstance(body, dict) or not isinstance(body.get("instanceName"), str):
            return evolution_error(400, ['instance requires property "instanceName"'])
        integration = body.get("integration", "WHATSAPP-BAILEYS")
        if integration not in ("WHATSAPP-BAILEYS", "WHATSAPP-BUSINESS", "EVOLUTION"):
            return evolution_error(400, ["Invalid integration"])
        name = body["instanceName"]
        if name in self.instances:
            return evolution_error(403, [f'This name "{name}" is already in use.'])
        instance = FakeInstance(name, "close", str(body.get("token") or uuid.uuid4()).upper())
        self.instances[name] = instance
        reply: dict[str, Any] = {
            "instance": {
                "instanceName": name,
                "instanceId": instance.instance_id,
                "integration": integration,
                "webhookWaBusiness": None,
                "accessTokenWaBusiness": "",
                "status": "close",
            },
            "hash": instance.token,
            "webhook": {},
            "settings": {"rejectCall": False, "groupsIgnore": False, "alwaysOnline": False},
        }
        if body.get("qrcode"):
            instance.state = "connecting"
            reply["instance"]["status"] = "connecting"
            reply["qrcode"] = self._qr(instance)
        return JSONResponse(reply, 201)

    async def _connect(self, name: str, request: Request) -> JSONResponse:
        await self._record(request)
        found = self._find(request, name)
        if isinstance(found, JSONResponse):
            return found
        if found.state == "open":
            return JSONResponse({"instance": {"instanceName": name, "state": "open"}})
        if found.state == "connecting" and found.reconnecting:
            return JSONResponse({"pairingCode": None, "code": None, "base64": None, "count": 0})
        found.state = "connecting"
        return JSONResponse(self._qr(found))

    async def _state(self, name: str, request: Request) -> JSONResponse:
        await self._record(request)
        found = self._find(request, name)
        if isinstance(found, JSONResponse):
            return found
        return JSONResponse({"instance": {"instanceName": name, "state": found.state}})

    async def _logout(self, name: str, request: Request) -> JSONResponse:
        await self._record(request)
        found = self._find(request, name)
        if isinstance(found, JSONResponse):
            return found
        if found.state != "open":
            return evolution_error(400, [f'The "{name}" instance is not connected'])
        self.phone_logged_out(name)
        return JSONResponse(
            {"status": "SUCCESS", "error": False, "response": {"message": "Instance logged out"}}
        )

    async def _set_webhook(self, name: str, request: Request) -> JSONResponse:
        body = await self._record(request)
        found = self._find(request, name)
        if isinstance(found, JSONResponse):
            return found
        hook = body.get("webhook") if isinstance(body, dict) else None
        if not isinstance(hook, dict):
            return evolution_error(400, ['instance requires property "webhook"'])
        problems = []
        if not isinstance(hook.get("enabled"), bool):
            problems.append('webhook requires property "enabled"')
        if not isinstance(hook.get("url"), str) or not hook["url"].startswith("http"):
            problems.append('Invalid "url" property')
        events = hook.get("events", [])
        if not isinstance(events, list) or any(e not in EVENTS for e in events):
            problems.append("webhook.events must be equal to one of the allowed values")
        headers = hook.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            problems.append("webhook.headers must be an object of strings")
        for flag in ("byEvents", "base64"):
            if flag in hook and not isinstance(hook[flag], bool):
                problems.append(f"webhook.{flag} must be boolean")
        if problems:
            return evolution_error(400, problems)
        # As Evolution: disabled means no events, enabled with none means all of them.
        if not hook["enabled"]:
            events = []
        elif not events:
            events = list(EVENTS)
        found.webhook = {
            "enabled": hook["enabled"],
            "url": hook["url"],
            "headers": headers,
            "byEvents": hook.get("byEvents", False),
            "base64": hook.get("base64", False),
            "events": events,
        }
        reply = {
            "id": "cm" + secrets.token_hex(10),
            "url": hook["url"],
            "headers": headers,
            "enabled": hook["enabled"],
            "events": found.webhook["events"],
            "webhookByEvents": found.webhook["byEvents"],
            "webhookBase64": found.webhook["base64"],
            "instanceId": found.instance_id,
        }
        return JSONResponse(reply, 201)

    def _sent_reply(
        self, instance: FakeInstance, number: str, content: dict[str, Any], kind: str
    ) -> dict[str, Any]:
        jid = number if "@" in number else f"{number}@s.whatsapp.net"
        return {
            "key": {"remoteJid": jid, "fromMe": True, "id": "BAE5" + secrets.token_hex(6).upper()},
            "pushName": "",
            "status": "PENDING",
            "message": content,
            "contextInfo": None,
            "messageType": kind,
            "messageTimestamp": int(time.time()),
            "instanceId": instance.instance_id,
            "source": "unknown",
        }

    @staticmethod
    def _number_problem(body: dict[str, Any]) -> str | None:
        number = body.get("number")
        if not isinstance(number, str) or not number:
            return 'instance requires property "number"'
        digits = number.split("@", 1)[0]
        if not digits.isdigit() or ("@" in number and not number.endswith("@s.whatsapp.net")):
            return f"{number} is not a valid WhatsApp number"
        return None

    async def _send_text(self, name: str, request: Request) -> JSONResponse:
        body = await self._record(request)
        found = self._find(request, name)
        if isinstance(found, JSONResponse):
            return found
        if not isinstance(body, dict):
            return evolution_error(400, ["body must be an object"])
        problem = self._number_problem(body)
        if problem is None and (not isinstance(body.get("text"), str) or not body["text"]):
            problem = 'instance requires property "text"'
        quoted = body.get("quoted")
        if (
            problem is None
            and quoted is not None
            and not (
                isinstance(quoted, dict) and isinstance((quoted.get("key") or {}).get("id"), str)
            )
        ):
            problem = "quoted.key.id must be a string"
        if problem is not None:
            return evolution_error(400, [problem])
        if found.state != "open":
            return evolution_error(400, ["Error: Connection Closed"])
        digits = body["number"].split("@", 1)[0]
        if digits in self.not_on_whatsapp:  # Evolution checks onWhatsApp first
            jid = f"{digits}@s.whatsapp.net"
            return evolution_error(400, [{"exists": False, "jid": jid, "number": digits}])
        self.sent.append({"endpoint": "sendText", **body})
        reply = self._sent_reply(
            found, body["number"], {"conversation": body["text"]}, "conversation"
        )
        return JSONResponse(reply, 201)

    async def _send_media(self, name: str, request: Request) -> JSONResponse:
        body = await self._record(request)
        found = self._find(request, name)
        if isinstance(found, JSONResponse):
            return found
        if not isinstance(body, dict):
            return evolution_error(400, ["body must be an object"])
        problems = [p for p in [self._number_problem(body)] if p]
        if body.get("mediatype") not in MEDIATYPES:
            problems.append("mediatype must be equal to one of the allowed values")
        for required in ("mimetype", "media", "fileName"):
            if not isinstance(body.get(required), str) or not body[required]:
                problems.append(f'instance requires property "{required}"')
        if "caption" in body and not isinstance(body["caption"], str):
            problems.append("caption must be string")
        data = b""
        if not problems:
            try:
                data = base64.b64decode(body["media"], validate=True)
            except (binascii.Error, ValueError):
                problems.append("Owned media must be a url or base64")
        if problems:
            return evolution_error(400, problems)
        if found.state != "open":
            return evolution_error(400, ["Error: Connection Closed"])
        self.sent.append({"endpoint": "sendMedia", **body, "media_bytes": data})
        kind = f"{body['mediatype']}Message"
        content = {
            kind: {
                "mimetype": body["mimetype"],
                "fileName": body["fileName"],
                "caption": body.get("caption", ""),
                "fileLength": str(len(data)),
            }
        }
        return JSONResponse(self._sent_reply(found, body["number"], content, kind), 201)

    async def _get_base64(self, name: str, request: Request) -> JSONResponse:
        body = await self._record(request)
        found = self._find(request, name)
        if isinstance(found, JSONResponse):
            return found
        message = body.get("message") if isinstance(body, dict) else None
        key = message.get("key") if isinstance(message, dict) else None
        key_id = key.get("id") if isinstance(key, dict) else None
        if not isinstance(key_id, str):
            return evolution_error(400, ['instance requires property "message"'])
        stored = self.media.get(key_id)
        if stored is None:
            return evolution_error(400, ["Error: Message not found"])
        data, mimetype, filename = stored
        kind = mimetype.split("/", 1)[0]
        media_type = f"{kind}Message" if kind in ("image", "video", "audio") else "documentMessage"
        return JSONResponse(
            {
                "mediaType": media_type,
                "fileName": filename,
                "caption": None,
                "size": {"fileLength": str(len(data)), "height": None, "width": None},
                "mimetype": mimetype,
                "base64": base64.b64encode(data).decode(),
            },
            201,
        )
