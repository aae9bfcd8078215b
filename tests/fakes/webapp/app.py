"""A fake platform web app that keeps its login the way real ones do.

* ``POST /login`` with the right password sets an HttpOnly session cookie (``sid``, no
  expiry) and remembers a device token for it.
* ``/inbox`` (cookie required) stores the device token in localStorage AND IndexedDB on
  first login, then on every load proves both are present by asking ``/api/whoami``,
  which answers only for the right cookie + device token pair. ``#status`` shows
  ``Logged in as shop-admin`` only when cookie, localStorage and IndexedDB all survived.
"""

import secrets
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

USER = "shop-admin"
PASSWORD = "platform-pass-7731"

LOGIN_PAGE = """<!doctype html><title>Login</title>
<form method="post" action="/login">
<input name="user"><input name="password" type="password"><button type="submit">Log in</button>
</form>"""

INBOX_PAGE = """<!doctype html><title>Inbox</title>
<p id="status">checking</p>
<script>
const fresh = %(fresh)s;
function idb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("fakeapp", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("keys");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}
async function idbGet(db) {
  return new Promise((resolve) => {
    const req = db.transaction("keys").objectStore("keys").get("device");
    req.onsuccess = () => resolve(req.result || "");
    req.onerror = () => resolve("");
  });
}
async function idbPut(db, value) {
  return new Promise((resolve) => {
    const tx = db.transaction("keys", "readwrite");
    tx.objectStore("keys").put(value, "device");
    tx.oncomplete = () => resolve();
  });
}
(async () => {
  const db = await idb();
  if (fresh) {
    localStorage.setItem("device", fresh);
    await idbPut(db, fresh);
  }
  const local = localStorage.getItem("device") || "";
  const stored = await idbGet(db);
  const r = await fetch("/api/whoami", {headers: {"X-Device": local, "X-Idb": stored}});
  const body = await r.json();
  document.getElementById("status").textContent =
    r.ok ? "Logged in as " + body.user : "not recognised: " + body.problem;
})();
</script>"""


@dataclass
class FakeWebApp:
    sessions: dict[str, str] = field(default_factory=dict)  # sid -> device token
    logins: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/login", self.login_page, methods=["GET"]),
                Route("/login", self.login, methods=["POST"]),
                Route("/inbox", self.inbox),
                Route("/api/whoami", self.whoami),
            ]
        )

    async def login_page(self, request: Request) -> Response:
        return HTMLResponse(LOGIN_PAGE)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        if form.get("user") != USER or form.get("password") != PASSWORD:
            return HTMLResponse(LOGIN_PAGE, status_code=401)
        self.logins += 1
        sid, device = secrets.token_hex(16), secrets.token_hex(8)
        self.sessions[sid] = device
        response = RedirectResponse(f"/inbox?fresh={device}", status_code=303)
        response.set_cookie("sid", sid, httponly=True, samesite="lax")
        return response

    async def inbox(self, request: Request) -> Response:
        if request.cookies.get("sid") not in self.sessions:
            return RedirectResponse("/login", status_code=303)
        fresh = request.query_params.get("fresh", "")
        return HTMLResponse(INBOX_PAGE % {"fresh": f'"{fresh}"' if fresh.isalnum() else "null"})

    async def whoami(self, request: Request) -> Response:
        device = self.sessions.get(request.cookies.get("sid", ""))
        if device is None:
            return JSONResponse({"problem": "no session cookie"}, status_code=401)
        if request.headers.get("x-device") != device:
            return JSONResponse({"problem": "localStorage lost"}, status_code=401)
        if request.headers.get("x-idb") != device:
            return JSONResponse({"problem": "IndexedDB lost"}, status_code=401)
        return JSONResponse({"user": USER})
