"""The accounts admin page: adding a platform account (secrets into the vault, never echoed),
webhook URL, "test connection" against the fake platforms with no database session held,
health recorded, read-only view for agents, force check-in."""

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.factories import PASSWORD, DemoWorld, bearer
from tests.fakes.platforms.server import RunningServer
from tests.fakes.platforms.telegram import FakeTelegramBotApi

from crossdesk.actions import account_health, sessions
from crossdesk.actions.account_health import NewAccount, add_account, check_connection
from crossdesk.actions.identity import principal_for
from crossdesk.channels.base import AccountContext
from crossdesk.db.models import AuditEvent, ChannelAccount, Secret, User
from crossdesk.errors import InvalidInput
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

TOKEN = "7012345678:AAH-fake-token-5b1d9e"


@pytest.fixture(scope="module")
def fake_telegram() -> Iterator[tuple[FakeTelegramBotApi, str]]:
    fake = FakeTelegramBotApi()
    server = RunningServer(fake.app).start()
    try:
        yield fake, server.base_url
    finally:
        server.stop()


@pytest.fixture
def telegram(fake_telegram: tuple[FakeTelegramBotApi, str]) -> tuple[FakeTelegramBotApi, str]:
    fake, base = fake_telegram
    fake.reset()
    fake.token = TOKEN
    return fake, base


async def _log_in(client: httpx.AsyncClient, email: str) -> str:
    await client.post("/login", data={"email": email, "password": PASSWORD})
    page = await client.get("/ui/accounts")
    assert page.status_code == 200, page.text
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def _principal(services: Services, user: User) -> Principal:
    async with services.read_sessionmaker() as session:
        return await principal_for(session, user)


async def _account(services: Services, name: str) -> ChannelAccount:
    async with services.read_sessionmaker() as session:
        row = await session.scalar(select(ChannelAccount).where(ChannelAccount.name == name))
    assert row is not None
    return row


async def test_owner_adds_a_telegram_bot_and_tests_the_connection(
    client: httpx.AsyncClient,
    sqlite_services: Services,
    app_world: DemoWorld,
    telegram: tuple[FakeTelegramBotApi, str],
) -> None:
    fake, base = telegram
    inbox = await client.post(
        "/login", data={"email": app_world.users["owner"].email, "password": PASSWORD}
    )
    assert inbox.status_code in (200, 303)
    assert 'id="accounts-link"' in (await client.get("/ui/inbox")).text
    csrf = await _log_in(client, app_world.users["owner"].email)

    added = await client.post(
        "/ui/accounts",
        data={
            "csrf_token": csrf,
            "kind": "telegram_bot",
            "name": "RU support bot",
            "external_id": "",
            "team_id": app_world.team_a,
            "proxy_url": "",
            "secret_bot_token": TOKEN,
            "secret_webhook_secret": "",
            "config_api_base_url": base,
        },
    )
    assert added.status_code == 303
    page = await client.get(added.headers["location"])
    assert page.status_code == 200
    account = await _account(sqlite_services, "RU support bot")
    assert account.external_id == "7012345678"  # taken from the token
    assert account.health == "unchecked"
    assert account.team_id == app_world.team_a
    webhook = f"{sqlite_services.settings.web.public_url}/webhooks/telegram_bot/{account.id}"
    assert webhook in page.text
    assert TOKEN not in page.text and TOKEN.split(":")[1] not in page.text

    # Sealed in the vault: a generated webhook secret and the token, neither in plain text.
    async with sqlite_services.read_sessionmaker() as session:
        secrets = (await session.scalars(select(Secret).where(Secret.owner_id == account.id))).all()
        created = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "account.create", AuditEvent.target_id == account.id
            )
        )
    assert sorted(s.name for s in secrets) == ["bot_token", "webhook_secret"]
    assert all(TOKEN.encode() not in s.blob for s in secrets)
    assert created is not None and TOKEN not in json.dumps(created.data)

    tested = await client.post(f"/ui/accounts/{account.id}/test", headers={"X-CSRF-Token": csrf})
    assert tested.status_code == 200
    assert 'data-health="connected"' in tested.text
    assert "@crossdesk_support_bot" in tested.text
    assert [r.path for r in fake.requests] == ["/bot<token>/getMe"]
    assert (await _account(sqlite_services, "RU support bot")).health == "connected"

    # A revoked token turns the health to auth_failed, recorded in the audit log.
    fake.token = "7012345678:another"
    failed = await client.post(f"/ui/accounts/{account.id}/test", headers={"X-CSRF-Token": csrf})
    assert 'data-health="auth_failed"' in failed.text
    assert (await _account(sqlite_services, "RU support bot")).health == "auth_failed"
    page = await client.get("/ui/accounts")
    assert "the platform refused the credentials" in page.text


