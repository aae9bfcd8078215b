"""Logging setup: one format, context vars, and a backstop filter for secrets."""

import logging
import re
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Last line of defence: long random-looking tokens and bearer headers never reach a log.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\bcdk_[A-Za-z0-9_-]{16,}"),
)


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = message
        for pattern in _SECRET_PATTERNS:
            cleaned = pattern.sub(
                lambda m: (m.group(1) if m.lastindex else "") + "[secret]", cleaned
            )
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_filters(handler: logging.Handler) -> None:
    """The backstops: secrets, then customers' personal data, are redacted from every record
    this handler writes (bodies are never logged on purpose; these catch accidents)."""
    from crossdesk.masking.logfilter import PersonalDataFilter

    handler.addFilter(SecretFilter())
    handler.addFilter(PersonalDataFilter())


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    install_filters(handler)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; some platforms put tokens in the path.
    logging.getLogger("httpx").setLevel(logging.WARNING)
