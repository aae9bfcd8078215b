"""LINE webhook signature.

``X-Line-Signature`` is the base64-encoded HMAC-SHA256 digest of the raw request body keyed
with the channel secret.

Reference: https://developers.line.biz/en/reference/messaging-api/#signature-validation
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping

from crossdesk.channels.base import WebhookRequest
from crossdesk.errors import SignatureInvalid

SIGNATURE_HEADER = "x-line-signature"


def sign(channel_secret: str, body: bytes) -> str:
    """Return the ``X-Line-Signature`` value LINE would send for ``body``."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(secrets: Mapping[str, str], request: WebhookRequest) -> None:
    """Check ``X-Line-Signature`` against the account's ``channel_secret``.

    Raises:
        SignatureInvalid: secret not configured, header missing, or digest mismatch.
    """
    secret = secrets.get("channel_secret")
    if not secret:
        raise SignatureInvalid("no channel_secret is configured for this account")
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        raise SignatureInvalid("missing X-Line-Signature header")
    if not hmac.compare_digest(sign(secret, request.body).encode(), header.strip().encode()):
        raise SignatureInvalid("X-Line-Signature does not match the request body")