async def test_invalid_form_is_refused_without_echoing_secrets(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    csrf = await _log_in(client, app_world.users["owner"].email)
    refused = await client.post(
        "/ui/accounts",
        data={
            "csrf_token": csrf,
            "kind": "line",
            "name": "LINE TW",
            "external_id": "",
            "secret_channel_access_token": "line-token-never-echoed",
            "secret_channel_secret": "line-secret-never-echoed",
        },
    )
    assert refused.status_code == 400
    assert "Bot user id" in refused.text
    assert "never-echoed" not in refused.text
    assert 'value="LINE TW"' in refused.text  # the non-secret fields come back
    async with sqlite_services.read_sessionmaker() as session:
        names = (await session.scalars(select(ChannelAccount.name))).all()
    assert "LINE TW" not in names

    twice = {
        "csrf_token": csrf,
        "kind": "telegram_bot",
        "name": "bot",
        "secret_bot_token": TOKEN,
        "proxy_url": "http://shop:proxy-pass-9f1@10.0.0.5:3128",
    }
    assert (await client.post("/ui/accounts", data=twice)).status_code == 303
    page = await client.get("/ui/accounts")
    assert "http://shop:***@10.0.0.5:3128" in page.text  # the proxy, not its password
    assert "proxy-pass-9f1" not in page.text
    again = await client.post("/ui/accounts", data=twice)
    assert again.status_code == 409
    sandbox = await client.post(
        "/ui/accounts", data={"csrf_token": csrf, "kind": "sandbox", "name": "x"}
    )
    assert sandbox.status_code == 400


async def test_agents_see_their_teams_accounts_read_only(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    agent = app_world.tokens["agent_b"]
    page = await client.get("/ui/accounts", headers=bearer(agent))
    assert page.status_code == 200
    assert app_world.account_b.name in page.text
    assert app_world.account_a.name not in page.text  # another team's account
    assert "Test connection" not in page.text and "Add an account" not in page.text
    test = await client.post(f"/ui/accounts/{app_world.account_b.id}/test", headers=bearer(agent))
    assert test.status_code == 403
    auditor = await client.get("/ui/accounts", headers=bearer(app_world.tokens["auditor"]))
    assert auditor.status_code == 403


async def test_force_check_in_from_the_page(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    owner = await _principal(sqlite_services, app_world.users["owner"])
    agent = await _principal(sqlite_services, app_world.users["agent_a"])
    state = json.dumps({"cookies": [], "origins": []}).encode()
    account_id = app_world.account_a.id
    await sessions.capture_session(sqlite_services, owner, account_id, state, audit.SYSTEM)
    await sessions.checkout_session(sqlite_services, agent, account_id, audit.SYSTEM)

    csrf = await _log_in(client, app_world.users["owner"].email)
    page = await client.get("/ui/accounts")
    row = page.text.split(f'id="account-{account_id}"')[1].split("</tr>")[0]
    assert "checked out by" in row and "agent_a" in row
    done = await client.post(f"/ui/accounts/{account_id}/checkin", data={"csrf_token": csrf})
    assert done.status_code == 303
    status = await sessions.session_status(sqlite_services, owner, account_id)
    assert status.leased_to is None
    page = await client.get("/ui/accounts")
    row = page.text.split(f'id="account-{account_id}"')[1].split("</tr>")[0]
    assert "checked out by" not in row


def _recording(replies: dict[str, httpx.Response], seen: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return replies.get(request.url.path, httpx.Response(404, json={}))

    return handler


@pytest.mark.parametrize(
    ("kind", "secrets", "path", "reply", "detail"),
    [
        (
            "whatsapp",
            {"access_token": "wa-tok", "app_secret": "s", "verify_token": "v"},
            "/v21.0/1065432100/",
            {"id": "1065432100", "display_phone_number": "+1 555 0100"},
            "+1 555 0100",
        ),
        (
            "messenger",
            {"access_token": "wa-tok", "app_secret": "s", "verify_token": "v"},
            "/v21.0/me",
            {"id": "1065432100", "name": "Shop Page"},
            "Shop Page",
        ),
        (
            "line",
            {"channel_access_token": "wa-tok", "channel_secret": "s"},
            "/v2/bot/info",
            {"userId": "U1", "basicId": "@shop", "displayName": "Shop TW"},
            "Shop TW",
        ),
    ],
)
async def test_connection_probe_per_platform_holds_no_session(
    sqlite_services: Services,
    app_world: DemoWorld,
    kind: str,
    secrets: dict[str, str],
    path: str,
    reply: dict[str, str],
    detail: str,
) -> None:
    owner = await _principal(sqlite_services, app_world.users["owner"])
    account = await add_account(
        sqlite_services,
        owner,
        NewAccount(
            kind=kind,
            name=f"{kind} account",
            external_id="1065432100",
            proxy_url="http://127.0.0.1:3128",
            secrets=secrets,
            config={"api_base_url": "https://platform.test"},
        ),
        audit.SYSTEM,
    )
    seen: list[httpx.Request] = []
    pool_in_use: list[int] = []
    proxies: list[str | None] = []

    def factory(context: AccountContext) -> httpx.AsyncClient:
        proxies.append(context.proxy_url)
        # No connection may be checked out while the platform answers (ADR 0002).
        pool_in_use.append(sqlite_services.engine.pool.checkedout())  # type: ignore[attr-defined]
        replies = {path.rstrip("/"): httpx.Response(200, json=reply)}
        return httpx.AsyncClient(transport=httpx.MockTransport(_recording(replies, seen)))

    result = await check_connection(
        sqlite_services, owner, account.id, audit.SYSTEM, client_factory=factory
    )
    assert result.health == "connected" and result.detail == detail
    assert pool_in_use == [0]
    assert proxies == ["http://127.0.0.1:3128"]
    assert seen[0].headers["authorization"] == "Bearer wa-tok"
    assert (await _account(sqlite_services, f"{kind} account")).health == "connected"

    def down(context: AccountContext) -> httpx.AsyncClient:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        return httpx.AsyncClient(transport=httpx.MockTransport(refuse))

    unreachable = await check_connection(
        sqlite_services, owner, account.id, audit.SYSTEM, client_factory=down
    )
    assert unreachable.health == "unreachable"
    assert account_health.PLATFORM_FORMS  # every platform form is listed on the page


async def test_team_assignment_and_telegram_webhook_registration(
    client: httpx.AsyncClient,
    sqlite_services: Services,
    app_world: DemoWorld,
    telegram: tuple[FakeTelegramBotApi, str],
) -> None:
    fake, base = telegram
    owner = await _principal(sqlite_services, app_world.users["owner"])
    account = await add_account(
        sqlite_services,
        owner,
        NewAccount(
            kind="telegram_bot",
            name="Bot B",
            secrets={"bot_token": TOKEN, "webhook_secret": "s3cr3t_-token"},
            config={"api_base_url": base},
        ),
        audit.SYSTEM,
    )
    csrf = await _log_in(client, app_world.users["owner"].email)
    moved = await client.post(
        f"/ui/accounts/{account.id}/team",
        data={"csrf_token": csrf, "team_id": app_world.team_b},
    )
    assert moved.status_code == 303
    assert (await _account(sqlite_services, "Bot B")).team_id == app_world.team_b
    agent_b = await client.get("/ui/accounts", headers=bearer(app_world.tokens["agent_b"]))
    assert "Bot B" in agent_b.text  # now visible to team B
    bad = await client.post(
        f"/ui/accounts/{account.id}/team", data={"csrf_token": csrf, "team_id": "nope"}
    )
    assert bad.status_code == 400

    registered = await client.post(
        f"/ui/accounts/{account.id}/webhook", headers={"X-CSRF-Token": csrf}
    )
    assert registered.status_code == 200 and 'data-ok="true"' in registered.text
    public = sqlite_services.settings.web.public_url
    assert fake.webhook == {
        "url": f"{public}/webhooks/telegram_bot/{account.id}",
        "secret_token": "s3cr3t_-token",
    }
    fake.token = "7012345678:revoked"
    refused = await client.post(
        f"/ui/accounts/{account.id}/webhook", headers={"X-CSRF-Token": csrf}
    )
    assert 'data-ok="false"' in refused.text and "setWebhook failed" in refused.text
    sandbox = await client.post(
        f"/ui/accounts/{app_world.account_a.id}/webhook", headers={"X-CSRF-Token": csrf}
    )
    assert sandbox.status_code == 400


async def test_an_email_account_with_a_proxy_mail_cannot_use_is_refused_at_creation(
    sqlite_services: Services, app_world: DemoWorld
) -> None:
    owner = await _principal(sqlite_services, app_world.users["owner"])
    spec = NewAccount(
        kind="email",
        name="Support mailbox",
        external_id="support@shop.example",
        proxy_url="https://proxy.example:8443",
        secrets={"password": "mailbox-pass"},
        config={"imap_host": "imap.shop.example", "smtp_host": "smtp.shop.example"},
    )
    with pytest.raises(InvalidInput) as refused:
        await add_account(sqlite_services, owner, spec, audit.SYSTEM)
    assert refused.value.fields["field"] == "proxy_url"
    async with sqlite_services.read_sessionmaker() as session:
        assert (
            await session.scalar(
                select(ChannelAccount).where(ChannelAccount.name == "Support mailbox")
            )
            is None
        )
