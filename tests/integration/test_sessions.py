"""Account browser sessions: capture, lease, check-in, force check-in, scoping, secrecy."""

import gzip
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import DemoWorld, bearer

from crossdesk.actions import sessions
from crossdesk.actions.identity import principal_for
from crossdesk.db.models import AccountSession, AuditEvent, User
from crossdesk.db.session import transaction
from crossdesk.errors import Conflict, NotFound, PermissionDenied, VaultError
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

COOKIE = "sid-planted-5f0c1e9b7a2d4c38"
LOCAL = "device-planted-91a7c3e0"


def storage_state(cookie: str = COOKIE, local: str = LOCAL) -> bytes:
    """A Playwright storage state with a cookie, localStorage and IndexedDB."""
    return json.dumps(
        {
            "cookies": [
                {
                    "name": "sid",
                    "value": cookie,
                    "domain": "127.0.0.1",
                    "path": "/",
                    "expires": -1,
                    "httpOnly": True,
                    "secure": False,
                    "sameSite": "Lax",
                }
            ],
            "origins": [
                {
                    "origin": "http://127.0.0.1:9",
                    "localStorage": [{"name": "device", "value": local}],
                    "indexedDB": [
                        {
                            "name": "app",
                            "version": 1,
                            "stores": [
                                {
                                    "name": "keys",
                                    "keyPathArray": None,
                                    "keyPath": None,
                                    "autoIncrement": False,
                                    "indexes": [],
                                    "records": [{"key": "k", "value": {"secret": local}}],
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    ).encode()


async def principal(services: Services, user: User) -> Principal:
    async with services.read_sessionmaker() as session:
        return await principal_for(session, user)


async def captured(services: Services, world: DemoWorld) -> None:
    owner = await principal(services, world.users["owner"])
    await sessions.capture_session(
        services, owner, world.account_a.id, storage_state(), audit.SYSTEM
    )


async def test_capture_checkout_refused_while_leased_then_checkin(
    services: Services, world: DemoWorld
) -> None:
    await captured(services, world)
    agent = await principal(services, world.users["agent_a"])
    supervisor = await principal(services, world.users["supervisor"])
    account = world.account_a.id

    first = await sessions.checkout_session(services, agent, account, audit.SYSTEM)
    assert json.loads(first.state)["cookies"][0]["value"] == COOKIE
    assert COOKIE not in repr(first) and first.lease_token not in repr(first)

    with pytest.raises(Conflict, match="checked out by agent_a") as refused:
        await sessions.checkout_session(services, supervisor, account, audit.SYSTEM)
    assert COOKIE not in refused.value.message
    # Not even the holder opens a second window without saying so.
    with pytest.raises(Conflict):
        await sessions.checkout_session(services, agent, account, audit.SYSTEM)

    status = await sessions.session_status(services, supervisor, account)
    assert status.leased_to == world.users["agent_a"].id and status.leased_to_name == "agent_a"

    await sessions.renew_lease(services, agent, account, first.lease_token)
    updated = storage_state(cookie="sid-after-use-77")
    after = await sessions.checkin_session(
        services, agent, account, first.lease_token, updated, audit.SYSTEM
    )
    assert after.version == 2 and after.leased_to is None

    second = await sessions.checkout_session(services, supervisor, account, audit.SYSTEM)
    assert json.loads(second.state)["cookies"][0]["value"] == "sid-after-use-77"
    assert second.version == 2


async def test_team_scope_and_permissions(services: Services, world: DemoWorld) -> None:
    await captured(services, world)
    other_team = await principal(services, world.users["agent_b"])
    auditor = await principal(services, world.users["auditor"])
    agent = await principal(services, world.users["agent_a"])
    with pytest.raises(NotFound):
        await sessions.checkout_session(services, other_team, world.account_a.id, audit.SYSTEM)
    with pytest.raises(PermissionDenied):
        await sessions.checkout_session(services, auditor, world.account_a.id, audit.SYSTEM)
    with pytest.raises(PermissionDenied):
        await sessions.capture_session(
            services, agent, world.account_a.id, storage_state(), audit.SYSTEM
        )
    with pytest.raises(PermissionDenied):
        await sessions.force_checkin(services, agent, world.account_a.id, audit.SYSTEM)
    with pytest.raises(NotFound, match="no browser session has been captured"):
        await sessions.checkout_session(services, other_team, world.account_b.id, audit.SYSTEM)
    assert [s.account_id for s in await sessions.list_sessions(services, agent)] == [
        world.account_a.id
    ]
    assert await sessions.list_sessions(services, other_team) == []


async def test_force_checkin_ends_the_lease_and_discards_the_holders_state(
    services: Services, world: DemoWorld
) -> None:
    await captured(services, world)
    agent = await principal(services, world.users["agent_a"])
    owner = await principal(services, world.users["owner"])
    held = await sessions.checkout_session(services, agent, world.account_a.id, audit.SYSTEM)
    released = await sessions.force_checkin(services, owner, world.account_a.id, audit.SYSTEM)
    assert released.leased_to is None
    with pytest.raises(Conflict, match="no longer hold"):
        await sessions.checkin_session(
            services,
            agent,
            world.account_a.id,
            held.lease_token,
            storage_state("stale"),
            audit.SYSTEM,
        )
    again = await sessions.checkout_session(services, owner, world.account_a.id, audit.SYSTEM)
    assert json.loads(again.state)["cookies"][0]["value"] == COOKIE


async def test_takeover_of_your_own_lease_only(services: Services, world: DemoWorld) -> None:
    await captured(services, world)
    agent = await principal(services, world.users["agent_a"])
    supervisor = await principal(services, world.users["supervisor"])
    first = await sessions.checkout_session(services, agent, world.account_a.id, audit.SYSTEM)
    with pytest.raises(Conflict):
        await sessions.checkout_session(
            services, supervisor, world.account_a.id, audit.SYSTEM, takeover=True
        )
    again = await sessions.checkout_session(
        services, agent, world.account_a.id, audit.SYSTEM, takeover=True
    )
    with pytest.raises(Conflict):  # the first launcher's token is dead
        await sessions.checkin_session(
            services, agent, world.account_a.id, first.lease_token, None, audit.SYSTEM
        )
    await sessions.checkin_session(
        services, agent, world.account_a.id, again.lease_token, None, audit.SYSTEM
    )


async def test_audit_records_every_use_without_the_state(
    services: Services, world: DemoWorld
) -> None:
    await captured(services, world)
    agent = await principal(services, world.users["agent_a"])
    held = await sessions.checkout_session(services, agent, world.account_a.id, audit.SYSTEM)
    await sessions.checkin_session(
        services, agent, world.account_a.id, held.lease_token, storage_state(), audit.SYSTEM
    )
    async with services.read_sessionmaker() as session:
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like("session.%"))
                .order_by(AuditEvent.seq)
            )
        ).all()
    assert [e.action for e in events] == ["session.capture", "session.checkout", "session.checkin"]
    dumped = json.dumps([e.data for e in events])
    assert COOKIE not in dumped and LOCAL not in dumped and held.lease_token not in dumped
    assert events[2].data["cookies"] == 1


async def test_tampered_state_is_named_and_leases_nothing(
    services: Services, world: DemoWorld
) -> None:
    await captured(services, world)
    async with transaction(services.sessionmaker) as session:
        row = await session.scalar(select(AccountSession))
        assert row is not None
        blob = bytearray(row.state_enc)
        blob[-5] ^= 0x40
        await session.execute(
            update(AccountSession).where(AccountSession.id == row.id).values(state_enc=bytes(blob))
        )
    agent = await principal(services, world.users["agent_a"])
    with pytest.raises(VaultError, match=f"account_session {row.id}.*failed authentication"):
        await sessions.checkout_session(services, agent, world.account_a.id, audit.SYSTEM)
    status = await sessions.session_status(services, agent, world.account_a.id)
    assert status.leased_to is None


async def test_cookie_never_reaches_the_database_file_in_clear(
    sqlite_services: Services, app_world: DemoWorld, tmp_path: Path
) -> None:
    await captured(sqlite_services, app_world)
    agent = await principal(sqlite_services, app_world.users["agent_a"])
    held = await sessions.checkout_session(
        sqlite_services, agent, app_world.account_a.id, audit.SYSTEM
    )
    await sessions.checkin_session(
        sqlite_services,
        agent,
        app_world.account_a.id,
        held.lease_token,
        storage_state(),
        audit.SYSTEM,
    )
    contents = database_files(tmp_path)
    assert contents
    for content in contents:
        assert COOKIE.encode() not in content
        assert LOCAL.encode() not in content
        assert held.lease_token.encode() not in content


def database_files(directory: Path) -> list[bytes]:
    """The SQLite database with its WAL and shared-memory files."""
    return [path.read_bytes() for path in directory.glob("test.db*")]


# -- HTTP API --------------------------------------------------------------------------


async def test_api_capture_checkout_conflict_checkin_release(
    client: httpx.AsyncClient, app_world: DemoWorld
) -> None:
    account = app_world.account_a.id
    base = f"/api/v1/accounts/{account}/session"
    owner, agent = bearer(app_world.tokens["owner"]), bearer(app_world.tokens["agent_a"])
    supervisor = bearer(app_world.tokens["supervisor"])

    denied = await client.put(base, content=storage_state(), headers=agent)
    assert denied.status_code == 403
    put = await client.put(
        base,
        content=gzip.compress(storage_state()),
        headers={**owner, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert put.status_code == 200, put.text
    assert COOKIE not in put.text and put.json()["version"] == 1

    out = await client.post(f"{base}/checkout", headers=agent)
    assert out.status_code == 200, out.text
    assert out.headers["cache-control"].startswith("no-store")
    body = out.json()
    assert body["state"]["cookies"][0]["value"] == COOKIE
    lease = body["lease_token"]

    refused = await client.post(f"{base}/checkout", headers=supervisor)
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"]["holder"] == "agent_a"

    listed = await client.get("/api/v1/sessions", headers=supervisor)
    assert listed.json()[0]["leased_to_name"] == "agent_a"
    assert COOKIE not in listed.text and lease not in listed.text

    renewed = await client.post(f"{base}/renew", headers={**agent, "X-Crossdesk-Lease": lease})
    assert renewed.status_code == 200
    back = await client.post(
        f"{base}/checkin",
        content=storage_state("sid-2"),
        headers={**agent, "X-Crossdesk-Lease": lease},
    )
    assert back.status_code == 200 and back.json()["version"] == 2

    again = (await client.post(f"{base}/checkout", headers=supervisor)).json()
    assert again["state"]["cookies"][0]["value"] == "sid-2"
    forbidden = await client.post(f"{base}/release", headers=agent)
    assert forbidden.status_code == 403
    released = await client.post(f"{base}/release", headers=owner)
    assert released.status_code == 200 and released.json()["leased_to"] is None
    late = await client.post(
        f"{base}/checkin",
        content=storage_state("sid-3"),
        headers={**supervisor, "X-Crossdesk-Lease": again["lease_token"]},
    )
    assert late.status_code == 409


@pytest.mark.parametrize(
    ("body", "headers", "problem"),
    [
        (b"not json", {}, "not JSON"),
        (b"[]", {}, "JSON object"),
        (b'{"cookies": []}', {}, "'cookies' and 'origins'"),
        (b"\x1f\x8b garbage", {"Content-Encoding": "gzip"}, "not valid gzip"),
        (b"{}", {"Content-Encoding": "br"}, "gzip or identity"),
    ],
)
async def test_api_rejects_bad_states_clearly(
    client: httpx.AsyncClient,
    app_world: DemoWorld,
    body: bytes,
    headers: dict[str, str],
    problem: str,
) -> None:
    response = await client.put(
        f"/api/v1/accounts/{app_world.account_a.id}/session",
        content=body,
        headers={**bearer(app_world.tokens["owner"]), **headers},
    )
    assert response.status_code == 400
    assert problem in response.json()["error"]["message"]


async def test_refused_checkouts_are_audited_with_who_and_why(
    services: Services, world: DemoWorld
) -> None:
    await captured(services, world)
    agent = await principal(services, world.users["agent_a"])
    supervisor = await principal(services, world.users["supervisor"])
    auditor = await principal(services, world.users["auditor"])
    other_team = await principal(services, world.users["agent_b"])
    owner = await principal(services, world.users["owner"])
    account = world.account_a.id
    held = await sessions.checkout_session(services, agent, account, audit.SYSTEM)
    with pytest.raises(Conflict):
        await sessions.checkout_session(services, supervisor, account, audit.SYSTEM)
    with pytest.raises(PermissionDenied):
        await sessions.checkout_session(services, auditor, account, audit.SYSTEM)
    with pytest.raises(NotFound):
        await sessions.checkout_session(services, other_team, account, audit.SYSTEM)
    with pytest.raises(NotFound, match="no browser session"):
        await sessions.checkout_session(services, owner, world.account_b.id, audit.SYSTEM)
    await sessions.checkin_session(services, agent, account, held.lease_token, None, audit.SYSTEM)
    async with transaction(services.sessionmaker) as session:
        row = await session.get(type(world.account_a), account)
        assert row is not None
        row.archived = True
    with pytest.raises(Conflict, match="archived"):
        await sessions.checkout_session(services, owner, account, audit.SYSTEM)
    async with services.read_sessionmaker() as session:
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "session.checkout_refused")
                .order_by(AuditEvent.seq)
            )
        ).all()
    seen = [(e.data["user_id"], e.data["reason"]) for e in events]
    assert seen == [
        (supervisor.user_id, "leased"),
        (auditor.user_id, "permission"),
        (other_team.user_id, "no_account"),
        (owner.user_id, "no_session"),
        (owner.user_id, "archived"),
    ]
    assert events[0].data["holder"] == "agent_a" and events[0].data["since"]
    assert events[0].target_id == account
    dumped = json.dumps([e.data for e in events])
    assert COOKIE not in dumped and held.lease_token not in dumped
