"""Contact profiles through the API, on SQLite and PostgreSQL: identities, the duplicate-
lead signal, editing with validation, labels, merge and unmerge (audited, no deletes) and
the caller's scope."""

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select
from tests.factories import DemoWorld, asgi_client, bearer, inbound, receive

from crossdesk.db.models import AuditEvent, Contact
from crossdesk.domain import InboundEvent
from crossdesk.services import Services
from crossdesk.web.app import create_app


@pytest.fixture
async def api(services: Services, world: DemoWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client


def _named(text: str, sender: str, name: str) -> InboundEvent:
    return replace(inbound(text, sender=sender), sender_name=name)


async def _contacts(services: Services) -> dict[tuple[str, str], Contact]:
    async with services.read_sessionmaker() as session:
        rows = (await session.scalars(select(Contact))).all()
    return {(c.platform_user_id, c.account_id): c for c in rows}


async def _audit(services: Services, action: str) -> list[AuditEvent]:
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.all())


async def test_profile_dup_lead_merge_unmerge_and_scope(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    a, b = world.account_a, world.account_b
    # The same phone writes to both accounts; Pedro writes to account B only.
    await receive(services, a, _named("Hola", "34612345678", "María"))
    await receive(services, b, _named("Hola otra vez", "34612345678", "María"))
    await receive(services, b, _named("Buenas", "pedro-1", "Pedro"))
    contacts = await _contacts(services)
    maria_a = contacts[("34612345678", a.id)].id
    maria_b = contacts[("34612345678", b.id)].id
    pedro_b = contacts[("pedro-1", b.id)].id
    owner, supervisor = world.tokens["owner"], world.tokens["supervisor"]
    agent_a, agent_b = world.tokens["agent_a"], world.tokens["agent_b"]

    # The duplicate-lead signal: the same platform identity on another account.
    profile = (await api.get(f"/api/v1/contacts/{maria_a}", headers=bearer(owner))).json()
    assert [w["account"]["id"] for w in profile["also_writing_to"]] == [b.id]
    assert profile["also_writing_to"][0]["same_person"] is False
    assert [i["contact_id"] for i in profile["identities"]] == [maria_a]
    # Platform ids (phone numbers) are redacted without pii.reveal.
    sup_view = (await api.get(f"/api/v1/contacts/{maria_a}", headers=bearer(supervisor))).json()
    assert sup_view["identities"][0]["platform_user_id"] == "34612345678"  # supervisors reveal
    agent_view = await api.get(f"/api/v1/contacts/{maria_a}", headers=bearer(agent_a))
    assert agent_view.json()["identities"][0]["platform_user_id"].endswith("*5678")
    # Scope: team B's agent cannot open team A's contact; a supervisor cannot see B's Pedro.
    assert (
        await api.get(f"/api/v1/contacts/{maria_a}", headers=bearer(agent_b))
    ).status_code == 404
    assert (
        await api.get(f"/api/v1/contacts/{pedro_b}", headers=bearer(supervisor))
    ).status_code == 404

    # Finding contacts to merge: only those in the caller's scope.
    found = await api.get("/api/v1/contacts?q=pe", headers=bearer(owner))
    assert [c["id"] for c in found.json()] == [pedro_b]
    hidden = await api.get("/api/v1/contacts?q=pe", headers=bearer(supervisor))
    assert hidden.status_code == 200 and hidden.json() == []

    # Editing: validated, masked, audited by field name only.
    bad = await api.patch(
        f"/api/v1/contacts/{maria_a}",
        json={"attributes": {"Order Number": "1"}},
        headers=bearer(agent_a),
    )
    assert bad.status_code == 400 and "attribute name" in bad.json()["error"]["message"]
    bad_country = await api.patch(
        f"/api/v1/contacts/{maria_a}", json={"country": "E1"}, headers=bearer(agent_a)
    )
    assert bad_country.status_code == 400
    edited = await api.patch(
        f"/api/v1/contacts/{maria_a}",
        json={
            "notes": "VIP, call her on +34 612 345 678",
            "attributes": {"order_number": "45821"},
            "language": "es-ES",
            "country": "es",
        },
        headers=bearer(agent_a),
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["attributes"] == {"order_number": "45821"} and body["country"] == "ES"
    assert "612 345 678" not in body["notes"] and body["notes"].startswith("VIP")
    update_events = await _audit(services, "contact.update")
    assert update_events[-1].data == {"fields": ["notes", "attributes", "language", "country"]}
    assert (
        await api.patch(f"/api/v1/contacts/{maria_a}", json={"notes": "x"}, headers=bearer(owner))
    ).status_code == 200
    auditor = await api.patch(
        f"/api/v1/contacts/{maria_a}", json={"notes": "x"}, headers=bearer(world.tokens["auditor"])
    )
    assert auditor.status_code == 403

    # Contact labels.
    label = await api.post("/api/v1/labels", json={"name": "Lead"}, headers=bearer(owner))
    labelled = await api.put(
        f"/api/v1/contacts/{maria_a}/labels/{label.json()['id']}", headers=bearer(agent_a)
    )
    assert labelled.status_code == 200 and [x["name"] for x in labelled.json()] == ["Lead"]

    # Merge: a supervisor permission; only contacts the caller can see.
    assert (
        await api.post(
            f"/api/v1/contacts/{maria_a}/merge",
            json={"contact_id": pedro_b},
            headers=bearer(agent_a),
        )
    ).status_code == 403
    assert (
        await api.post(
            f"/api/v1/contacts/{maria_a}/merge",
            json={"contact_id": pedro_b},
            headers=bearer(supervisor),
        )
    ).status_code == 404
    self_merge = await api.post(
        f"/api/v1/contacts/{maria_a}/merge", json={"contact_id": maria_a}, headers=bearer(owner)
    )
    assert self_merge.status_code == 400
    merged = await api.post(
        f"/api/v1/contacts/{maria_a}/merge", json={"contact_id": pedro_b}, headers=bearer(owner)
    )
    assert merged.status_code == 200, merged.text
    person = merged.json()
    assert person["person_id"] == maria_a and person["survivor_id"] == maria_a
    assert {i["contact_id"] for i in person["identities"]} == {maria_a, pedro_b}
    assert len(person["conversations"]) == 2
    assert {(w["account"]["id"], w["same_person"]) for w in person["also_writing_to"]} == {
        (b.id, True)
    }
    again = await api.post(
        f"/api/v1/contacts/{pedro_b}/merge", json={"contact_id": maria_a}, headers=bearer(owner)
    )
    assert again.status_code == 409
    # The merged contact's page is the same person, with the survivor's profile.
    from_pedro = (await api.get(f"/api/v1/contacts/{pedro_b}", headers=bearer(owner))).json()
    assert from_pedro["survivor_id"] == maria_a and from_pedro["attributes"] == {
        "order_number": "45821"
    }
    # Team B's agent now sees the person through Pedro, but only their own conversations.
    seen_by_b = (await api.get(f"/api/v1/contacts/{maria_a}", headers=bearer(agent_b))).json()
    assert {c["account"]["id"] for c in seen_by_b["conversations"]} == {b.id}
    merge_events = await _audit(services, "contact.merge")
    assert len(merge_events) == 1
    assert merge_events[0].data["target"] == maria_a and merge_events[0].data["source"] == pedro_b
    async with services.read_sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 3  # no deletes

    # A third contact joins the person; unmerging the survivor hands the profile on.
    merged3 = await api.post(
        f"/api/v1/contacts/{maria_a}/merge", json={"contact_id": maria_b}, headers=bearer(owner)
    )
    assert len(merged3.json()["identities"]) == 3
    out = await api.post(f"/api/v1/contacts/{maria_a}/unmerge", headers=bearer(owner))
    assert out.status_code == 200 and out.json()["person_id"] is None
    rest = (await api.get(f"/api/v1/contacts/{pedro_b}", headers=bearer(owner))).json()
    assert {i["contact_id"] for i in rest["identities"]} == {pedro_b, maria_b}
    assert rest["survivor_id"] == rest["person_id"] and rest["survivor_id"] in {pedro_b, maria_b}
    last = await api.post(f"/api/v1/contacts/{maria_b}/unmerge", headers=bearer(owner))
    assert last.status_code == 200
    contacts = await _contacts(services)
    assert all(c.person_id is None for c in contacts.values())  # fully reversed
    unmerges = await _audit(services, "contact.unmerge")
    assert [e.data["contact"] for e in unmerges] == [maria_a, maria_b]
    not_merged = await api.post(f"/api/v1/contacts/{maria_b}/unmerge", headers=bearer(owner))
    assert not_merged.status_code == 400
