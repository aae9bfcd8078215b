"""No secret and no raw personal data reaches the logs, even when code logs them by mistake."""

import io
import logging

from crossdesk.logging import install_filters


def _capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    install_filters(handler)
    logger = logging.getLogger("crossdesk.test.leaks")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_planted_secrets_and_personal_data_are_redacted() -> None:
    logger, stream = _capture()
    logger.warning("calling platform with Authorization: Bearer EAAGm0PX4ZCpsBAKZCZ1t0k3n")
    logger.info("api token %s created", "cdk_Zx81kq0v9Y3mVbL2wQe7RtYu")
    logger.error("customer wrote: %s", "mi número es +34 612 345 678 y mi correo ana@example.com")
    logger.info("card %s", "4242 4242 4242 4242")
    output = stream.getvalue()
    for planted in (
        "EAAGm0PX4ZCpsBAKZCZ1t0k3n",
        "cdk_Zx81kq0v9Y3mVbL2wQe7RtYu",
        "612 345 678",
        "ana@example.com",
        "4242 4242 4242 4242",
    ):
        assert planted not in output
    assert "[secret]" in output and "[PHONE]" in output and "[EMAIL]" in output


def test_ordinary_operational_lines_are_kept() -> None:
    logger, stream = _capture()
    logger.info("delivery pass: %d sent, order %s shipped", 3, "#45821")
    assert "delivery pass: 3 sent, order #45821 shipped" in stream.getvalue()
