"""Contact export: masked, scoped, audited with the count the shipped risk rule watches."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from tests.factories import DemoWorld, asgi_client, bearer, inbound, receive

from crossdesk.db.models import AuditEvent
from crossdesk.risk.rules import RuleEngine, RuleEvent, default_rules
from crossdesk.services import Services
from crossdesk.web.app import create_app


@pytest.fixture
async def api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client


async def test_export_is_masked_audited_and_permission_checked(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    await receive(services, world.account_a, inbound("hola", sender="34612345678"))
    await receive(services, world.account_b, inbound("hi", sender="u-2"))

    refused = await api.get("/api/v1/contacts/export.csv", headers=bearer(world.tokens["agent_a"]))
    assert refused.status_code == 403

    response = await api.get("/api/v1/contacts/export.csv", headers=bearer(world.tokens["owner"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0][:4] == ["contact_id", "person_id", "name", "platform"]
    assert len(table) == 3
    assert "612345678" not in response.text and "34612345678" not in response.text

    async with services.read_sessionmaker() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "contact.export")
        )
    assert event is not None and event.data == {"contacts": 2}
    assert event.actor_id == world.users["owner"].id


def test_the_shipped_rule_fires_on_a_large_contact_export() -> None:
    engine = RuleEngine(default_rules())
    at = datetime(2026, 11, 30, 10, tzinfo=UTC)  # a Monday, inside working hours

    def export(seq: int, contacts: int) -> RuleEvent:
        return RuleEvent(
            id=f"e{seq}", seq=seq, at=at, action="contact.export", actor_id="u1",
            data={"contacts": contacts},
        )  # fmt: skip

    assert not [f for f in engine.feed(export(1, 500)) if f.rule_id == "export-many-contacts"]
    fired = [f for f in engine.feed(export(2, 501)) if f.rule_id == "export-many-contacts"]
    assert len(fired) == 1 and fired[0].subject_user == "u1"
