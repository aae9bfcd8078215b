"""A fake Meta Graph API: WhatsApp Cloud API and Messenger/Instagram Send API.

Speaks the documented wire protocol of ``POST /{version}/{node-id}/messages``:
bearer-token auth (error 190 / 104 bodies), request validation (error 100), the WhatsApp
24-hour window (131047, body as in the shared sample), Messenger's outside-window error
(10 / 2018278), success replies shaped like the real ones, and scripted replies for rate
limits (130429, 131056, 613, 4) and outages. Every request is recorded.

Files: WhatsApp ``POST /{phone-number-id}/media`` (multipart ``file``, ``type``,
``messaging_product``; supported types and size limits, 131053 otherwise; returns ``{"id"}``,
and a later message by that id must be of the uploaded kind) and Messenger/Instagram Send
API uploads (multipart ``recipient``, ``message`` with ``attachment.payload`` and
``filedata``; 25 MB). Uploaded files are kept in ``uploads``.
"""

import json
import re
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData
from tests.fakes.platforms.server import Recorded, ScriptedReply

_VERSION = re.compile(r"^v\d+\.\d+$")
_WA_TYPES = {
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "template",
    "location",
    "reaction",
    "interactive",
    "contacts",
}
_WA_MEDIA = {"image", "video", "audio", "document", "sticker"}
_MB = 1024 * 1024
# Cloud API supported media types and size limits ("Supported media types").
_WA_UPLOAD_LIMITS = {
    "image/jpeg": ("image", 5 * _MB),
    "image/png": ("image", 5 * _MB),
    "video/mp4": ("video", 16 * _MB),
    "video/3gpp": ("video", 16 * _MB),
    "audio/aac": ("audio", 16 * _MB),
    "audio/amr": ("audio", 16 * _MB),
    "audio/mpeg": ("audio", 16 * _MB),
    "audio/mp4": ("audio", 16 * _MB),
    "audio/ogg": ("audio", 16 * _MB),
    "image/webp": ("sticker", 500 * 1024),
    "text/plain": ("document", 100 * _MB),
    "application/pdf": ("document", 100 * _MB),
    "application/msword": ("document", 100 * _MB),
    "application/vnd.ms-excel": ("document", 100 * _MB),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "document",
        100 * _MB,
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("document", 100 * _MB),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "document",
        100 * _MB,
    ),
}
_MESSENGER_TYPES = {"image", "video", "audio", "file"}


