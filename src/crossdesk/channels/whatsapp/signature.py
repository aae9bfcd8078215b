"""WhatsApp Cloud API webhook authentication.

WhatsApp webhooks are ordinary Meta app webhooks: the same ``X-Hub-Signature-256`` HMAC with
the app secret and the same ``hub.challenge`` GET handshake as Messenger and Instagram, so
this module re-exports the shared implementation.

Reference: https://developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks
"""

from crossdesk.channels.meta.signature import (
    SIGNATURE_HEADER,
    answer_subscription,
    sign,
    verify_signature,
)

__all__ = ["SIGNATURE_HEADER", "answer_subscription", "sign", "verify_signature"]
