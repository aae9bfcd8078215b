"""An IP-echo endpoint like ipinfo.io's ``/json``: the caller's address and its country."""

from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from tests.fakes.platforms.server import RunningServer


class EchoServer:
    """``/json`` answers ``{"ip": ..., "country": ...}``; ``/plain`` the bare address.

    ``countries`` maps addresses to the country code the endpoint reports (a stand-in for
    the geolocation database a real service uses); it may be changed while running.
    """

    def __init__(self, countries: Mapping[str, str] | None = None) -> None:
        self.countries = dict(countries or {})
        self._server = RunningServer(
            Starlette(routes=[Route("/json", self._json), Route("/plain", self._plain)])
        )
        self.base_url = ""

    async def _json(self, request: Request) -> JSONResponse:
        ip = request.client.host if request.client else ""
        body: dict[str, str] = {"ip": ip}
        if ip in self.countries:
            body["country"] = self.countries[ip]
        return JSONResponse(body)

    async def _plain(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse((request.client.host if request.client else "") + "\n")

    def start(self) -> "EchoServer":
        self._server.start()
        self.base_url = self._server.base_url
        return self

    def stop(self) -> None:
        self._server.stop()
