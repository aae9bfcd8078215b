"""The error tree. Every error carries a stable code, an HTTP status and safe fields.

CrossdeskError
├── InvalidInput (400)           bad payloads, bad arguments, unknown fields
│   └── PayloadTooLarge (413)
├── Unauthenticated (401)        no or bad credentials
│   └── SignatureInvalid (401)   a webhook whose signature or secret does not verify
├── PermissionDenied (403)       authenticated but not allowed
│   └── CsrfRejected (403)
├── NotFound (404)
├── Conflict (409)
│   └── IdempotencyMismatch (422) same Idempotency-Key, different request
├── BlockedByPolicy (422)        a guard or risk rule refused the action
├── RateLimited (429)
├── SendError (502)              a platform refused or failed an outbound message
│   ├── PermanentSendError       never retry (bad recipient, window closed, ...)
│   └── RetryableSendError       retry after ``retry_after`` seconds
├── VaultError (500)             a secret could not be decrypted (names the record, not the secret)
└── ConfigError (500)

Messages must never contain secrets or raw personal data: they reach logs and API responses.
"""

from typing import Any


class CrossdeskError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class InvalidInput(CrossdeskError):
    code = "invalid_input"
    http_status = 400


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"
    http_status = 413


class Unauthenticated(CrossdeskError):
    code = "unauthenticated"
    http_status = 401


class SignatureInvalid(Unauthenticated):
    code = "signature_invalid"


class PermissionDenied(CrossdeskError):
    code = "permission_denied"
    http_status = 403


class CsrfRejected(PermissionDenied):
    code = "csrf_rejected"


class NotFound(CrossdeskError):
    code = "not_found"
    http_status = 404


class Conflict(CrossdeskError):
    code = "conflict"
    http_status = 409


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"
    http_status = 422


class BlockedByPolicy(CrossdeskError):
    code = "blocked_by_policy"
    http_status = 422


class RateLimited(CrossdeskError):
    code = "rate_limited"
    http_status = 429


class SendError(CrossdeskError):
    code = "send_failed"
    http_status = 502


class PermanentSendError(SendError):
    code = "send_rejected"


class RetryableSendError(SendError):
    code = "send_retry_later"

    def __init__(self, message: str, retry_after: float | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after


class VaultError(CrossdeskError):
    code = "vault_error"
    http_status = 500


class ConfigError(CrossdeskError):
    code = "config_error"
    http_status = 500
