"""Team reports on SQLite and PostgreSQL: per agent (counts, median first-response and
response times, guard hits, reveals), per account and platform, volume per day, lead
counts de-duplicated across accounts; scoping by role; audited streaming CSV; the CLI."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import DemoWorld, asgi_client, bearer

from crossdesk.actions.reports import csv_lines
from crossdesk.db.models import AuditEvent, ChannelAccount, Contact, Conversation, Message
from crossdesk.db.session import transaction
from crossdesk.domain import new_id
from crossdesk.risk import audit
from crossdesk.risk.periods import choose_period
from crossdesk.risk.reports import ReportScope, lead_report
from crossdesk.services import Services
from crossdesk.web.app import create_app

TODAY = datetime.now(UTC).date()
D2 = datetime.combine(TODAY - timedelta(days=2), time(10), UTC)
D1 = datetime.combine(TODAY - timedelta(days=1), time(9), UTC)
OLD = datetime.combine(TODAY - timedelta(days=20), time(9), UTC)


@pytest.fixture
async def api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client


async def _seed(services: Services, world: DemoWorld) -> dict[str, str]:
    """Two people writing to two accounts, one of them to both; replies with known times."""
    agent_a, agent_b = world.users["agent_a"].id, world.users["agent_b"].id
    async with transaction(services.sessionmaker) as session:

        def contact(account: ChannelAccount, who: str, at: datetime) -> Contact:
            row = Contact(
                id=new_id(),
                workspace_id=world.workspace_id,
                account_id=account.id,
                platform_user_id=who,
                display_name=who,
                created_at=at,
            )
            session.add(row)
            return row

        def conversation(
            account: ChannelAccount, person: Contact, team: str, assignee: str, at: datetime
        ) -> Conversation:
            row = Conversation(
                id=new_id(),
                workspace_id=world.workspace_id,
                account_id=account.id,
                contact_id=person.id,
                team_id=team,
                assignee_id=assignee,
                created_at=at,
            )
            session.add(row)
            return row

        def message(
            conv: Conversation, direction: str, at: datetime, sender: str | None = None
        ) -> None:
            session.add(
                Message(
                    id=new_id(),
                    workspace_id=world.workspace_id,
                    conversation_id=conv.id,
                    account_id=conv.account_id,
                    direction=direction,
                    sender_user_id=sender,
                    body_masked="x",
                    status="sent" if direction != "inbound" else "received",
                    created_at=at,
                )
            )

        a, b = world.account_a, world.account_b
        first = contact(a, "+111", D2)
        again = contact(b, "+111", D1)  # the same phone on the other account: not a new lead
        second = contact(b, "+222", D1)
        contact(a, "+333", OLD)  # before the period
        await session.flush()
        conv1 = conversation(a, first, world.team_a, agent_a, D2)
        conversation(b, again, world.team_b, agent_b, D1)
        conv3 = conversation(b, second, world.team_b, agent_b, D1)
        await session.flush()
        s = timedelta(seconds=1)
        message(conv1, "inbound", D2)
        message(conv1, "inbound", D2 + 30 * s)
        message(conv1, "outbound", D2 + 120 * s, agent_a)  # first response: 120 s
        message(conv1, "note", D2 + 150 * s, agent_a)  # private notes are not replies
        message(conv1, "inbound", D2 + 200 * s)
        message(conv1, "outbound", D2 + 260 * s, agent_a)  # response: 60 s
        message(conv1, "outbound", D2 + 300 * s, agent_a)  # nobody was waiting
        message(conv1, "outbound", D2 + 310 * s)  # an echo from the phone: no agent
        message(conv3, "inbound", D1)
        message(conv3, "outbound", D1 + 600 * s, agent_b)
        for _ in range(2):
            await audit.record(
                session, world.workspace_id, "guard.hit", audit.Actor(agent_a), data={}
            )
        await audit.record(session, world.workspace_id, "pii.reveal", audit.Actor(agent_b), data={})
        await session.execute(
            update(ChannelAccount).where(ChannelAccount.id == b.id).values(name="=Evil()")
        )
    return {"agent_a": agent_a, "agent_b": agent_b}


async def test_agent_account_and_lead_reports(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    ids = await _seed(services, world)
    owner = bearer(world.tokens["owner"])

    agents = await api.get("/api/v1/reports/agents?period=7d", headers=owner)
    assert agents.status_code == 200, agents.text
    rows = {r["user_id"]: r for r in agents.json()["agents"]}
    assert rows[ids["agent_a"]] | {"name": "x"} == {
        "user_id": ids["agent_a"],
        "name": "x",
        "conversations_handled": 1,
        "first_response_median_seconds": 120.0,
        "response_median_seconds": 90.0,  # median of 120 s and 60 s
        "messages_sent": 3,
        "guard_hits": 2,
        "pii_reveals": 0,
    }
    b = rows[ids["agent_b"]]
    assert (b["messages_sent"], b["first_response_median_seconds"], b["pii_reveals"]) == (
        1,
        600.0,
        1,
    )
    assert world.users["auditor"].id not in rows  # auditors are not reported on

    accounts = (await api.get("/api/v1/reports/accounts", headers=owner)).json()
    volume = {r["account_id"]: (r["inbound"], r["outbound"]) for r in accounts["accounts"]}
    assert volume == {world.account_a.id: (3, 4), world.account_b.id: (1, 1)}
    assert accounts["platforms"] == [
        {"platform": "sandbox", "accounts": 2, "inbound": 4, "outbound": 5}
    ]
    days = {d["day"]: (d["inbound"], d["outbound"]) for d in accounts["per_day"]}
    assert len(days) == 7
    assert days[D2.date().isoformat()] == (3, 4) and days[D1.date().isoformat()] == (1, 1)

    leads = (await api.get("/api/v1/reports/leads?period=7d", headers=owner)).json()
    assert leads["total"] == 2  # +111 (twice, on two accounts) and +222
    per_day = {r["label"]: r["count"] for r in leads["per_day"]}
    assert per_day[D2.date().isoformat()] == 1 and per_day[D1.date().isoformat()] == 1
    assert {(r["account_id"], r["agent_id"], r["leads"]) for r in leads["rows"]} == {
        (world.account_a.id, ids["agent_a"], 1),
        (world.account_b.id, ids["agent_b"], 1),
    }
    wide = (
        await api.get(
            f"/api/v1/reports/leads?since={(TODAY - timedelta(days=30)).isoformat()}",
            headers=owner,
        )
    ).json()
    assert wide["total"] == 3

    # A supervisor sees their team (A) only; agents see no reports.
    supervisor = bearer(world.tokens["supervisor"])
    theirs = (await api.get("/api/v1/reports/agents", headers=supervisor)).json()
    assert {r["user_id"] for r in theirs["agents"]} == {
        ids["agent_a"],
        world.users["supervisor"].id,
    }
    their_accounts = (await api.get("/api/v1/reports/accounts", headers=supervisor)).json()
    assert [r["account_id"] for r in their_accounts["accounts"]] == [world.account_a.id]
    their_leads = (await api.get("/api/v1/reports/leads", headers=supervisor)).json()
    assert their_leads["total"] == 1
    for kind in ("agents", "accounts", "leads"):
        denied = await api.get(f"/api/v1/reports/{kind}", headers=bearer(world.tokens["agent_a"]))
        assert denied.status_code == 403

    bad = await api.get("/api/v1/reports/agents?since=2026-13-01", headers=owner)
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["field"] == "since"
    backwards = await api.get(
        "/api/v1/reports/agents?since=2026-02-02&until=2026-02-01", headers=owner
    )
    assert backwards.status_code == 400


async def test_csv_export_is_streamed_safe_and_audited(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    await _seed(services, world)
    owner = bearer(world.tokens["owner"])
    response = await api.get("/api/v1/reports/accounts/csv?period=30d", headers=owner)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment;" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["level", "platform", "account_id", "account", "inbound", "outbound"]
    assert ["account", "sandbox", world.account_b.id, "'=Evil()", "1", "1"] in table
    assert ["platform", "sandbox", "", "", "4", "5"] in table

    leads = await api.get("/ui/reports/export?kind=leads&period=7d", headers=owner)
    assert leads.status_code == 200 and len(list(csv.reader(io.StringIO(leads.text)))) == 3
    unknown = await api.get("/api/v1/reports/contacts/csv", headers=owner)
    assert unknown.status_code == 400

    async with services.read_sessionmaker() as session:
        exports = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "report.export")
                .order_by(AuditEvent.seq)
            )
        ).all()
    assert [(e.target_id, e.data["rows"], e.actor_id) for e in exports] == [
        ("accounts", 3, world.users["owner"].id),
        ("leads", 2, world.users["owner"].id),
    ]


async def test_reports_page_renders_tables_and_charts(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    await _seed(services, world)
    page = await api.get("/ui/reports?period=30d", headers=bearer(world.tokens["owner"]))
    assert page.status_code == 200
    assert 'id="volume-chart"' in page.text and 'id="leads-chart"' in page.text
    assert "<polyline" in page.text and "agent_a" in page.text
    assert 'id="leads-total">3<' in page.text
    assert "/ui/reports/export?kind=leads&amp;period=30d" in page.text
    custom = await api.get(
        f"/ui/reports?since={D2.date().isoformat()}&until={D1.date().isoformat()}",
        headers=bearer(world.tokens["supervisor"]),
    )
    assert custom.status_code == 200 and 'id="leads-total">1<' in custom.text
    assert (
        await api.get("/ui/reports", headers=bearer(world.tokens["agent_b"]))
    ).status_code == 403


async def test_merged_contacts_count_as_one_lead(services: Services, world: DemoWorld) -> None:
    """Two different identities merged into one person (contact.person_id) are one lead."""
    await _seed(services, world)
    person = new_id()
    async with transaction(services.sessionmaker) as session:
        for account, who in ((world.account_a, "tg-1"), (world.account_b, "wa-9")):
            merged = Contact(
                id=new_id(),
                workspace_id=world.workspace_id,
                account_id=account.id,
                platform_user_id=who,
                display_name=who,
                created_at=D1,
            )
            merged.person_id = person
            session.add(merged)
    async with services.read_sessionmaker() as session:
        report = await lead_report(
            session, ReportScope(world.workspace_id, None), choose_period("7d", None, None)
        )
    assert report.total == 3  # +111, +222 and the merged person


def test_csv_lines_quote_formulas() -> None:
    lines = list(csv_lines([["a", "b"], ["=1+1", "@x"], ["-2", "plain, with comma"]]))
    assert lines == ["a,b\r\n", "'=1+1,'@x\r\n", '\'-2,"plain, with comma"\r\n']
