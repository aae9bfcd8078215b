"""Egress IP checks through each account's own proxy (a local forward proxy leaving from
127.0.0.2 or 127.0.0.3, and a local IP-echo server): recorded, a change audited and alerted,
accounts set up apart but sharing an address flagged once. Both databases."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update
from tests.factories import DemoWorld
from tests.fakes.egress import EchoServer, ForwardProxy

from crossdesk.actions.account_egress import check_egress, egress_views
from crossdesk.actions.identity import principal_for
from crossdesk.db.models import AccountEgress, AuditEvent, ChannelAccount, RiskAlert
from crossdesk.db.session import transaction
from crossdesk.errors import PermissionDenied
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.health import HealthWorker


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    server = EchoServer({"127.0.0.2": "DE", "127.0.0.3": "US"}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxies() -> Iterator[dict[str, ForwardProxy]]:
    running = {
        name: ForwardProxy(ip).start()
        for name, ip in (("de-1", "127.0.0.2"), ("us-1", "127.0.0.3"), ("de-2", "127.0.0.2"))
    }
    yield running
    for proxy in running.values():
        proxy.stop()


async def set_proxy(services: Services, account_id: str, proxy_url: str | None) -> None:
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(ChannelAccount)
            .where(ChannelAccount.id == account_id)
            .values(proxy_url=proxy_url)
        )


async def egress_of(services: Services, account_id: str) -> AccountEgress:
    async with services.read_sessionmaker() as session:
        row = await session.get(AccountEgress, account_id)
        assert row is not None
        return row


async def alerts(services: Services) -> list[RiskAlert]:
    async with services.read_sessionmaker() as session:
        return list(
            await session.scalars(
                select(RiskAlert)
                .where(RiskAlert.kind.like("account.egress%"))
                .order_by(RiskAlert.created_at)
            )
        )


async def test_egress_recorded_changes_alerted_and_sharing_flagged(
    services: Services,
    world: DemoWorld,
    echo: EchoServer,
    proxies: dict[str, ForwardProxy],
) -> None:
    services.settings.sessions.egress_echo_url = f"{echo.base_url}/json"
    a, b = world.account_a.id, world.account_b.id
    await set_proxy(services, a, proxies["de-1"].url)
    await set_proxy(services, b, proxies["us-1"].url)
    worker = HealthWorker(services)  # the real client: through each account's proxy

    await worker.run_once()
    first_a, first_b = await egress_of(services, a), await egress_of(services, b)
    assert (first_a.ip, first_a.country, first_a.via_proxy) == ("127.0.0.2", "DE", True)
    assert (first_b.ip, first_b.country) == ("127.0.0.3", "US")
    assert proxies["de-1"].requests and proxies["us-1"].requests  # really through them
    assert await alerts(services) == []
    views = await egress_views(services, world.workspace_id, [a, b])
    assert views[a].shared_with == () and views[b].shared_with == ()

    # Account B's proxy is swapped for one that leaves from A's address (and country).
    await set_proxy(services, b, proxies["de-2"].url)
    await worker.run_once()
    moved = await egress_of(services, b)
    assert (moved.ip, moved.country, moved.previous_ip, moved.previous_country) == (
        "127.0.0.2",
        "DE",
        "127.0.0.3",
        "US",
    )
    raised = await alerts(services)
    assert sorted(x.kind for x in raised) == ["account.egress", "account.egress_shared"]
    shared_alert = next(x for x in raised if x.kind == "account.egress_shared")
    assert "same IP 127.0.0.2" in shared_alert.summary
    views = await egress_views(services, world.workspace_id, [a, b])
    assert views[a].shared_with == ("Account acc-b",)
    assert views[b].shared_with == ("Account acc-a",)
    async with services.read_sessionmaker() as session:
        change = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "account.egress_changed")
            )
        ).one()
    assert change.target_id == b
    assert change.data == {
        "from": "127.0.0.3",
        "to": "127.0.0.2",
        "country_from": "US",
        "country_to": "DE",
    }

    await worker.run_once()  # nothing new: no new alert
    assert len(await alerts(services)) == 2

    # Both on the same proxy on purpose: sharing is expected, not flagged.
    await set_proxy(services, a, proxies["de-2"].url)
    views = await egress_views(services, world.workspace_id, [a, b])
    assert views[a].shared_with == () and views[b].shared_with == ()


async def test_manual_check_is_for_managers_and_records_failures(
    services: Services, world: DemoWorld, echo: EchoServer
) -> None:
    async with services.read_sessionmaker() as session:
        owner = await principal_for(session, world.users["owner"])
        agent = await principal_for(session, world.users["agent_a"])
    services.settings.sessions.egress_echo_url = f"{echo.base_url}/plain"
    with pytest.raises(PermissionDenied):
        await check_egress(services, agent, world.account_a.id, audit.SYSTEM)
    direct = await check_egress(services, owner, world.account_a.id, audit.SYSTEM)
    assert (direct.ip, direct.country, direct.error) == ("127.0.0.1", None, None)
    row = await egress_of(services, world.account_a.id)
    assert row.ip == "127.0.0.1" and row.via_proxy is False

    await set_proxy(services, world.account_a.id, "http://127.0.0.1:9")  # nothing listens
    failed = await check_egress(services, owner, world.account_a.id, audit.SYSTEM)
    assert failed.ip is None and failed.error
    row = await egress_of(services, world.account_a.id)
    assert row.ip == "127.0.0.1"  # the last good answer is kept
    assert row.error == failed.error
