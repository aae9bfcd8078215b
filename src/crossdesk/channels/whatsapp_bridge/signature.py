"""Bridge webhook authentication, by flavour.

WAHA: ``X-Webhook-Hmac`` is the hex HMAC-SHA512 of the raw body with the session's
``hmac.key``, and ``X-Webhook-Hmac-Algorithm`` says ``sha512``.

Evolution API signs nothing. crossdesk sets the webhook with a custom header
(``headers`` of ``POST /webhook/set``) carrying the account's webhook secret, and every
delivery must present it; compared in constant time. The secret travels in a header, not
the URL, so it stays out of access logs.

References: https://waha.devlike.pro/docs/how-to/events/ (Webhooks → HMAC authentication),
https://doc.evolution-api.com/v2/api-reference/webhook/set (``headers``).
"""

import hashlib
import hmac

from crossdesk.channels.base import AccountContext, WebhookRequest
from crossdesk.channels.whatsapp_bridge.settings import is_evolution
from crossdesk.errors import SignatureInvalid

SIGNATURE_HEADER = "x-webhook-hmac"
ALGORITHM_HEADER = "x-webhook-hmac-algorithm"
AUTH_HEADER = "x-crossdesk-webhook-token"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def _secret(account: AccountContext) -> str:
    secret = account.secrets.get("webhook_hmac_key", "")
    if not secret:
        raise SignatureInvalid("no webhook secret is configured for this bridge account")
    return secret


def verify_signature(account: AccountContext, request: WebhookRequest) -> None:
    if is_evolution(account):
        verify_token(account, request)
        return
    secret = _secret(account)
    received = request.headers.get(SIGNATURE_HEADER, "")
    algorithm = request.headers.get(ALGORITHM_HEADER, "").lower()
    if not received or algorithm != "sha512":
        raise SignatureInvalid("missing X-Webhook-Hmac (sha512) header")
    if not hmac.compare_digest(sign(secret, request.body), received.lower()):
        raise SignatureInvalid("X-Webhook-Hmac does not match the body")


def verify_token(account: AccountContext, request: WebhookRequest) -> None:
    """Evolution: the secret header crossdesk configured must be there, unchanged."""
    secret = _secret(account)
    received = request.headers.get(AUTH_HEADER, "")
    if not received:
        raise SignatureInvalid("missing X-Crossdesk-Webhook-Token header")
    if not hmac.compare_digest(received.encode(), secret.encode()):
        raise SignatureInvalid("X-Crossdesk-Webhook-Token does not match")
