"""Run Apertium's APy server as a sidecar for the demo, when the machine has it.

Real offline translation (English, Spanish, Portuguese, French, Italian, Catalan) at
gist quality. Installed by scripts/apertium-setup on Debian/Ubuntu.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

from crossdesk.translation import EngineSpec, TranslationConfig

MODES_DIR = Path("/usr/share/apertium/modes")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApertiumSidecar:
    """Starts ``apertium-apy`` on a free port and stops it with the demo."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    @staticmethod
    def available() -> bool:
        return shutil.which("apertium-apy") is not None and MODES_DIR.is_dir()

    def start(self, timeout: float = 20.0) -> bool:
        """Start APy and wait until it lists its pairs; False if it did not come up."""
        executable = shutil.which("apertium-apy")
        if executable is None or not MODES_DIR.is_dir():
            return False
        port = _free_port()
        self.process = subprocess.Popen(  # noqa: S603  # fixed executable and arguments
            [executable, "-p", str(port), str(MODES_DIR)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.base_url}/listPairs", timeout=1.0).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        return False

    def translation_config(self) -> TranslationConfig:
        return TranslationConfig(
            engines=(EngineSpec("apertium", "apertium", {"base_url": self.base_url}),),
            languages=("en", "es", "pt", "ar", "ru", "fr", "it", "zh-Hans"),
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
