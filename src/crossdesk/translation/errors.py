"""Errors raised by translation engines; the router turns them into result statuses.

EngineError (CrossdeskError, 502)
├── EngineUnavailable        transient: connection refused, timeout, 5xx; worth a retry
│   └── EngineRateLimited    429 (or the engine's own rate-limit code), maybe with retry_after
├── EngineRejected           permanent: bad credentials, unsupported pair, quota exhausted
└── EngineResponseInvalid    the engine answered, but not in its documented shape

Messages name the engine and the HTTP status or error code, never the text or a key.
"""

from __future__ import annotations

from typing import Any

from crossdesk.errors import CrossdeskError


class EngineError(CrossdeskError):
    """A translation engine could not translate a batch."""

    code = "translation_engine_error"
    http_status = 502
    transient = False

    def __init__(
        self, engine: str, message: str, *, retry_after: float | None = None, **fields: Any
    ) -> None:
        super().__init__(f"{engine}: {message}", engine=engine, **fields)
        self.engine = engine
        self.reason = message
        self.retry_after = retry_after


class EngineUnavailable(EngineError):
    """Transient failure: retry later, or try the next engine."""

    code = "translation_engine_unavailable"
    transient = True


class EngineRateLimited(EngineUnavailable):
    """The engine asked us to slow down (HTTP 429 or an equivalent error code)."""

    code = "translation_engine_rate_limited"


class EngineRejected(EngineError):
    """Permanent failure for this request: retrying the same engine will not help."""

    code = "translation_engine_rejected"


class EngineResponseInvalid(EngineError):
    """The engine replied with something that is not a valid translation response."""

    code = "translation_engine_bad_response"