@dataclass
class Upload:
    """A file a client uploaded."""

    node_id: str
    content_type: str
    filename: str
    data: bytes
    kind: str


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    details: str | None = None,
) -> dict[str, Any]:
    """A Graph API error body."""
    error: dict[str, Any] = {
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(8),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


@dataclass
class Node:
    """A phone number (WhatsApp) or Page / Instagram account (Messenger, Instagram)."""

    token: str
    product: str  # whatsapp, messenger, instagram
    max_text: int = 4096


@dataclass
class FakeGraphApi:
    """State and behaviour of the fake; ``app`` is the ASGI application."""

    nodes: dict[str, Node] = field(default_factory=dict)
    window_closed: set[str] = field(default_factory=set)
    # WhatsApp Business Account id -> its message templates (Graph's own shape).
    templates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Phone-number id -> its WhatsApp Business Account: template sends are checked against
    # that account's templates (132001 unknown, 132000 wrong parameter count).
    phone_waba: dict[str, str] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    scripted: deque[ScriptedReply] = field(default_factory=deque)
    uploads: dict[str, Upload] = field(default_factory=dict)  # media / attachment id -> file
    messages_down: int = 0  # the next N send requests answer 503 (an outage after an upload)

    def __post_init__(self) -> None:
        self.app = FastAPI()
        self.app.add_api_route("/{version}/{node_id}/messages", self._messages, methods=["POST"])
        self.app.add_api_route("/{version}/{node_id}/media", self._media, methods=["POST"])
        self.app.add_api_route(
            "/{version}/{waba_id}/message_templates", self._message_templates, methods=["GET"]
        )

    def reset(self) -> None:
        self.nodes.clear()
        self.window_closed.clear()
        self.templates.clear()
        self.phone_waba.clear()
        self.requests.clear()
        self.scripted.clear()
        self.uploads.clear()
        self.messages_down = 0

    def add_node(self, node_id: str, token: str, product: str) -> None:
        max_text = {"whatsapp": 4096, "messenger": 2000, "instagram": 1000}[product]
        self.nodes[node_id] = Node(token=token, product=product, max_text=max_text)

    def script(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer the next authenticated request with this reply instead."""
        self.scripted.append(ScriptedReply(status, body, headers or {}))

    def _authorise(self, version: str, node_id: str, request: Request) -> Node | JSONResponse:
        """The node when the version and token are right, else the Graph error reply."""
        if not _VERSION.match(version):
            return JSONResponse(graph_error(2500, f"Unknown path components: /{version}"), 400)
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        if not token:
            return JSONResponse(
                graph_error(104, "An access token is required to request this resource."), 400
            )
        node = self.nodes.get(node_id)
        if node is None or not secrets.compare_digest(token, node.token):
            return JSONResponse(
                graph_error(190, "Invalid OAuth access token - Cannot parse access token"), 401
            )
        return node

    async def _media(self, version: str, node_id: str, request: Request) -> JSONResponse:
        """WhatsApp ``POST /{phone-number-id}/media``: multipart only."""
        async with request.form() as form:
            return await self._media_form(version, node_id, request, form)

    async def _media_form(
        self, version: str, node_id: str, request: Request, form: FormData
    ) -> JSONResponse:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        self.requests.append(
            Recorded(request.method, request.url.path, dict(request.headers), {}, fields)
        )
        node = self._authorise(version, node_id, request)
        if isinstance(node, JSONResponse):
            return node
        if self.scripted:
            reply = self.scripted.popleft()
            return JSONResponse(reply.body, reply.status, headers=reply.headers)
        if node.product != "whatsapp":
            return JSONResponse(graph_error(100, "(#100) Unsupported post request."), 400)
        if fields.get("messaging_product") != "whatsapp":
            return JSONResponse(
                graph_error(100, "(#100) The parameter messaging_product is required."), 400
            )
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return JSONResponse(graph_error(100, "(#100) The parameter file is required."), 400)
        declared = fields.get("type", "")
        if not declared:
            return JSONResponse(graph_error(100, "(#100) The parameter type is required."), 400)
        data = await upload.read()
        limits = _WA_UPLOAD_LIMITS.get(declared)
        part_type = (upload.content_type or "").split(";")[0].strip()
        if limits is None or part_type != declared:
            return JSONResponse(
                graph_error(
                    131053,
                    "(#131053) Media upload error",
                    details=f"Param file must be a file with one of the supported types; "
                    f"got {part_type or 'none'} declared as {declared}",
                ),
                400,
            )
        kind, limit = limits
        if len(data) > limit:
            return JSONResponse(
                graph_error(
                    131053,
                    "(#131053) Media upload error",
                    details=f"{kind} files are limited to {limit} bytes",
                ),
                400,
            )
        media_id = str(10**15 + secrets.randbelow(9 * 10**15))
        self.uploads[media_id] = Upload(node_id, declared, upload.filename or "", data, kind)
        return JSONResponse({"id": media_id})

    async def _messages(self, version: str, node_id: str, request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            return await self._messages_upload(version, node_id, request)
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
        if not _VERSION.match(version):
            return JSONResponse(graph_error(2500, f"Unknown path components: /{version}"), 400)
        auth = request.headers.get("authorization", "")
        token = (
            auth.removeprefix("Bearer ")
            if auth.startswith("Bearer ")
            else request.query_params.get("access_token")
        )
        if not token:
            return JSONResponse(
                graph_error(104, "An access token is required to request this resource."), 400
            )
        node = self.nodes.get(node_id)
        if node is None or not secrets.compare_digest(token, node.token):
            if node is None and any(n.token == token for n in self.nodes.values()):
                return JSONResponse(
                    graph_error(
                        100,
                        f"Unsupported post request. Object with ID '{node_id}' does not exist, "
                        "cannot be loaded due to missing permissions, or does not support "
                        "this operation.",
                        kind="GraphMethodException",
                        subcode=33,
                    ),
                    400,
                )
            return JSONResponse(
                graph_error(190, "Invalid OAuth access token - Cannot parse access token"), 401
            )
        if self.messages_down:
            self.messages_down -= 1
            return JSONResponse(
                graph_error(2, "Service temporarily unavailable"),
                503,
            )
        if self.scripted:
            reply = self.scripted.popleft()
            return JSONResponse(reply.body, reply.status, headers=reply.headers)
        if not isinstance(body, dict):
            return JSONResponse(
                graph_error(100, "(#100) The parameter messaging_product is required."), 400
            )
        if node.product == "whatsapp":
            return self._whatsapp(node, body, node_id)
        return self._messenger(node, body)

    async def _message_templates(
        self, version: str, waba_id: str, request: Request
    ) -> JSONResponse:
        """``GET /{waba-id}/message_templates``: ``data`` + cursor ``paging`` (``limit``,
        ``after``), filtered by ``status`` when given, only the ``fields`` asked for; the
        account's token is required."""
        self.requests.append(
            Recorded(
                "GET", request.url.path, dict(request.headers), dict(request.query_params), None
            )
        )
        auth = request.headers.get("authorization", "").removeprefix("Bearer ")
        node = self.nodes.get(waba_id)
        if node is None or not auth or not secrets.compare_digest(auth, node.token):
            return JSONResponse(
                graph_error(190, "Invalid OAuth access token - Cannot parse access token"), 401
            )
        wanted = request.query_params.get("status")
        items = [t for t in self.templates.get(waba_id, []) if not wanted or t["status"] == wanted]
        limit = int(request.query_params.get("limit", "25"))
        start = int(request.query_params.get("after", "0"))
        page = items[start : start + limit]
        fields = request.query_params.get("fields")
        if fields:  # Graph returns only the fields asked for (and the id)
            wanted_fields = {f.strip() for f in fields.split(",")} | {"id"}
            page = [{k: v for k, v in t.items() if k in wanted_fields} for t in page]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + limit)}}
        if start + limit < len(items):
            query = dict(request.query_params)
            query["after"] = str(start + limit)
            paging["next"] = str(request.url.replace_query_params(**query))
        return JSONResponse({"data": page, "paging": paging})

    async def _messages_upload(self, version: str, node_id: str, request: Request) -> JSONResponse:
        """Send API with an attachment upload: ``recipient`` and ``message`` as JSON form
        fields, the bytes in ``filedata``."""
        async with request.form() as form:
            return await self._upload_form(version, node_id, request, form)

    async def _upload_form(
        self, version: str, node_id: str, request: Request, form: FormData
    ) -> JSONResponse:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        self.requests.append(
            Recorded(request.method, request.url.path, dict(request.headers), {}, fields)
        )
        node = self._authorise(version, node_id, request)
        if isinstance(node, JSONResponse):
            return node
        if self.scripted:
            reply = self.scripted.popleft()
            return JSONResponse(reply.body, reply.status, headers=reply.headers)
        if node.product == "whatsapp":
            return JSONResponse(
                graph_error(100, "(#100) The parameter messaging_product is required."), 400
            )
        try:
            body = {
                "recipient": json.loads(fields.get("recipient", "null")),
                "message": json.loads(fields.get("message", "null")),
                "messaging_type": fields.get("messaging_type", "RESPONSE"),
            }
        except ValueError:
            return JSONResponse(graph_error(100, "(#100) Invalid JSON for postcard"), 400)
        if fields.get("tag"):
            body["tag"] = fields["tag"]
        message = body["message"]
        attachment = message.get("attachment") if isinstance(message, dict) else None
        if not isinstance(attachment, dict) or "text" in message:
            return JSONResponse(
                graph_error(100, "(#100) An upload needs message[attachment] and no text"), 400
            )
        kind = attachment.get("type")
        payload = attachment.get("payload")
        if kind not in _MESSENGER_TYPES or not isinstance(payload, dict):
            return JSONResponse(
                graph_error(
                    100,
                    "(#100) param message[attachment][type] must be one of "
                    "{image, audio, video, file}",
                ),
                400,
            )
        if "url" in payload or "attachment_id" in payload:
            return JSONResponse(
                graph_error(100, "(#100) An upload cannot also name a url or attachment_id"), 400
            )
        upload = form.get("filedata")
        if upload is None or isinstance(upload, str):
            return JSONResponse(graph_error(100, "(#100) Upload attachment failure."), 400)
        data = await upload.read()
        part_type = (upload.content_type or "").split(";")[0].strip()
        if len(data) > 25 * _MB or (kind == "image" and not part_type.startswith("image/")):
            return JSONResponse(
                graph_error(100, "(#100) Upload attachment failure.", subcode=2018047), 400
            )
        reply = self._messenger(node, {**body, "message": {"text": "x"}})
        if reply.status_code != 200:
            return reply
        result = json.loads(bytes(reply.body))
        upload_id = str(10**15 + secrets.randbelow(9 * 10**15))
        self.uploads[upload_id] = Upload(node_id, part_type, upload.filename or "", data, kind)
        if payload.get("is_reusable"):
            result["attachment_id"] = upload_id
        return JSONResponse(result)

    def _whatsapp(self, node: Node, body: dict[str, Any], node_id: str) -> JSONResponse:
        problem = _whatsapp_problem(node, body) or self._media_problem(node_id, body)
        if problem:
            return JSONResponse(graph_error(100, "(#100) Invalid parameter", details=problem), 400)
        to = body["to"]
        if body["type"] == "template":
            refusal = self._template_refusal(node_id, body["template"])
            if refusal is not None:
                return refusal
        if to in self.window_closed and body["type"] != "template":
            return JSONResponse(
                graph_error(
                    131047,
                    "(#131047) Re-engagement message",
                    details="Message failed to send because more than 24 hours have passed "
                    "since the customer last replied to this number.",
                ),
                400,
            )
        wamid = "wamid." + secrets.token_urlsafe(30)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )

    def _media_problem(self, node_id: str, body: dict[str, Any]) -> str | None:
        """A media message by the id of an upload must be of the uploaded kind."""
        kind = body.get("type")
        content = body.get(kind) if isinstance(kind, str) else None
        if kind not in _WA_MEDIA or not isinstance(content, dict) or "id" not in content:
            return None
        upload = self.uploads.get(str(content["id"]))
        if upload is None:
            return None  # ids of media the test did not upload here are taken as they are
        if upload.node_id != node_id:
            return f"media {content['id']} was uploaded by another phone number"
        if upload.kind != kind:
            return f"media {content['id']} is {upload.content_type}, not a {kind}"
        return None

    def _template_refusal(self, phone_id: str, sent: dict[str, Any]) -> JSONResponse | None:
        waba = self.phone_waba.get(phone_id)
        if waba is None:
            return None
        language = (sent.get("language") or {}).get("code")
        known = next(
            (
                t
                for t in self.templates.get(waba, [])
                if t["name"] == sent.get("name")
                and t["language"] == language
                and t["status"] == "APPROVED"
            ),
            None,
        )
        if known is None:
            return JSONResponse(
                graph_error(
                    132001,
                    "(#132001) Template name does not exist in the translation",
                    details=f"template name ({sent.get('name')}) does not exist in {language}",
                ),
                400,
            )
        header = self._header_refusal(known, sent)
        if header is not None:
            return header
        body_text = next(
            (c.get("text", "") for c in known["components"] if c["type"] == "BODY"), ""
        )
        sent_params = [
            p
            for c in sent.get("components", [])
            if str(c.get("type", "")).lower() == "body"
            for p in c.get("parameters", [])
        ]
        if known.get("parameter_format") == "NAMED":
            names = list(dict.fromkeys(re.findall(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}", body_text)))
            given_names = [p.get("parameter_name") for p in sent_params]
            if sorted(n for n in given_names if n) != sorted(names) or None in given_names:
                return JSONResponse(
                    graph_error(
                        132000,
                        "(#132000) Number of parameters does not match the expected number "
                        "of params",
                        details=f"body: named parameters {given_names} do not match the "
                        f"template's {names}",
                    ),
                    400,
                )
            return None
        if any("parameter_name" in p for p in sent_params):
            return JSONResponse(
                graph_error(
                    132000,
                    "(#132000) Number of parameters does not match the expected number of params",
                    details="body: the template takes positional parameters, not named ones",
                ),
                400,
            )
        expected = len(set(re.findall(r"\{\{\s*(\d+)\s*\}\}", body_text)))
        given = len(sent_params)
        if given != expected:
            return JSONResponse(
                graph_error(
                    132000,
                    "(#132000) Number of parameters does not match the expected number of params",
                    details=f"body: number of localizable_params ({given}) does not match the "
                    f"expected number of params ({expected})",
                ),
                400,
            )
        return None

    def _header_refusal(self, known: dict[str, Any], sent: dict[str, Any]) -> JSONResponse | None:
        """A media HEADER takes exactly one parameter of its format (132000 when missing,
        132012 when of another format, including an uploaded media id of another kind); a
        TEXT header takes its one parameter, if it has one, and none otherwise."""
        header = next((c for c in known["components"] if c["type"] == "HEADER"), None)
        media_format = (header or {}).get("format", "TEXT").lower()
        sent_header = [
            p
            for c in sent.get("components", [])
            if str(c.get("type", "")).lower() == "header"
            for p in c.get("parameters", [])
        ]
        header_text = (header or {}).get("text", "") if media_format == "text" else ""
        if "{{" in header_text:
            return self._header_text_refusal(known, header_text, sent_header)
        if media_format not in ("image", "document", "video"):
            if sent_header:
                return JSONResponse(
                    graph_error(
                        132000,
                        "(#132000) Number of parameters does not match the expected number "
                        "of params",
                        details="header: the template's header takes no parameters",
                    ),
                    400,
                )
            return None
        if len(sent_header) != 1:
            return JSONResponse(
                graph_error(
                    132000,
                    "(#132000) Number of parameters does not match the expected number of params",
                    details=f"header: number of localizable_params ({len(sent_header)}) does "
                    "not match the expected number of params (1)",
                ),
                400,
            )
        (parameter,) = sent_header
        kind = parameter.get("type")
        media = parameter.get(kind) if isinstance(kind, str) else None
        uploaded = self.uploads.get(str((media or {}).get("id"))) if media else None
        if (
            kind != media_format
            or not isinstance(media, dict)
            or ("id" in media) == ("link" in media)
            or (uploaded is not None and uploaded.kind != media_format)
        ):
            return JSONResponse(
                graph_error(
                    132012,
                    "(#132012) Parameter format does not match format in the created template",
                    details=f"header: Format mismatch, expected {media_format.upper()}, "
                    f"received {str(kind).upper()}",
                ),
                400,
            )
        return None

    def _header_text_refusal(
        self, known: dict[str, Any], text: str, sent_header: list[dict[str, Any]]
    ) -> JSONResponse | None:
        """A TEXT header with a parameter takes exactly one text parameter, named as in the
        template for NAMED templates (132000 otherwise)."""
        named = known.get("parameter_format") == "NAMED"
        expected = re.findall(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}", text) if named else []
        given = [p.get("parameter_name") for p in sent_header]
        if (
            len(sent_header) != 1
            or sent_header[0].get("type") != "text"
            or not str(sent_header[0].get("text", "")).strip()
            or (named and given != expected)
            or (not named and given != [None])
        ):
            return JSONResponse(
                graph_error(
                    132000,
                    "(#132000) Number of parameters does not match the expected number of params",
                    details=f"header: parameters {given} do not match the template's header "
                    f"({'named ' + str(expected) if named else 'one positional parameter'})",
                ),
                400,
            )
        return None

    def _messenger(self, node: Node, body: dict[str, Any]) -> JSONResponse:
        recipient = (body.get("recipient") or {}).get("id")
        message = body.get("message")
        if not recipient:
            return JSONResponse(graph_error(100, "(#100) param recipient must be non-empty."), 400)
        if not isinstance(message, dict) or ("text" in message) == ("attachment" in message):
            return JSONResponse(
                graph_error(
                    100, "(#100) Exactly one of message[text] or message[attachment] is required"
                ),
                400,
            )
        if "text" in message and not (0 < len(message["text"]) <= node.max_text):
            return JSONResponse(
                graph_error(
                    100,
                    "(#100) Length of param message[text] must be less than or equal to "
                    f"{node.max_text}",
                ),
                400,
            )
        messaging_type = body.get("messaging_type", "RESPONSE")
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return JSONResponse(
                graph_error(
                    100,
                    "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}",
                ),
                400,
            )
        if messaging_type == "MESSAGE_TAG" and not body.get("tag"):
            return JSONResponse(
                graph_error(100, "(#100) Tag is required for MESSAGE_TAG messaging type"), 400
            )
        if recipient in self.window_closed and messaging_type != "MESSAGE_TAG":
            return JSONResponse(
                graph_error(
                    10, "(#10) This message is sent outside of allowed window.", subcode=2018278
                ),
                400,
            )
        prefix = "m_" if node.product == "messenger" else "aWdf"
        return JSONResponse(
            {"recipient_id": recipient, "message_id": prefix + secrets.token_urlsafe(30)}
        )


def _whatsapp_problem(node: Node, body: dict[str, Any]) -> str | None:
    """What the Cloud API would reject in ``body``, or None."""
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be 'whatsapp'"
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return "to must be a phone number"
    kind = body.get("type", "text")
    if kind not in _WA_TYPES:
        return f"type {kind!r} is not supported"
    content = body.get(kind)
    if not isinstance(content, dict):
        return f"parameter {kind} is required for type {kind}"
    if kind == "text":
        text = content.get("body")
        if not isinstance(text, str) or not text or len(text) > node.max_text:
            return "text.body must be 1-4096 characters"
    if kind in _WA_MEDIA:
        if ("id" in content) == ("link" in content):
            return f"{kind} needs exactly one of id or link"
        if "caption" in content and kind in ("audio", "sticker"):
            return f"{kind} does not take a caption"
    if kind == "template" and (
        not content.get("name") or not (content.get("language") or {}).get("code")
    ):
        return "template.name and template.language.code are required"
    context = body.get("context")
    if context is not None and not (isinstance(context, dict) and context.get("message_id")):
        return "context.message_id is required"
    return None
