"""A minimal HTTP/1.1 forward proxy (absolute-form requests to http:// targets).

It speaks what an HTTP client sends to a proxy for a plain-http URL (RFC 9112 §3.2.2:
``GET http://host:port/path HTTP/1.1``), connects to the target from ``egress_ip`` and
relays one request and its response (``Connection: close``). Enough for httpx's
``proxy=`` with an http:// target; CONNECT (https targets) is answered 501.
"""

import asyncio
import threading
from urllib.parse import urlsplit


class ForwardProxy:
    def __init__(self, egress_ip: str) -> None:
        self.egress_ip = egress_ip
        self.requests: list[str] = []  # request lines seen
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.url = ""

    def start(self) -> "ForwardProxy":
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()  # its self-pipe sockets, or they leak into a later test's warnings

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            self.requests.append(request_line)
            if method == "CONNECT" or not target.startswith("http://"):
                writer.write(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n")
                return
            parts = urlsplit(target)
            headers = [
                h
                for h in header_lines
                if h and not h.lower().startswith(("proxy-", "connection:", "keep-alive:"))
            ]
            length = next(
                (
                    int(h.split(":", 1)[1])
                    for h in headers
                    if h.lower().startswith("content-length:")
                ),
                0,
            )
            body = await reader.readexactly(length) if length else b""
            path = parts.path or "/"
            if parts.query:
                path += f"?{parts.query}"
            upstream_reader, upstream_writer = await asyncio.open_connection(
                parts.hostname, parts.port or 80, local_addr=(self.egress_ip, 0)
            )
            upstream_writer.write(
                (
                    f"{method} {path} {version}\r\n"
                    + "".join(f"{h}\r\n" for h in headers)
                    + "Connection: close\r\n\r\n"
                ).encode("latin-1")
                + body
            )
            await upstream_writer.drain()
            writer.write(await upstream_reader.read())
            upstream_writer.close()
        except (OSError, ValueError, asyncio.IncompleteReadError):
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        finally:
            await writer.drain()
            writer.close()
