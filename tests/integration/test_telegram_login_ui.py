"""Logging a Telegram user account in from the accounts page, against the local fake MTProto
server (real key exchange, encrypted RPC, SRP for the 2FA password).

The flow is driven through the web routes as an admin would: phone → code (→ password).
Between the requests the half-done login lives sealed in the vault only; the pages, cookies,
audit details and logs never carry the session, the phone_code_hash or the raw phone number.
"""

import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.factories import PASSWORD, DemoWorld, asgi_client, build_world
from tests.fakes.platforms.mtproto import Account, FakeMTProto

from crossdesk.actions.accounts import account_context
from crossdesk.actions.identity import create_user
from crossdesk.actions.telegram_login_flow import OWNER_TYPE, PENDING_TTL
from crossdesk.actions.vault_rotation import verify_vault
from crossdesk.channels.telegram_user import login as steps
from crossdesk.channels.telegram_user.settings import telegram_user_settings
from crossdesk.db.base import utcnow
from crossdesk.db.models import AuditEvent, ChannelAccount, Secret
from crossdesk.db.session import transaction
from crossdesk.domain import Role
from crossdesk.errors import InvalidInput
from crossdesk.services import Services
from crossdesk.web.app import create_app

PHONE = "+15550001234"
CODE = "24680"
PHONE_2FA = "+15550009876"
PASSWORD_2FA = "correct horse battery"
API_HASH = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMTProto]:
    async with FakeMTProto() as server:
        server.add_account(PHONE, CODE)
        server.add_account(PHONE_2FA, CODE, password=PASSWORD_2FA)
        yield server


@pytest.fixture
async def web(services: Services) -> AsyncIterator[tuple[httpx.AsyncClient, DemoWorld]]:
    world = await build_world(services)
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client, world


async def _log_in(client: httpx.AsyncClient, email: str) -> str:
    await client.post("/login", data={"email": email, "password": PASSWORD})
    page = await client.get("/ui/inbox")
    assert page.status_code == 200, page.text
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def _add(
    client: httpx.AsyncClient, csrf: str, world: DemoWorld, fake: FakeMTProto, phone: str
) -> str:
    """Add the account through the accounts page's form; returns its id."""
    added = await client.post(
        "/ui/accounts",
        data={
            "csrf_token": csrf,
            "kind": "telegram_user",
            "name": f"Shop Telegram {phone[-4:]}",
            "external_id": phone,
            "team_id": world.team_a,
            "proxy_url": "",
            "secret_api_hash": API_HASH,
            "config_api_id": "12345",
            "config_dc_host": "127.0.0.1",
            "config_dc_port": str(fake.port),
            "config_dc_id": "2",
        },
    )
    assert added.status_code == 303, added.text
    match = re.search(r"added=([0-9a-f]+)", added.headers["location"])
    assert match is not None
    return match.group(1)


def _login_id(page: httpx.Response) -> str:
    match = re.search(r'name="login" value="([0-9a-f]+)"', page.text)
    assert match is not None, page.text
    return match.group(1)


async def _send_code(client: httpx.AsyncClient, csrf: str, account_id: str, phone: str) -> str:
    sent = await client.post(
        f"/ui/accounts/{account_id}/telegram-login/send-code",
        data={"csrf_token": csrf, "phone": phone},
    )
    assert sent.status_code == 303, sent.text
    page = await client.get(f"/ui/accounts/{account_id}/telegram-login")
    assert 'data-step="code"' in page.text
    return _login_id(page)


async def _code(
    client: httpx.AsyncClient, csrf: str, account_id: str, login: str, code: str
) -> httpx.Response:
    return await client.post(
        f"/ui/accounts/{account_id}/telegram-login/code",
        data={"csrf_token": csrf, "login": login, "code": code},
    )


async def _password(
    client: httpx.AsyncClient, csrf: str, account_id: str, login: str, password: str
) -> httpx.Response:
    return await client.post(
        f"/ui/accounts/{account_id}/telegram-login/password",
        data={"csrf_token": csrf, "login": login, "password": password},
    )


async def _pending_rows(services: Services) -> list[Secret]:
    async with services.read_sessionmaker() as session:
        return list(
            (await session.scalars(select(Secret).where(Secret.owner_type == OWNER_TYPE))).all()
        )


