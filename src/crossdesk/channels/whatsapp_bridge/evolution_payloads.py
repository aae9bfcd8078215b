"""Typed Evolution API (v2) webhook bodies and REST replies.

Webhook body (``WebhookController.emit``): ``event`` (lower-case, dotted: ``messages.upsert``,
``messages.update``, ``connection.update``, ``qrcode.updated``), ``instance`` (the instance
name), ``data`` (shape by event), ``destination``, ``date_time``, ``sender``, ``server_url``,
``apikey``. ``messages.upsert`` data is Baileys' message: ``key`` (``remoteJid``, ``fromMe``,
``id``), ``pushName``, ``message`` (``conversation`` | ``extendedTextMessage`` |
``imageMessage`` | ``documentMessage`` | ``audioMessage`` | ``videoMessage`` ...),
``messageType``, ``messageTimestamp`` (seconds), ``contextInfo``. ``messages.update`` data:
``keyId``, ``remoteJid``, ``fromMe``, ``status`` (ERROR, PENDING, SERVER_ACK, DELIVERY_ACK,
READ, PLAYED). ``connection.update`` data: ``instance``, ``state`` (open, connecting, close,
refused), ``statusReason``, ``wuid``.

References: https://doc.evolution-api.com/v2/ (Webhooks; Instance, Message and Chat
controllers), EvolutionAPI/evolution-api ``src/api/integrations/event/webhook``.
"""

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _long(value: Any) -> int | None:
    """Baileys' 64-bit numbers arrive as a number, a numeric string or a protobuf Long
    (``{"low", "high", "unsigned"}``); anything else is treated as absent, not an error
    (a 400 would make Evolution drop the whole message)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, dict):
        low, high = value.get("low"), value.get("high", 0)
        if isinstance(low, int) and isinstance(high, int):
            return (high << 32) + (low & 0xFFFFFFFF)
    return None


Long = Annotated[int | None, BeforeValidator(_long)]


class EvolutionModel(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, coerce_numbers_to_str=True, populate_by_name=True
    )


class EvolutionEnvelope(EvolutionModel):
    event: str
    instance: str
    data: Any = None  # Any: the shape depends on ``event`` (an object, sometimes a list)
    date_time: str | None = None


class MessageKey(EvolutionModel):
    remoteJid: str
    fromMe: bool = False
    id: str
    participant: str | None = None
    # Newer WhatsApp addressing: ``remoteJid`` may be a ``@lid``; the phone JID comes here.
    remoteJidAlt: str | None = None
    senderPn: str | None = None


class ContextInfo(EvolutionModel):
    stanzaId: str | None = None


class MediaContent(EvolutionModel):
    """``imageMessage`` / ``documentMessage`` / ``audioMessage`` / ``videoMessage``."""

    url: str | None = None
    mimetype: str | None = None
    caption: str | None = None
    fileName: str | None = None
    fileLength: Long = None
    contextInfo: ContextInfo | None = None


class ExtendedText(EvolutionModel):
    text: str | None = None
    contextInfo: ContextInfo | None = None


class MessageContent(EvolutionModel):
    conversation: str | None = None
    extendedTextMessage: ExtendedText | None = None
    imageMessage: MediaContent | None = None
    documentMessage: MediaContent | None = None
    documentWithCaptionMessage: dict[str, Any] | None = None  # Any: a nested message
    audioMessage: MediaContent | None = None
    videoMessage: MediaContent | None = None
    stickerMessage: MediaContent | None = None


class UpsertData(EvolutionModel):
    """``messages.upsert``."""

    key: MessageKey
    pushName: str | None = None
    message: MessageContent | None = None
    messageType: str | None = None
    messageTimestamp: Long = None
    contextInfo: ContextInfo | None = None


class UpdateData(EvolutionModel):
    """``messages.update``: a delivery status of a message (ours when ``fromMe``).

    v2 names the WhatsApp message id ``keyId`` (``messageId`` is Evolution's own row id);
    earlier 2.x releases spread the key, so the id is ``id``."""

    keyId: str | None = None
    id: str | None = None
    remoteJid: str | None = None
    fromMe: bool | None = None
    status: str | None = None  # absent for edits and deletions


class ConnectionData(EvolutionModel):
    """``connection.update``."""

    state: str
    statusReason: int | None = None
    wuid: str | None = None


class ConnectionState(EvolutionModel):
    """``GET /instance/connectionState/{instance}`` → ``{"instance": {...}}``."""

    instanceName: str | None = None
    state: str


class QrCode(EvolutionModel):
    """``GET /instance/connect/{instance}`` while waiting for a scan, and ``qrcode`` in the
    create reply and the ``qrcode.updated`` webhook: ``base64`` is a PNG data URL."""

    pairingCode: str | None = None
    code: str | None = None
    base64: str | None = None
    count: int | None = None


class MediaBase64(EvolutionModel):
    """``POST /chat/getBase64FromMediaMessage/{instance}``."""

    mediaType: str | None = None
    fileName: str | None = None
    mimetype: str | None = None
    base64: str
