"""One content type → extension map for stored and named files."""

from __future__ import annotations

import pytest

from crossdesk.domain.media_types import extension_for


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [
        ("image/jpeg", ".jpg"),  # mimetypes may say ".jpe"
        ("audio/mp4", ".m4a"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
        ("application/octet-stream", ".bin"),
        ("text/csv", ".csv"),  # not listed: mimetypes' guess
        ("application/x-no-such-type", ""),
    ],
)
def test_extension_for(content_type: str, extension: str) -> None:
    assert extension_for(content_type) == extension
