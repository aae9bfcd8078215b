"""A real Apertium APy server on loopback, when the Debian packages are installed.

Expected presence: under ``CI=true`` on a Debian/Ubuntu machine where we are root,
``scripts/apertium-setup`` (run by ``.ci/run``) installs Apertium, so its absence there is a
failure, not a skip. Elsewhere (a developer's Mac, CI without root) the test is skipped with the
reason shown. ``CROSSDESK_REQUIRE_APERTIUM=1`` or ``=0`` overrides the rule.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.fakes.translation.engines import free_port

from crossdesk.translation import Router, Status, TranslationRequest
from crossdesk.translation.providers.apertium import ApertiumAdapter, ApertiumConfig

MODES = Path("/usr/share/apertium/modes")


def _required() -> bool:
    override = os.environ.get("CROSSDESK_REQUIRE_APERTIUM")
    if override is not None:
        return override == "1"
    debian_root = Path("/etc/debian_version").exists() and os.geteuid() == 0
    return os.environ.get("CI") == "true" and debian_root


@pytest.fixture(scope="module")
def apy_url() -> Iterator[str]:
    binary = shutil.which("apertium-apy")
    if binary is None or not (MODES / "spa-eng.mode").exists():
        message = "Apertium APy or apertium-en-es not installed (run scripts/apertium-setup)"
        if _required():
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    process = subprocess.Popen(
        [binary, "-p", str(port), str(MODES)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/listPairs", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("APy did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_real_apertium_translates_spanish_keeping_placeholders(apy_url: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        adapter = ApertiumAdapter(ApertiumConfig(apy_url), client)
        pairs = await adapter.list_pairs()
        assert ("es", "en") in pairs and ("en", "es") in pairs
        router = Router([adapter])
        inbound, outbound = await router.translate(
            [
                TranslationRequest(
                    "Hola, mi pedido #5583920147 no ha llegado 😩 https://t.co/x", "en", "es"
                ),
                TranslationRequest("Your package arrives tomorrow", "es", "en"),
            ]
        )
    assert inbound.status is Status.OK, inbound.reason
    assert "#5583920147" in inbound.text and "https://t.co/x" in inbound.text
    assert "😩" in inbound.text and "Hello" in inbound.text
    assert outbound.ok and outbound.needs_review and "mañana" in outbound.text
