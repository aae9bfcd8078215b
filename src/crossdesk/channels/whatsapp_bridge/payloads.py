"""Typed WAHA webhook bodies and REST replies.

References: https://waha.devlike.pro/docs/how-to/events/ (envelope ``id``, ``timestamp``,
``event``, ``session``, ``me``, ``payload``; events ``message``, ``message.any``,
``message.ack``, ``session.status``), https://waha.devlike.pro/docs/how-to/sessions/
(statuses STOPPED, STARTING, SCAN_QR_CODE, WORKING, FAILED).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class WahaModel(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, coerce_numbers_to_str=True, populate_by_name=True
    )


class Me(WahaModel):
    id: str
    pushName: str | None = None


class Envelope(WahaModel):
    id: str | None = None
    timestamp: int | None = None
    event: str
    session: str
    me: Me | None = None
    payload: dict[str, Any]  # Any: the shape depends on ``event``


class Media(WahaModel):
    url: str | None = None
    mimetype: str | None = None
    filename: str | None = None


class ReplyTo(WahaModel):
    id: str | None = None


class MessagePayload(WahaModel):
    """``message`` / ``message.any``."""

    id: str
    timestamp: int
    from_: str = Field(alias="from")
    fromMe: bool = False
    to: str | None = None
    participant: str | None = None
    body: str | None = None
    hasMedia: bool = False
    media: Media | None = None
    replyTo: ReplyTo | None = None


class AckPayload(WahaModel):
    """``message.ack``: -1 ERROR, 0 PENDING, 1 SERVER, 2 DEVICE, 3 READ, 4 PLAYED."""

    id: str
    ack: int
    ackName: str | None = None
    fromMe: bool | None = None


class SessionStatusPayload(WahaModel):
    status: str


class SessionInfo(WahaModel):
    """``GET /api/sessions/{name}``."""

    name: str
    status: str
    me: Me | None = None
    config: dict[str, Any] | None = None  # Any: WAHA's session config object
