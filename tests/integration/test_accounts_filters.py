"""The inbox API filtered by platform and by account, within the caller's scope."""

import httpx
from tests.factories import DemoWorld, bearer, inbound, receive

from crossdesk.actions.account_health import NewAccount, add_account
from crossdesk.actions.identity import principal_for
from crossdesk.risk import audit
from crossdesk.services import Services


async def test_conversations_filtered_by_platform_and_account(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    async with sqlite_services.read_sessionmaker() as session:
        owner = await principal_for(session, app_world.users["owner"])
    bot = await add_account(
        sqlite_services,
        owner,
        NewAccount(
            kind="telegram_bot",
            name="RU bot",
            team_id=app_world.team_a,
            secrets={"bot_token": "7012345678:AAH-filters"},
        ),
        audit.SYSTEM,
    )
    await receive(sqlite_services, app_world.account_a, inbound("Hola", sender="a1"))
    await receive(sqlite_services, app_world.account_b, inbound("Hello", sender="b1"))
    await receive(sqlite_services, bot, inbound("Привет", sender="t1"))

    async def ids(token: str, query: str) -> set[str]:
        response = await client.get(f"/api/v1/conversations?view=all{query}", headers=bearer(token))
        assert response.status_code == 200, response.text
        return {row["account"]["id"] for row in response.json()}

    owner_token = app_world.tokens["owner"]
    everything = {app_world.account_a.id, app_world.account_b.id, bot.id}
    assert await ids(owner_token, "") == everything
    assert await ids(owner_token, "&platform=telegram_bot") == {bot.id}
    assert await ids(owner_token, "&platform=sandbox") == everything - {bot.id}
    assert await ids(owner_token, f"&account_id={app_world.account_b.id}") == {
        app_world.account_b.id
    }
    assert await ids(owner_token, f"&platform=line&account_id={bot.id}") == set()
    refused = await client.get(
        "/api/v1/conversations?platform=myspace", headers=bearer(owner_token)
    )
    assert refused.status_code in (400, 422)
    # The filter narrows the caller's scope, never widens it.
    supervisor = app_world.tokens["supervisor"]
    team_query = f"&account_id={app_world.account_b.id}"
    response = await client.get(
        f"/api/v1/conversations?view=team{team_query}", headers=bearer(supervisor)
    )
    assert response.status_code == 200 and response.json() == []


async def test_inbox_page_filters_by_platform_and_account(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    async with sqlite_services.read_sessionmaker() as session:
        owner = await principal_for(session, app_world.users["owner"])
    bot = await add_account(
        sqlite_services,
        owner,
        NewAccount(
            kind="telegram_bot",
            name="RU bot",
            team_id=app_world.team_a,
            secrets={"bot_token": "7012345678:AAH-filters"},
        ),
        audit.SYSTEM,
    )
    await receive(sqlite_services, app_world.account_a, inbound("Hola", sender="a1"))
    await receive(sqlite_services, bot, inbound("Привет", sender="t1"))
    token = bearer(app_world.tokens["supervisor"])

    page = await client.get("/ui/inbox?view=team&platform=telegram_bot", headers=token)
    assert page.status_code == 200
    assert "Привет" in page.text and "Hola" not in page.text
    assert 'data-platform="telegram_bot"' in page.text  # kept by the live refresh
    assert f'<option value="{bot.id}"' in page.text
    assert app_world.account_b.id not in page.text  # another team's account is not offered

    listed = await client.get(
        f"/ui/inbox/list?view=team&platform=&account={app_world.account_a.id}", headers=token
    )
    assert listed.status_code == 200
    assert "Hola" in listed.text and "Привет" not in listed.text
    everything = await client.get("/ui/inbox/list?view=team&platform=&account=", headers=token)
    assert "Hola" in everything.text and "Привет" in everything.text
    bad = await client.get("/ui/inbox/list?view=team&platform=myspace", headers=token)
    assert bad.status_code == 400
