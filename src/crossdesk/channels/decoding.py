"""Turning a platform's raw JSON body into a typed model, with one clear error shape.

Every adapter's ``parse`` uses this, so a malformed webhook from any platform gets the same
kind of 400: which platform, and the first offending field.
"""

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from crossdesk.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def decode_body(model: type[M], body: bytes, platform: str) -> M:
    """Parse a raw JSON body into ``model`` or raise ``InvalidInput`` naming the problem."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc, platform)) from None


def describe_validation_error(exc: ValidationError, platform: str) -> str:
    """One line naming the first offending field, e.g. ``entry.0.messaging.0.sender: ...``."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    if first["type"] == "json_invalid":
        return f"{platform} webhook body is not valid JSON"
    return f"{platform} webhook payload invalid at {where}: {first['msg']}"
