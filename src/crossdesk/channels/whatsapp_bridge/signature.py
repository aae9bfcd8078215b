"""WAHA webhook authentication: ``X-Webhook-Hmac`` is the hex HMAC-SHA512 of the raw body
with the session's ``hmac.key``, and ``X-Webhook-Hmac-Algorithm`` says ``sha512``.

Reference: https://waha.devlike.pro/docs/how-to/events/ (Webhooks → HMAC authentication).
"""

import hashlib
import hmac

from crossdesk.channels.base import AccountContext, WebhookRequest
from crossdesk.errors import SignatureInvalid

SIGNATURE_HEADER = "x-webhook-hmac"
ALGORITHM_HEADER = "x-webhook-hmac-algorithm"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def verify_signature(account: AccountContext, request: WebhookRequest) -> None:
    secret = account.secrets.get("webhook_hmac_key", "")
    if not secret:
        raise SignatureInvalid("no webhook HMAC key is configured for this bridge account")
    received = request.headers.get(SIGNATURE_HEADER, "")
    algorithm = request.headers.get(ALGORITHM_HEADER, "").lower()
    if not received or algorithm != "sha512":
        raise SignatureInvalid("missing X-Webhook-Hmac (sha512) header")
    if not hmac.compare_digest(sign(secret, request.body), received.lower()):
        raise SignatureInvalid("X-Webhook-Hmac does not match the body")
