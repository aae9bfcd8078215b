"""Run an ASGI app on 127.0.0.1 on a free port, in a background thread, for tests.

The fakes are real HTTP servers (uvicorn), so adapters exercise their real httpx code paths:
URLs, headers, JSON encoding, status codes.
"""

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class Recorded:
    """One request a fake received."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any  # decoded JSON (or None)


@dataclass
class ScriptedReply:
    """A reply the fake gives instead of processing the next request."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class RunningServer:
    """uvicorn serving ``app`` in a daemon thread; ``base_url`` once started."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            loop="asyncio",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.base_url = ""

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self) -> "RunningServer":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake platform server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
