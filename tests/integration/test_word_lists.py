"""Workspace word lists: validated with line numbers, applied without a restart, audited,
explained ("why was this flagged?") and counted."""

import re

import httpx
from sqlalchemy import func, select
from tests.factories import PASSWORD, DemoWorld, bearer, inbound, receive

from crossdesk.db.models import AuditEvent
from crossdesk.services import Services


async def _admin_session(client: httpx.AsyncClient, email: str) -> str:
    await client.post("/login", data={"email": email, "password": PASSWORD})
    page = await client.get("/ui/settings/words")
    assert page.status_code == 200, page.text
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_list_is_validated_applied_at_once_and_audited(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    csrf = await _admin_session(client, app_world.users["owner"].email)
    form = {
        "csrf_token": csrf,
        "name": "competitors",
        "category": "claims",
        "action": "block",
        "direction": "outbound",
        "severity": "4",
        "terms": "# brands we never mention\nAcmeShop\nbad\ttoo\tmany tabs\n",
    }
    refused = await client.post("/ui/settings/words", data=form)
    assert refused.status_code == 422
    assert "line 3" in refused.text or ":3" in refused.text  # names the faulty line

    form["terms"] = "# brands we never mention\nAcmeShop\n拼多多\n"
    saved = await client.post("/ui/settings/words", data=form)
    assert saved.status_code == 200 and "competitors v1" in saved.text

    # Applied to the next message without a restart: an agent's reply naming it is refused.
    await receive(sqlite_services, app_world.account_a, inbound("¿Es mejor que AcmeShop?"))
    token = app_world.tokens["supervisor"]
    conversations = await client.get("/api/v1/conversations?view=team", headers=bearer(token))
    url = f"/api/v1/conversations/{conversations.json()[0]['id']}/messages"
    reply = await client.post(
        url, json={"text": "Somos mejores que A.c.m.e.S.h.o.p"}, headers=bearer(token)
    )
    assert reply.status_code == 422
    assert reply.json()["error"]["fields"]["findings"][0]["list"] == "competitors"

    explained = await client.post(
        "/ui/settings/words/test",
        data={"text": "买 拼 多 多 更便宜", "direction": "outbound"},
        headers={"X-CSRF-Token": csrf},
    )
    assert explained.status_code == 200
    assert "competitors" in explained.text and "<mark" in explained.text

    async with sqlite_services.sessionmaker() as session:
        changes = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "wordlist.change")
        )
    assert changes == 1


async def test_agents_cannot_manage_lists(client: httpx.AsyncClient, app_world: DemoWorld) -> None:
    await client.post(
        "/login", data={"email": app_world.users["agent_a"].email, "password": PASSWORD}
    )
    assert (await client.get("/ui/settings/words")).status_code == 403


async def test_inbound_hits_are_audited_and_counted(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("Agrégame al WhatsApp y hablamos"))
    async with sqlite_services.sessionmaker() as session:
        event = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "guard.hit"))
        ).one()
    assert event.data["direction"] == "inbound" and "diversion" in event.data["categories"]
    await _admin_session(client, app_world.users["owner"].email)
    page = await client.get("/ui/settings/words")
    assert "<svg" in page.text and "diversion" in page.text


async def test_api_manages_lists_and_diversion_attempts_raise_alerts(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    owner = bearer(app_world.tokens["owner"])
    bad = await client.put(
        "/api/v1/word-lists/claims",
        json={"category": "claims", "action": "nuke", "terms": "cures cancer"},
        headers=owner,
    )
    assert bad.status_code == 400 and "action must be one of" in bad.json()["error"]["message"]
    put = await client.put(
        "/api/v1/word-lists/claims",
        json={"category": "claims", "action": "alert", "terms": "cures cancer\n100% guaranteed\n"},
        headers=owner,
    )
    assert put.status_code == 200 and put.json()["version"] == 1
    tested = await client.post(
        "/api/v1/word-lists/test", json={"text": "This cream CURES  cancer!"}, headers=owner
    )
    assert [f["list"] for f in tested.json()["findings"]] == ["claims"]
    forbidden = await client.get("/api/v1/word-lists", headers=bearer(app_world.tokens["agent_a"]))
    assert forbidden.status_code == 403

    await receive(sqlite_services, app_world.account_a, inbound("¿Me das tu número personal?"))
    token = app_world.tokens["supervisor"]
    conversations = await client.get("/api/v1/conversations?view=team", headers=bearer(token))
    url = f"/api/v1/conversations/{conversations.json()[0]['id']}/messages"
    blocked = await client.post(url, json={"text": "Escríbeme por WhatsApp"}, headers=bearer(token))
    assert blocked.status_code == 422
    alerts = await client.get("/api/v1/alerts", headers=bearer(token))
    assert [a["kind"] for a in alerts.json()] == ["guard.diversion"]
    assert alerts.json()[0]["actor_id"] == app_world.users["supervisor"].id
    assert (
        await client.get("/api/v1/alerts", headers=bearer(app_world.tokens["agent_a"]))
    ).status_code == 403


async def test_csv_lists_import_and_bad_rows_are_named(
    client: httpx.AsyncClient, app_world: DemoWorld
) -> None:
    owner = bearer(app_world.tokens["owner"])
    bad = await client.put(
        "/api/v1/word-lists/brands",
        json={"category": "claims", "action": "warn", "format": "csv", "terms": 'ok,claims\n"open'},
        headers=owner,
    )
    assert bad.status_code == 400 and "brands" in bad.json()["error"]["message"]
    good = await client.put(
        "/api/v1/word-lists/brands",
        json={
            "category": "claims",
            "action": "warn",
            "format": "csv",
            "terms": "term,category\nMegaMart,claims\n假货,abuse\n",
        },
        headers=owner,
    )
    assert good.status_code == 200, good.text
    tested = await client.post(
        "/api/v1/word-lists/test", json={"text": "cheaper than megamart"}, headers=owner
    )
    assert [f["term"] for f in tested.json()["findings"]] == ["MegaMart"]
