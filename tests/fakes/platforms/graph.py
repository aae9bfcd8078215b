"""A fake Meta Graph API: WhatsApp Cloud API and Messenger/Instagram Send API.

Speaks the documented wire protocol of ``POST /{version}/{node-id}/messages``:
bearer-token auth (error 190 / 104 bodies), request validation (error 100), the WhatsApp
24-hour window (131047, body as in the shared sample), Messenger's outside-window error
(10 / 2018278), success replies shaped like the real ones, and scripted replies for rate
limits (130429, 131056, 613, 4) and outages. Every request is recorded.
"""

import re
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
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

    def __post_init__(self) -> None:
        self.app = FastAPI()
        self.app.add_api_route("/{version}/{node_id}/messages", self._messages, methods=["POST"])
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

    def add_node(self, node_id: str, token: str, product: str) -> None:
        max_text = {"whatsapp": 4096, "messenger": 2000, "instagram": 1000}[product]
        self.nodes[node_id] = Node(token=token, product=product, max_text=max_text)

    def script(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer the next authenticated request with this reply instead."""
        self.scripted.append(ScriptedReply(status, body, headers or {}))

    async def _messages(self, version: str, node_id: str, request: Request) -> JSONResponse:
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
        ``after``), filtered by ``status`` when given; the account's token is required."""
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
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + limit)}}
        if start + limit < len(items):
            query = dict(request.query_params)
            query["after"] = str(start + limit)
            paging["next"] = str(request.url.replace_query_params(**query))
        return JSONResponse({"data": page, "paging": paging})

    def _whatsapp(self, node: Node, body: dict[str, Any], node_id: str) -> JSONResponse:
        problem = _whatsapp_problem(node, body)
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
        body_text = next(
            (c.get("text", "") for c in known["components"] if c["type"] == "BODY"), ""
        )
        expected = len(set(re.findall(r"\{\{\s*(\d+)\s*\}\}", body_text)))
        given = sum(
            len(c.get("parameters", []))
            for c in sent.get("components", [])
            if str(c.get("type", "")).lower() == "body"
        )
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
