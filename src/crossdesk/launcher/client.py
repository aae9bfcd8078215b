"""The launcher's side of the sessions API (``/api/v1/accounts/{id}/session``)."""

import gzip
import json
from dataclasses import dataclass
from typing import Any

import httpx

from crossdesk.errors import (
    Conflict,
    CrossdeskError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)

# Any: a Playwright storage state (JSON object: cookies, origins with localStorage/IndexedDB).
StorageState = dict[str, Any]

_ERRORS: dict[int, type[CrossdeskError]] = {
    400: InvalidInput,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
}


@dataclass(frozen=True, slots=True)
class Lease:
    account_id: str
    token: str
    version: int
    state: StorageState
    start_url: str | None
    proxy_url: str | None

    def __repr__(self) -> str:  # never print the state or the token
        return f"Lease(account={self.account_id}, version={self.version})"


class SessionClient:
    """Talks to a crossdesk server with the user's API token."""

    def __init__(self, server: str, token: str, *, http: httpx.AsyncClient | None = None) -> None:
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0))
        self._owns_http = http is None
        self._base = server.rstrip("/") + "/api/v1"
        self._headers = {"Authorization": f"Bearer {token}"}

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "SessionClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:  # Any: decoded JSON
        response = await self._http.request(
            method,
            self._base + path,
            content=content,
            json=json_body,
            headers={**self._headers, **(headers or {})},
        )
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                message, fields = str(error["message"]), error.get("fields") or {}
            except (ValueError, KeyError, TypeError):
                message, fields = f"the server answered {response.status_code}", {}
            raise _ERRORS.get(response.status_code, CrossdeskError)(message, **fields)
        return response.json()

    async def checkout(self, account_id: str, *, takeover: bool = False) -> Lease:
        body = await self._call(
            "POST", f"/accounts/{account_id}/session/checkout", json_body={"takeover": takeover}
        )
        return Lease(
            account_id=account_id,
            token=body["lease_token"],
            version=int(body["version"]),
            state=body["state"],
            start_url=body.get("start_url"),
            proxy_url=body.get("proxy_url"),
        )

    async def renew(self, lease: Lease) -> None:
        await self._call(
            "POST",
            f"/accounts/{lease.account_id}/session/renew",
            headers={"X-Crossdesk-Lease": lease.token},
        )

    async def checkin(self, lease: Lease, state: StorageState | None) -> dict[str, Any]:
        """Return the session; ``state`` None releases the lease and keeps the stored state."""
        content = gzip.compress(json.dumps(state).encode()) if state is not None else b""
        headers = {"X-Crossdesk-Lease": lease.token, "Content-Type": "application/json"}
        if state is not None:
            headers["Content-Encoding"] = "gzip"
        result: dict[str, Any] = await self._call(
            "POST",
            f"/accounts/{lease.account_id}/session/checkin",
            content=content,
            headers=headers,
        )
        return result

    async def capture(self, account_id: str, state: StorageState) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "PUT",
            f"/accounts/{account_id}/session",
            content=gzip.compress(json.dumps(state).encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        return result

    async def resolve(self, account: str) -> str:
        """An account id from an id or the name of an account you may open."""
        sessions: list[dict[str, Any]] = await self._call("GET", "/sessions")
        for item in sessions:
            if account in (item["account_id"], item["account_name"]):
                return str(item["account_id"])
        return account  # let the server say what is wrong with it

    async def status(self, account_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/accounts/{account_id}/session")
        return result
