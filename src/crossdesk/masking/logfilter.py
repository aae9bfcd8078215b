"""A logging filter that redacts personal data from log records: the backstop behind the rule
that message bodies are never logged at INFO or above."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from crossdesk.masking.engine import MaskingEngine
from crossdesk.masking.operators.redact import Redact
from crossdesk.masking.operators.set import Operators
from crossdesk.masking.types import EntityType

# Log lines are read by operators, not agents: redact whole values. URLs, handles and IPs stay
# visible (they are the substance of most operational logs); personal links are still URLs
# with a phone inside, which the phone recognizer cannot see, so they are redacted too.
_LOG_TYPES = frozenset(EntityType) - {EntityType.URL, EntityType.IP, EntityType.HANDLE}


class PersonalDataFilter(logging.Filter):
    """Rewrites ``record.msg`` and ``record.args`` with personal data redacted.

    Install it on handlers (not loggers) so that it also sees records propagated from child
    loggers: ``handler.addFilter(PersonalDataFilter())``. It never drops a record.
    """

    def __init__(self, engine: MaskingEngine | None = None, name: str = "") -> None:
        """Create the filter.

        Args:
            engine: Engine to use (shared with the app); a default one is built otherwise.
            name: Passed to ``logging.Filter``.
        """
        super().__init__(name)
        self._engine = engine or MaskingEngine()
        self._operators = Operators(default=Redact(), by_type={})

    def redact(self, text: str) -> str:
        """``text`` with every detected value replaced by ``[TYPE]``."""
        spans = [s for s in self._engine.analyze(text) if s.type in _LOG_TYPES]
        if not spans:
            return text
        return self._engine.apply(text, spans, self._operators).text

    def _clean(self, value: object) -> object:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, int | float | bool) or value is None:
            return value
        # Anything else is rendered by %-formatting with str(); redact that rendering.
        return self.redact(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; always keep it."""
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        else:
            record.msg = self.redact(str(record.msg))
        if isinstance(record.args, Mapping):
            record.args = {k: self._clean(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(self._clean(v) for v in record.args)
        if record.exc_info and not record.exc_text:
            # Render the traceback now so its text (which may quote values) is redacted too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True