async def _session_of(services: Services, account_id: str) -> str | None:
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        assert account is not None
        return (await account_context(services, session, account)).secrets.get("session")


async def _events(services: Services, action: str) -> list[AuditEvent]:
    async with services.read_sessionmaker() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
                )
            ).all()
        )


async def test_admin_adds_the_account_and_logs_it_in_with_the_code(
    services: Services,
    web: tuple[httpx.AsyncClient, DemoWorld],
    fake: FakeMTProto,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    accounts = await client.get("/ui/accounts")
    assert API_HASH not in accounts.text
    assert f'href="/ui/accounts/{account_id}/telegram-login"' in accounts.text
    assert 'data-logged-in="false"' in accounts.text

    start = await client.get(f"/ui/accounts/{account_id}/telegram-login")
    assert 'data-step="phone"' in start.text
    assert f'value="{PHONE}"' in start.text  # the account's number, offered
    login = await _send_code(client, csrf, account_id, PHONE)
    assert fake.requests.count("SendCodeRequest") == 1

    # Between the requests: one sealed vault row, nothing readable in it, the page or cookies.
    (row,) = await _pending_rows(services)
    assert row.id == login and row.owner_id != account_id
    page = await client.get(f"/ui/accounts/{account_id}/telegram-login")
    assert "+15•••••••34" in page.text and PHONE not in page.text
    phone_code_hash = fake._phone_hash[PHONE.lstrip("+")]
    for exposed in (row.blob, page.text.encode(), str(client.cookies.jar).encode()):
        assert phone_code_hash.encode() not in exposed
        assert PHONE.lstrip("+").encode() not in exposed
    # The account's own secrets (what adapters get) do not include the half-done login.
    assert await _session_of(services, account_id) is None
    # It is an ordinary vault record: `crossdesk vault verify` (and rotation) open it.
    verified = await verify_vault(services)
    assert verified.ok, verified.failures

    done = await _code(client, csrf, account_id, login, CODE)
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/ui/accounts?telegram_login={account_id}")
    session_string = await _session_of(services, account_id)
    assert session_string
    assert await _pending_rows(services) == []
    accounts = await client.get(done.headers["location"])
    assert 'id="telegram-logged-in"' in accounts.text
    assert 'data-logged-in="true"' in accounts.text and session_string not in accounts.text

    # The same audit event as the CLI login, by the admin; the code request, masked.
    (logged,) = await _events(services, "account.telegram_login")
    assert logged.actor_id == world.users["owner"].id and logged.target_id == account_id
    assert logged.data["telegram_user_id"] == fake.accounts[PHONE.lstrip("+")].user_id
    (sent,) = await _events(services, "account.telegram_login_code_sent")
    assert sent.data == {"phone": "+15•••••••34"}
    async with services.read_sessionmaker() as session:
        every = json.dumps([e.data for e in (await session.scalars(select(AuditEvent))).all()])
    assert PHONE.lstrip("+") not in every and session_string not in every
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert PHONE.lstrip("+") not in logs and session_string not in logs
    assert phone_code_hash not in logs

    # The saved session works on its own: the connection test logs in with no code.
    tested = await client.post(f"/ui/accounts/{account_id}/test", headers={"X-CSRF-Token": csrf})
    assert 'data-health="connected"' in tested.text


async def test_wrong_code_is_asked_again_then_the_right_one_logs_in(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    login = await _send_code(client, csrf, account_id, PHONE)

    wrong = await _code(client, csrf, account_id, login, "11111")
    assert wrong.status_code == 400
    assert "the code is wrong" in wrong.text
    assert 'data-step="code"' in wrong.text and _login_id(wrong) == login
    not_digits = await _code(client, csrf, account_id, login, "abc")
    assert not_digits.status_code == 400 and 'data-step="code"' in not_digits.text
    assert await _session_of(services, account_id) is None

    right = await _code(client, csrf, account_id, login, CODE)
    assert right.status_code == 303
    assert await _session_of(services, account_id)
    assert fake.requests.count("SignInRequest") == 2  # "abc" never went to Telegram
    refused = await _events(services, "account.telegram_login_refused")
    assert [e.data for e in refused] == [{"reason": "wrong_code", "phone": "+15•••••••34"}] * 2


async def test_too_many_wrong_codes_end_the_pending_login(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    login = await _send_code(client, csrf, account_id, PHONE)
    for _ in range(4):
        assert (await _code(client, csrf, account_id, login, "11111")).status_code == 400
    last = await _code(client, csrf, account_id, login, "11111")
    assert last.status_code == 400 and "wrong too many times" in last.text
    assert 'data-step="phone"' in last.text
    assert await _pending_rows(services) == []
    # Even the right code cannot continue a login that ended.
    late = await _code(client, csrf, account_id, login, CODE)
    assert late.status_code == 400 and "send a new code" in late.text
    assert await _session_of(services, account_id) is None


async def test_two_step_verification_asks_the_password_and_refuses_a_wrong_one(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE_2FA)
    login = await _send_code(client, csrf, account_id, PHONE_2FA)

    asked = await _code(client, csrf, account_id, login, CODE)
    assert asked.status_code == 303
    page = await client.get(asked.headers["location"])
    assert 'data-step="password"' in page.text and _login_id(page) == login
    assert await _session_of(services, account_id) is None

    wrong = await _password(client, csrf, account_id, login, "not it")
    assert wrong.status_code == 400
    assert "password is wrong" in wrong.text and 'data-step="password"' in wrong.text
    assert "not it" not in wrong.text
    # A code form sent now is out of step: the code was already accepted.
    stale = await _code(client, csrf, account_id, login, CODE)
    assert stale.status_code == 400 and "already done" in stale.text

    right = await _password(client, csrf, account_id, login, PASSWORD_2FA)
    assert right.status_code == 303
    assert await _session_of(services, account_id)
    assert await _pending_rows(services) == []
    assert fake.requests.count("CheckPasswordRequest") == 2  # SRP proofs, checked by the fake
    refused = await _events(services, "account.telegram_login_refused")
    assert [e.data["reason"] for e in refused] == ["wrong_password"]
    assert PASSWORD_2FA not in json.dumps([e.data for e in refused])


async def test_an_expired_pending_login_is_refused_and_deleted(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    login = await _send_code(client, csrf, account_id, PHONE)
    # Time passes: the code was sent more than PENDING_TTL ago.
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(Secret)
            .where(Secret.id == login)
            .values(created_at=utcnow() - PENDING_TTL - timedelta(seconds=1))
        )
    shown = await client.get(f"/ui/accounts/{account_id}/telegram-login")
    assert 'id="login-expired"' in shown.text and 'data-step="phone"' in shown.text
    assert [r.id for r in await _pending_rows(services)] == [login]  # GET changes nothing
    late = await _code(client, csrf, account_id, login, CODE)
    assert late.status_code == 400
    assert "expired" in late.text and 'data-step="phone"' in late.text
    assert await _pending_rows(services) == []
    assert fake.requests.count("SignInRequest") == 0  # nothing was sent to Telegram
    assert await _session_of(services, account_id) is None

    # A new code starts over and works.
    again = await _send_code(client, csrf, account_id, PHONE)
    assert again != login
    assert (await _code(client, csrf, account_id, again, CODE)).status_code == 303
    assert await _session_of(services, account_id)


async def test_a_code_telegram_expired_or_a_replaced_login_asks_for_a_new_code(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    first = await _send_code(client, csrf, account_id, PHONE)
    second = await _send_code(client, csrf, account_id, PHONE)
    # The first form is stale: its login was replaced by the second.
    stale = await _code(client, csrf, account_id, first, CODE)
    assert stale.status_code == 400 and "replaced" in stale.text
    assert [r.id for r in await _pending_rows(services)] == [second]

    # Meanwhile someone requested another code for the number (the CLI, the phone app):
    # Telegram expires the one our pending login holds (PHONE_CODE_EXPIRED).
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        assert account is not None
        settings = telegram_user_settings(await account_context(services, session, account))
    await steps.send_code(settings, PHONE)
    expired = await _code(client, csrf, account_id, second, CODE)
    assert expired.status_code == 400 and "code expired" in expired.text
    assert 'data-step="phone"' in expired.text
    assert await _pending_rows(services) == []
    refused = await _events(services, "account.telegram_login_refused")
    assert [e.data["reason"] for e in refused] == ["code_expired"]


async def test_relogin_of_an_ended_session_replaces_it(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    login = await _send_code(client, csrf, account_id, PHONE)
    assert (await _code(client, csrf, account_id, login, CODE)).status_code == 303
    first = await _session_of(services, account_id)
    async with transaction(services.sessionmaker) as session:  # the probe found it ended
        await session.execute(
            update(ChannelAccount)
            .where(ChannelAccount.id == account_id)
            .values(health="auth_failed")
        )
    accounts = await client.get("/ui/accounts")
    row = accounts.text.split(f'href="/ui/accounts/{account_id}/telegram-login">', 1)[1]
    assert row.startswith("Log in again")
    page = await client.get(f"/ui/accounts/{account_id}/telegram-login")
    assert "Telegram ended the saved session" in page.text

    login = await _send_code(client, csrf, account_id, PHONE)
    assert (await _code(client, csrf, account_id, login, CODE)).status_code == 303
    second = await _session_of(services, account_id)
    assert second and second != first
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        assert account is not None and account.health == "connected"
        names = (
            await session.scalars(select(Secret.name).where(Secret.owner_id == account_id))
        ).all()
    assert sorted(names) == ["api_hash", "session"]  # re-sealed in place, not duplicated
    events = await _events(services, "account.telegram_login")
    assert [e.data["replaced"] for e in events] == [False, True]


async def test_agents_cannot_log_accounts_in_and_admins_cannot_take_over_a_pending_login(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    login = await _send_code(client, csrf, account_id, PHONE)

    async with asgi_client(client._transport.app) as agent:  # type: ignore[attr-defined]
        agent_csrf = await _log_in(agent, world.users["agent_a"].email)
        accounts = await agent.get("/ui/accounts")  # the account is in agent_a's team
        assert accounts.status_code == 200 and "Shop Telegram" in accounts.text
        assert "/telegram-login" not in accounts.text
        assert (await agent.get(f"/ui/accounts/{account_id}/telegram-login")).status_code == 403
        for path, data in (
            ("send-code", {"phone": PHONE}),
            ("code", {"login": login, "code": CODE}),
            ("password", {"login": login, "password": "x"}),
            ("cancel", {}),
        ):
            denied = await agent.post(
                f"/ui/accounts/{account_id}/telegram-login/{path}",
                data={"csrf_token": agent_csrf, **data},
            )
            assert denied.status_code == 403, path
        added = await agent.post(
            "/ui/accounts",
            data={"csrf_token": agent_csrf, "kind": "telegram_user", "name": "x"},
        )
        assert added.status_code == 403
    assert fake.requests.count("SignInRequest") == 0
    assert [r.id for r in await _pending_rows(services)] == [login]

    # Another admin sees that a login is in progress but cannot continue it.
    async with transaction(services.sessionmaker) as session:
        admin = await create_user(
            session,
            world.workspace_id,
            email="second-admin@test.shop",
            display_name="second admin",
            password=PASSWORD,
            role=Role.ADMIN,
        )
    async with asgi_client(client._transport.app) as other:  # type: ignore[attr-defined]
        other_csrf = await _log_in(other, admin.email)
        page = await other.get(f"/ui/accounts/{account_id}/telegram-login")
        assert 'data-step="phone"' in page.text and 'id="login-other-admin"' in page.text
        assert login not in page.text
        taken = await _code(other, other_csrf, account_id, login, CODE)
        assert taken.status_code == 400 and "another admin" in taken.text
    assert fake.requests.count("SignInRequest") == 0
    assert await _session_of(services, account_id) is None
    # The admin who started it continues from another browser.
    async with asgi_client(client._transport.app) as again:  # type: ignore[attr-defined]
        again_csrf = await _log_in(again, world.users["owner"].email)
        assert (await _code(again, again_csrf, account_id, login, CODE)).status_code == 303
    assert await _session_of(services, account_id)


async def test_the_add_form_checks_the_telegram_settings_and_never_echoes_the_api_hash(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    base = {
        "csrf_token": csrf,
        "kind": "telegram_user",
        "name": "Shop Telegram",
        "external_id": PHONE,
        "secret_api_hash": API_HASH,
        "config_api_id": "12345",
    }
    for change, message in (
        ({"config_api_id": "abc"}, "api_id must be"),
        ({"secret_api_hash": "short"}, "api_hash must be"),
        ({"external_id": "call me"}, "international format"),
        ({"proxy_url": "https://proxy.example:443"}, "socks5://"),
    ):
        refused = await client.post("/ui/accounts", data={**base, **change})
        assert refused.status_code == 400, change
        assert message in refused.text
        assert API_HASH not in refused.text
        assert 'id="add-telegram_user" open' in refused.text
    ok = await client.post("/ui/accounts", data={**base, "proxy_url": "socks5://u:p@10.0.0.1:1080"})
    assert ok.status_code == 303
    again = await client.post("/ui/accounts", data=base)
    assert again.status_code == 409
    async with services.read_sessionmaker() as session:
        account = await session.scalar(
            select(ChannelAccount).where(ChannelAccount.kind == "telegram_user")
        )
        assert account is not None and account.external_id == PHONE
        blobs = (
            await session.scalars(select(Secret.blob).where(Secret.owner_id == account.id))
        ).all()
    assert len(blobs) == 1 and API_HASH.encode() not in blobs[0]


async def test_cancel_ends_the_pending_login(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    login = await _send_code(client, csrf, account_id, PHONE)
    cancelled = await client.post(
        f"/ui/accounts/{account_id}/telegram-login/cancel", data={"csrf_token": csrf}
    )
    assert cancelled.status_code == 303
    page = await client.get(cancelled.headers["location"])
    assert 'data-step="phone"' in page.text
    assert await _pending_rows(services) == []
    late = await _code(client, csrf, account_id, login, CODE)
    assert late.status_code == 400 and "cancelled" in late.text
    assert fake.requests.count("SignInRequest") == 0


@given(st.text(alphabet="0123456789", min_size=6, max_size=15), st.sampled_from(["", "+"]))
def test_phone_numbers_are_normalised_and_masked_to_four_digits(digits: str, plus: str) -> None:
    spaced = plus + " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    number = steps.normalise_phone(spaced)
    assert number == "+" + digits and steps.normalise_phone(number) == number
    masked = steps.mask_phone(number)
    shown = [c for c in masked if c.isdigit()]
    assert shown == list(digits[:2] + digits[-2:])  # country prefix and last two only
    assert len(masked) == len(number)


@pytest.mark.parametrize("bad", ["", "call me", "+12 34", "+1234567890123456", "12a4567"])
def test_a_phone_number_not_in_international_format_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="international format"):
        steps.normalise_phone(bad)


async def test_another_telegram_user_cannot_be_logged_into_the_account(
    services: Services, web: tuple[httpx.AsyncClient, DemoWorld], fake: FakeMTProto
) -> None:
    client, world = web
    other = "+15550009876"
    fake.accounts[other.lstrip("+")] = Account(
        phone=other.lstrip("+"), code="13579", user_id=777000999
    )
    csrf = await _log_in(client, world.users["owner"].email)
    account_id = await _add(client, csrf, world, fake, PHONE)
    login = await _send_code(client, csrf, account_id, PHONE)
    assert (await _code(client, csrf, account_id, login, CODE)).status_code == 303
    first = await _session_of(services, account_id)

    login = await _send_code(client, csrf, account_id, other)
    refused = await _code(client, csrf, account_id, login, "13579")
    assert refused.status_code == 409
    assert "another Telegram user" in refused.text
    assert await _session_of(services, account_id) == first  # the first login stays
    assert await _pending_rows(services) == []
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        assert account is not None
        assert account.config["telegram_user_id"] == str(fake.accounts[PHONE.lstrip("+")].user_id)
    refusals = await _events(services, "account.telegram_login_refused")
    assert [e.data["reason"] for e in refusals] == ["other_telegram_user"]
    assert other[-8:-2] not in json.dumps([e.data for e in refusals])  # the phone is masked
