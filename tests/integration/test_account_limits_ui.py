"""The anti-ban column of the accounts page and the per-account limits page: health score,
egress IP (checked through a local proxy against a local IP-echo server), send limits saved
from the form (audited), errors named, agents read-only; and the same over the API."""

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import PASSWORD, DemoWorld, bearer
from tests.fakes.egress import EchoServer, ForwardProxy

from crossdesk.db.models import AuditEvent, ChannelAccount
from crossdesk.db.session import transaction
from crossdesk.services import Services


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    server = EchoServer({"127.0.0.2": "DE"}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxy() -> Iterator[ForwardProxy]:
    running = ForwardProxy("127.0.0.2").start()
    yield running
    running.stop()


async def _log_in(client: httpx.AsyncClient, email: str) -> str:
    await client.post("/login", data={"email": email, "password": PASSWORD})
    page = await client.get("/ui/accounts")
    assert page.status_code == 200, page.text
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_limits_page_saves_checks_egress_and_shows_the_score(
    client: httpx.AsyncClient,
    sqlite_services: Services,
    app_world: DemoWorld,
    echo: EchoServer,
    proxy: ForwardProxy,
) -> None:
    services = sqlite_services
    services.settings.sessions.egress_echo_url = f"{echo.base_url}/json"
    account = app_world.account_a.id
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(ChannelAccount).where(ChannelAccount.id == account).values(proxy_url=proxy.url)
        )
    csrf = await _log_in(client, app_world.users["owner"].email)
    listing = await client.get("/ui/accounts")
    assert f'href="/ui/accounts/{account}/limits"' in listing.text
    assert "Health score" in listing.text and "egress IP not checked yet" in listing.text

    page = await client.get(f"/ui/accounts/{account}/limits")
    assert page.status_code == 200 and "uses its platform&#39;s defaults" in page.text

    bad = await client.post(
        f"/ui/accounts/{account}/limits",
        data={"csrf_token": csrf, "per_hour": "0", "warmup_days": "0"},
    )
    assert bad.status_code == 400 and "per_hour must be between" in bad.text

    saved = await client.post(
        f"/ui/accounts/{account}/limits",
        data={
            "csrf_token": csrf,
            "per_hour": "50",
            "per_day": "",
            "new_chats_per_day": "20",
            "warmup_days": "4",
            "warmup_start_percent": "20",
            "restart_warmup": "1",
        },
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert 'id="now-per-hour">10<' in page.text  # 20% of 50 on the first day
    assert "warmup-schedule" in page.text and "has its own limits" in page.text

    checked = await client.post(f"/ui/accounts/{account}/egress", headers={"X-CSRF-Token": csrf})
    assert checked.status_code == 200
    assert "127.0.0.2" in checked.text and ">DE<" in checked.text
    listing = await client.get("/ui/accounts")
    assert 'data-egress="127.0.0.2"' in listing.text
    async with services.read_sessionmaker() as session:
        actions = list(
            await session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == account))
        )
    assert "account.send_limits" in actions

    configured = await client.post(
        f"/ui/accounts/{account}/web-check",
        data={
            "csrf_token": csrf,
            "logged_in_url": "https://platform.example/inbox",
            "logged_in_marker": "Inbox",
        },
    )
    assert configured.status_code == 303
    page = await client.get(configured.headers["location"])
    assert "Browser session check saved." in page.text
    assert 'value="https://platform.example/inbox"' in page.text
    assert "run-web-check" in page.text
    refused = await client.post(
        f"/ui/accounts/{account}/web-check",
        data={"csrf_token": csrf, "logged_in_url": "javascript:alert(1)"},
    )
    assert refused.status_code == 400 and "http(s)://" in refused.text
    # No browser session captured for this account: nothing to check, nothing recorded.
    ran = await client.post(f"/ui/accounts/{account}/web-check/run", headers={"X-CSRF-Token": csrf})
    assert ran.status_code == 200 and "not checked yet" in ran.text


async def test_api_and_read_only_agents(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    account = app_world.account_a.id
    owner = bearer(app_world.tokens["owner"])
    agent = bearer(app_world.tokens["agent_a"])
    got = await client.get(f"/api/v1/accounts/{account}/limits", headers=agent)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["custom"] is False and body["configured"]["per_hour"] is None
    assert body["score"]["value"] <= 100
    denied = await client.put(
        f"/api/v1/accounts/{account}/limits", json={"per_hour": 5}, headers=agent
    )
    assert denied.status_code == 403
    invalid = await client.put(
        f"/api/v1/accounts/{account}/limits", json={"per_hour": 0}, headers=owner
    )
    assert invalid.status_code in (400, 422)
    put = await client.put(
        f"/api/v1/accounts/{account}/limits",
        json={"per_hour": 5, "warmup_days": 2, "warmup_start_percent": 40},
        headers=owner,
    )
    assert put.status_code == 200, put.text
    assert put.json()["in_force"]["per_hour"] == 2 and len(put.json()["schedule"]) == 3
    other_team = bearer(app_world.tokens["agent_b"])
    hidden = await client.get(f"/api/v1/accounts/{account}/limits", headers=other_team)
    assert hidden.status_code == 404
    page = await client.get(f"/ui/accounts/{account}/limits", headers=agent)
    assert page.status_code == 200 and "limits-form" not in page.text
