"""The logging backstop: no raw personal data reaches application logs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from crossdesk.masking import PersonalDataFilter


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("crossdesk.test.logfilter")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_message_and_args_are_redacted(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    logger.info("customer wrote %s from %s", "call me 13812345678", {"email": "ana@ex.com"})
    logger.warning("card 4242 4242 4242 4242 declined for %(who)s", {"who": "ana@ex.com"})
    out = stream.getvalue()
    assert "13812345678" not in out and "ana@ex.com" not in out and "4242 4242" not in out
    assert "[PHONE]" in out and "[EMAIL]" in out and "[CREDIT_CARD]" in out


def test_exceptions_are_redacted(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    try:
        raise ValueError("bad phone +44 20 7946 0018")
    except ValueError:
        logger.exception("send failed")
    out = stream.getvalue()
    assert "7946" not in out
    assert "ValueError: bad phone [PHONE]" in out


def test_records_without_personal_data_are_untouched(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log
    logger.info("delivered %d messages for order %s", 3, "#1047")
    assert stream.getvalue() == "delivered 3 messages for order #1047\n"
