"""Is a stored browser session still logged in? Checked against the local fake platform web
app (a login form and a session cookie) with the session's cookies: logged in, then revoked
on the platform -> logged out, audited and alerted once; skipped while leased. Both DBs."""

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from tests.factories import DemoWorld
from tests.fakes.platforms.server import RunningServer
from tests.fakes.webapp.app import PASSWORD, USER, FakeWebApp

from crossdesk.actions import sessions
from crossdesk.actions.account_overview import account_overviews
from crossdesk.actions.identity import principal_for
from crossdesk.actions.web_session_health import run_web_checks, set_web_check
from crossdesk.db.models import AuditEvent, RiskAlert
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.health import HealthWorker


@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[FakeWebApp, str]]:
    fake = FakeWebApp()
    server = RunningServer(fake.app()).start()
    yield fake, server.base_url
    server.stop()


def logged_in_state(base_url: str) -> tuple[bytes, str]:
    """Log in on the fake platform like an admin would; the storage state Playwright saves."""
    response = httpx.post(f"{base_url}/login", data={"user": USER, "password": PASSWORD})
    assert response.status_code == 303
    sid = response.cookies["sid"]
    state = {
        "cookies": [
            {
                "name": "sid",
                "value": sid,
                "domain": "127.0.0.1",
                "path": "/",
                "expires": -1,
                "httpOnly": True,
                "secure": False,
                "sameSite": "Lax",
            }
        ],
        "origins": [],
    }
    return json.dumps(state).encode(), sid


async def test_logged_in_then_revoked_is_noticed_once(
    services: Services, world: DemoWorld, platform: tuple[FakeWebApp, str]
) -> None:
    fake, base = platform
    async with services.read_sessionmaker() as session:
        owner = await principal_for(session, world.users["owner"])
        agent = await principal_for(session, world.users["agent_a"])
    account = world.account_a.id
    state, sid = logged_in_state(base)
    await sessions.capture_session(services, owner, account, state, audit.SYSTEM)

    with pytest.raises(PermissionDenied):
        await set_web_check(services, agent, account, f"{base}/inbox", "", audit.SYSTEM)
    with pytest.raises(InvalidInput, match="logged-in URL"):
        await set_web_check(services, owner, account, "ftp://x", "", audit.SYSTEM)
    await set_web_check(services, owner, account, f"{base}/inbox", 'id="status"', audit.SYSTEM)

    assert (await run_web_checks(services))[account].state == "logged_in"
    overview = (await account_overviews(services, world.workspace_id, [account]))[account]
    assert overview.web_check is not None and overview.web_check.state == "logged_in"

    fake.sessions.pop(sid)  # the platform logs the session out (expired, or revoked)
    worker = HealthWorker(services)
    services.settings.sessions.egress_echo_url = ""
    await worker.run_once()
    overview = (await account_overviews(services, world.workspace_id, [account]))[account]
    assert overview.web_check is not None and overview.web_check.state == "logged_out"
    assert "login page" in overview.web_check.detail
    assert any("logged out" in r for r in overview.score.reasons)
    await worker.run_once()  # still logged out: no second alert

    # While someone holds the lease the session is in use: not checked.
    await sessions.checkout_session(services, agent, account, audit.SYSTEM)
    assert await run_web_checks(services) == {}

    async with services.read_sessionmaker() as session:
        alerts = (
            await session.scalars(select(RiskAlert).where(RiskAlert.kind == "session.logged_out"))
        ).all()
        checks = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "session.web_check")
                .order_by(AuditEvent.seq)
            )
        ).all()
    assert len(alerts) == 1
    assert [c.data["state"] for c in checks] == ["logged_in", "logged_out"]
    assert sid not in json.dumps([c.data for c in checks])  # the cookie never reaches the log
