"""Meta webhook authentication, shared by Messenger, Instagram and the WhatsApp Cloud API.

References:
    https://developers.facebook.com/docs/graph-api/webhooks/getting-started
    (section "Validating Payloads": ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
    body keyed with the app secret>``; section "Verification Requests": the GET handshake with
    ``hub.mode``, ``hub.verify_token`` and ``hub.challenge``).
"""

import hashlib
import hmac
from collections.abc import Mapping

from crossdesk.channels.base import HandshakeReply, WebhookRequest
from crossdesk.errors import SignatureInvalid

SIGNATURE_HEADER = "x-hub-signature-256"
_PREFIX = "sha256="


def sign(app_secret: str, body: bytes) -> str:
    """Return the ``X-Hub-Signature-256`` value Meta would send for ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(secrets: Mapping[str, str], request: WebhookRequest) -> None:
    """Check ``X-Hub-Signature-256`` against the account's ``app_secret``.

    Raises:
        SignatureInvalid: the secret is not configured, the header is missing or malformed,
            or the digest does not match the exact request bytes.
    """
    app_secret = secrets.get("app_secret")
    if not app_secret:
        raise SignatureInvalid("no app_secret is configured for this account")
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        raise SignatureInvalid("missing X-Hub-Signature-256 header")
    if not header.startswith(_PREFIX):
        raise SignatureInvalid("X-Hub-Signature-256 must start with 'sha256='")
    if not hmac.compare_digest(sign(app_secret, request.body), header.strip()):
        raise SignatureInvalid("X-Hub-Signature-256 does not match the request body")


def answer_subscription(
    secrets: Mapping[str, str], request: WebhookRequest
) -> HandshakeReply | None:
    """Answer Meta's GET subscription handshake, or return None for any other request.

    A matching ``hub.verify_token`` with ``hub.mode=subscribe`` is answered with the raw
    ``hub.challenge`` as text/plain; a wrong token or mode gets 403 and a missing challenge 400.
    """
    if request.method.upper() != "GET":
        return None
    mode = request.query.get("hub.mode")
    token = request.query.get("hub.verify_token")
    challenge = request.query.get("hub.challenge")
    expected = secrets.get("verify_token")
    if mode != "subscribe" or not expected or token is None:
        return HandshakeReply(status=403, body="verification failed")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        return HandshakeReply(status=403, body="verification failed")
    if not challenge:
        return HandshakeReply(status=400, body="missing hub.challenge")
    return HandshakeReply(status=200, body=challenge)
