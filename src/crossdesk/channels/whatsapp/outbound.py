"""Request bodies for ``POST /{phone-number-id}/messages``.

Reference: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
(text, image/video/audio/document/sticker by ``id`` or ``link``, template, ``context``,
``biz_opaque_callback_data``).

``OutboundMessage.metadata`` keys understood here:
    ``template_name``: send a template instead of free text (the only kind of message
        allowed outside the 24-hour customer-service window);
    ``template_language``: template language code (default ``en_US``);
    ``template_components``: JSON array of Cloud API template components, passed through;
    ``template_body_params``: JSON array of strings, shorthand for one body component;
    ``template_param_names``: JSON array of names, one per body parameter, for templates
        with named parameters (sent as ``parameter_name``);
    ``template_header_format``: ``image``, ``document`` or ``video``: the template's media
        header, filled from the message's one attachment (uploaded media id) or from
        ``template_header_link``;
    ``template_header_text_param``: the template's TEXT header has one parameter, ``1`` or
        its name (NAMED templates); its value is then the FIRST element of
        ``template_body_params`` (so all values stay in one sealed array) and the body's
        follow;
    ``preview_url``: ``"true"`` to render a link preview for text.
"""

import json
from typing import Any

from crossdesk.domain import Attachment, OutboundMessage
from crossdesk.errors import PermanentSendError

MAX_TEXT = 4096
MAX_CAPTION = 1024
_MEDIA = ("image", "video", "audio", "document", "sticker")
_CAPTIONED = ("image", "video", "document")


def request_body(message: OutboundMessage) -> dict[str, Any]:
    """Build the Cloud API body for one outbound message."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.recipient_id,
    }
    if message.metadata.get("template_name"):
        body["type"] = "template"
        body["template"] = _template(message)
        header = _template_header(message)
        if header is not None:
            body["template"]["components"] = [header, *body["template"].get("components", [])]
    elif message.attachments:
        if len(message.attachments) > 1:
            raise PermanentSendError(
                "WhatsApp sends one attachment per message", reason="split_required"
            )
        kind, media = _media(message.attachments[0], message.text)
        body["type"] = kind
        body[kind] = media
    else:
        if not message.text:
            raise PermanentSendError("empty message", reason="invalid_message")
        if len(message.text) > MAX_TEXT:
            raise PermanentSendError("text longer than 4096 characters", reason="text_too_long")
        body["type"] = "text"
        body["text"] = {
            "preview_url": message.metadata.get("preview_url") == "true",
            "body": message.text,
        }
    if message.reply_to_platform_id:
        body["context"] = {"message_id": message.reply_to_platform_id}
    body["biz_opaque_callback_data"] = f"crossdesk:outbox:{message.message_id}"
    return body


def _media(attachment: Attachment, text: str) -> tuple[str, dict[str, Any]]:
    kind = attachment.kind
    if kind not in _MEDIA:
        raise PermanentSendError(f"cannot send a {kind} attachment", reason="unsupported")
    media: dict[str, Any]
    if attachment.platform_file_id:
        media = {"id": attachment.platform_file_id}
    elif attachment.url:
        media = {"link": attachment.url}
    else:
        raise PermanentSendError(
            "attachment has neither url nor media id", reason="invalid_message"
        )
    caption = text or attachment.caption or ""
    if caption:
        if kind not in _CAPTIONED:
            raise PermanentSendError(
                f"a {kind} message cannot carry text; send it separately", reason="split_required"
            )
        if len(caption) > MAX_CAPTION:
            raise PermanentSendError("caption longer than 1024 characters", reason="text_too_long")
        media["caption"] = caption
    if kind == "document" and attachment.filename:
        media["filename"] = attachment.filename
    return kind, media


def _template(message: OutboundMessage) -> dict[str, Any]:
    meta = message.metadata
    template: dict[str, Any] = {
        "name": meta["template_name"],
        "language": {"code": meta.get("template_language", "en_US")},
    }
    components: Any  # Any: JSON decoded from metadata, checked below
    if "template_components" in meta:
        components = _json(meta["template_components"], "template_components")
        if not isinstance(components, list):
            raise PermanentSendError(
                "template_components must be a JSON array", reason="invalid_message"
            )
        template["components"] = components
    elif "template_body_params" in meta:
        params = _json(meta["template_body_params"], "template_body_params")
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            raise PermanentSendError(
                "template_body_params must be a JSON array of strings", reason="invalid_message"
            )
        built: list[dict[str, Any]] = []
        if meta.get("template_header_text_param"):
            if not params:
                raise PermanentSendError(
                    "the template's header parameter has no value", reason="invalid_message"
                )
            built.append(_header_text(meta["template_header_text_param"], params[0]))
            params = params[1:]
        parameters: list[dict[str, str]] = [{"type": "text", "text": p} for p in params]
        if "template_param_names" in meta:
            names = _json(meta["template_param_names"], "template_param_names")
            if (
                not isinstance(names, list)
                or len(names) != len(params)
                or not all(isinstance(n, str) and n for n in names)
            ):
                raise PermanentSendError(
                    "template_param_names must name every body parameter",
                    reason="invalid_message",
                )
            for parameter, name in zip(parameters, names, strict=True):
                parameter["parameter_name"] = name
        if parameters or not built:  # no empty body beside a header value
            built.append({"type": "body", "parameters": parameters})
        template["components"] = built
    return template


def _header_text(label: str, value: str) -> dict[str, Any]:
    """The TEXT header's one parameter, named unless its label is a position."""
    parameter = {"type": "text", "text": value}
    if not label.isdigit():
        parameter["parameter_name"] = label
    return {"type": "header", "parameters": [parameter]}


def _template_header(message: OutboundMessage) -> dict[str, Any] | None:
    """The media HEADER component: the attached file (by its uploaded id) or a link."""
    kind = message.metadata.get("template_header_format", "").lower()
    if not kind:
        return None
    if kind not in ("image", "document", "video"):
        raise PermanentSendError(f"a template header cannot be a {kind}", reason="invalid_message")
    media: dict[str, Any]
    attachment = message.attachments[0] if len(message.attachments) == 1 else None
    if attachment is not None and attachment.platform_file_id:
        media = {"id": attachment.platform_file_id}
    elif message.metadata.get("template_header_link", "").startswith("https://"):
        media = {"link": message.metadata["template_header_link"]}
    else:
        raise PermanentSendError(
            "the template's media header needs one attached file or an https link",
            reason="invalid_message",
        )
    if kind == "document" and attachment is not None and attachment.filename:
        media["filename"] = attachment.filename
    return {"type": "header", "parameters": [{"type": kind, kind: media}]}


def _json(raw: str, name: str) -> Any:
    """Decode a metadata value (Any: arbitrary JSON, validated by the caller)."""
    try:
        return json.loads(raw)
    except ValueError:
        raise PermanentSendError(f"{name} is not valid JSON", reason="invalid_message") from None
