"""Telegram webhook authentication.

Telegram does not sign bodies. ``setWebhook(secret_token=...)`` makes it send the token in
every webhook request's ``X-Telegram-Bot-Api-Secret-Token`` header (1-256 characters from
``A-Z a-z 0-9 _ -``); an account's ``webhook_secret`` is that token.

Reference: https://core.telegram.org/bots/api#setwebhook
"""

import hmac
import re
from collections.abc import Mapping

from crossdesk.channels.base import WebhookRequest
from crossdesk.errors import SignatureInvalid

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 (a header name)
_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def valid_secret(secret: str) -> bool:
    """True if Telegram would accept ``secret`` as a ``secret_token``."""
    return bool(_SECRET_FORMAT.match(secret))


def verify_secret_token(secrets: Mapping[str, str], request: WebhookRequest) -> None:
    """Compare the header with the account's ``webhook_secret`` in constant time.

    Raises:
        SignatureInvalid: no secret configured, header missing, or a different token.
    """
    expected = secrets.get("webhook_secret")
    if not expected:
        raise SignatureInvalid("no webhook_secret is configured for this account")
    received = request.headers.get(SECRET_HEADER)
    if not received:
        raise SignatureInvalid("missing X-Telegram-Bot-Api-Secret-Token header")
    if not hmac.compare_digest(received.encode(), expected.encode()):
        raise SignatureInvalid("X-Telegram-Bot-Api-Secret-Token does not match")
