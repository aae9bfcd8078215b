"""Search finds masked text in the caller's scope, on SQLite FTS5 and PostgreSQL tsvector."""

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.factories import DemoWorld, asgi_client, bearer, inbound, receive

from crossdesk.actions.identity import principal_for
from crossdesk.db.base import utcnow
from crossdesk.db.models import Conversation, Message, User
from crossdesk.db.session import commit
from crossdesk.errors import InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.search.query import parse_query
from crossdesk.search.repository import PER_PAGE, SearchPage, search
from crossdesk.services import Services
from crossdesk.web.app import create_app


async def _principal(services: Services, user: User) -> Principal:
    async with services.sessionmaker() as session:
        return await principal_for(session, user)


async def _search(services: Services, user: User, text: str, page: int = 1) -> SearchPage:
    principal = await _principal(services, user)
    async with services.sessionmaker() as session:
        return await search(session, principal, parse_query(text), page=page)


def _texts(result: SearchPage) -> list[str]:
    return [hit.snippet.text for hit in result.messages]


async def test_finds_a_word_and_marks_it(services: Services, world: DemoWorld) -> None:
    await receive(services, world.account_a, inbound("Where is my parcel? The tracking stopped"))
    await receive(services, world.account_a, inbound("Thanks, all good", sender="cust-2"))
    result = await _search(services, world.users["owner"], "TRACKING")
    assert _texts(result) == ["Where is my parcel? The tracking stopped"]
    hit = result.messages[0]
    assert [hit.snippet.text[s:e] for s, e in hit.snippet.highlights] == ["tracking"]
    assert hit.account_kind == "sandbox"
    # every word must occur
    assert (await _search(services, world.users["owner"], "parcel thanks")).messages == []
    assert len((await _search(services, world.users["owner"], "parcel tracking")).messages) == 1


async def test_masked_phone_numbers_and_emails_are_not_searchable(
    services: Services, world: DemoWorld
) -> None:
    await receive(
        services,
        world.account_a,
        inbound("Call me on +86 138 0013 8000 or write to wei.zhang@example.com about the refund"),
    )
    owner = world.users["owner"]
    found = await _search(services, owner, "refund")
    assert len(found.messages) == 1
    assert "0013" not in found.messages[0].snippet.text
    for secret in ("13800138000", "0013", "+8613800138000", "wei.zhang", "zhang"):
        assert (await _search(services, owner, secret)).messages == [], secret


async def test_scope_follows_the_inbox(services: Services, world: DemoWorld) -> None:
    await receive(services, world.account_a, inbound("team A espresso machine", sender="a1"))
    await receive(services, world.account_b, inbound("team B espresso grinder", sender="b1"))
    users = world.users

    async def found(user: str) -> set[str]:
        return {h.snippet.text for h in (await _search(services, users[user], "espresso")).messages}

    assert await found("owner") == {"team A espresso machine", "team B espresso grinder"}
    assert await found("auditor") == {"team A espresso machine", "team B espresso grinder"}
    assert await found("supervisor") == {"team A espresso machine"}
    assert await found("agent_a") == {"team A espresso machine"}  # unassigned in their team
    assert await found("agent_b") == {"team B espresso grinder"}
    # once assigned to someone else, an agent no longer finds it
    async with services.sessionmaker() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.account_id == world.account_a.id)
            .values(assignee_id=users["supervisor"].id)
        )
        await commit(session)
    assert await found("agent_a") == set()
    assert await found("supervisor") == {"team A espresso machine"}


async def test_chinese_words_and_characters(services: Services, world: DemoWorld) -> None:
    await receive(services, world.account_a, inbound("你好，我要申请退款，包装有点破损"))
    await receive(services, world.account_a, inbound("什么时候能发货", sender="c2"))
    owner = world.users["owner"]
    for term in ("退款", "申请退款", "包装", "破损", "退", "款"):
        result = await _search(services, owner, term)
        assert _texts(result) == ["你好，我要申请退款，包装有点破损"], term
        snippet = result.messages[0].snippet
        assert [snippet.text[s:e] for s, e in snippet.highlights] == [term]
    assert (await _search(services, owner, "退货")).messages == []
    assert _texts(await _search(services, owner, "发货")) == ["什么时候能发货"]


async def test_translation_is_searched_and_deleted_messages_hidden_from_agents(
    services: Services, world: DemoWorld
) -> None:
    await receive(services, world.account_a, inbound("zapatos rojos"))
    async with services.sessionmaker() as session:
        await session.execute(update(Message).values(translation="red shoes"))
        await commit(session)
    result = await _search(services, world.users["owner"], "shoes")
    assert [h.snippet.text for h in result.messages] == ["red shoes"]
    async with services.sessionmaker() as session:
        await session.execute(update(Message).values(deleted_by_platform=True))
        await commit(session)
    assert (await _search(services, world.users["agent_a"], "zapatos")).messages == []
    assert len((await _search(services, world.users["supervisor"], "zapatos")).messages) == 1


async def test_contacts_by_masked_name(services: Services, world: DemoWorld) -> None:
    event = replace(inbound("hello there", sender="4915112345678"), sender_name="Beatriz Oliveira")
    await receive(services, world.account_a, event)
    result = await _search(services, world.users["owner"], "oliveira")
    assert [c.name.text for c in result.contacts] == ["Beatriz Oliveira"]
    assert result.contacts[0].handle.endswith("5678") and "49151" not in result.contacts[0].handle
    assert (await _search(services, world.users["owner"], "4915112345678")).contacts == []
    assert (await _search(services, world.users["agent_b"], "oliveira")).contacts == []


async def test_pages(services: Services, world: DemoWorld) -> None:
    await receive(
        services,
        world.account_a,
        *[inbound(f"order number {i} delayed", sender=f"p{i}") for i in range(PER_PAGE + 5)],
    )
    owner = world.users["owner"]
    first = await _search(services, owner, "delayed")
    second = await _search(services, owner, "delayed", page=2)
    assert (len(first.messages), first.has_more) == (PER_PAGE, True)
    assert (len(second.messages), second.has_more) == (5, False)
    ids = [h.message_id for h in first.messages + second.messages]
    assert len(set(ids)) == PER_PAGE + 5
    assert second.contacts == []


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=80) | st.sampled_from(['"', "a OR b", "NEAR(x y)", "x*", "'", "\\"]))
async def test_any_string_is_a_safe_query(services: Services, world: DemoWorld, text: str) -> None:
    """Whatever the user types, the engine never sees a syntax error: either the input is
    refused as invalid (empty, too long) or the search runs."""
    try:
        query = parse_query(text)
    except InvalidInput:
        return
    principal = await _principal(services, world.users["owner"])
    async with services.sessionmaker() as session:
        result = await search(session, principal, query)
    assert result.page == 1


async def test_api_and_ui(services: Services, world: DemoWorld) -> None:
    await receive(services, world.account_a, inbound("The blender arrived broken <i>", sender="z1"))
    app = create_app(services.settings, services=services)
    async with asgi_client(app) as client:
        response = await client.get(
            "/api/v1/search", params={"q": "blender"}, headers=bearer(world.tokens["agent_a"])
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert [m["snippet"]["text"] for m in body["messages"]] == [
            "The blender arrived broken <i>"
        ]
        assert body["messages"][0]["snippet"]["highlights"] == [[4, 11]]
        other_team = await client.get(
            "/api/v1/search", params={"q": "blender"}, headers=bearer(world.tokens["agent_b"])
        )
        assert other_team.json()["messages"] == []
        for bad in ({"q": ""}, {"q": "***"}, {"q": "x" * 201}, {"q": "a", "page": "0"}):
            refused = await client.get(
                "/api/v1/search", params=bad, headers=bearer(world.tokens["owner"])
            )
            assert refused.status_code in (400, 422), bad
        unauthenticated = await client.get("/api/v1/search", params={"q": "blender"})
        assert unauthenticated.status_code == 401
        await _ui(client, world, body["messages"][0])


async def _ui(client: httpx.AsyncClient, world: DemoWorld, hit: dict[str, str]) -> None:
    from tests.factories import PASSWORD

    await client.post("/login", data={"email": world.users["agent_a"].email, "password": PASSWORD})
    inbox = await client.get("/ui/inbox")
    assert 'action="/ui/search"' in inbox.text
    page = await client.get("/ui/search", params={"q": "blender"})
    assert page.status_code == 200
    assert '<mark class="hit">blender</mark>' in page.text
    assert "broken &lt;i&gt;" in page.text and "<i>" not in page.text
    link = f"/ui/inbox?c={hit['conversation_id']}&m={hit['message_id']}"
    assert link in page.text
    pane = await client.get(
        f"/ui/conversations/{hit['conversation_id']}", params={"m": hit["message_id"]}
    )
    assert f'data-message-id="{hit["message_id"]}"' in pane.text
    refused = await client.get("/ui/search", params={"q": "&&&"})
    assert refused.status_code == 400


async def test_old_hit_is_shown_in_a_long_conversation(
    services: Services, world: DemoWorld
) -> None:
    from crossdesk.search.repository import messages_from

    await receive(services, world.account_a, inbound("the very first message: walrus"))
    await receive(services, world.account_a, *[inbound(f"later {i}") for i in range(5)])
    owner = await _principal(services, world.users["owner"])
    async with services.sessionmaker() as session:
        conversation = await session.scalar(select(Conversation))
        first = await session.scalar(select(Message).where(Message.body_masked.contains("walrus")))
        assert conversation is not None and first is not None
        page = await messages_from(session, conversation, first.id, owner, limit=3)
        assert page is not None
        assert page[0].body_masked == "the very first message: walrus"
        assert len(page) == 3
        assert await messages_from(session, conversation, "0" * 32, owner) is None


@pytest.mark.parametrize("walk_rows", [None, 6, 4])
async def test_the_newest_matches_are_ranked_whatever_their_age(
    services: Services, world: DemoWorld, monkeypatch: pytest.MonkeyPatch, walk_rows: int | None
) -> None:
    """However PostgreSQL finds the candidates (GIN, or for a word its statistics call
    common, a walk over the newest ``walk_rows`` messages that may fall short and fall back
    to GIN), they are the newest matches."""
    from crossdesk.search import repository
    from crossdesk.search.pg_stats import LexemeStats

    monkeypatch.setattr(repository, "CANDIDATES", 3)
    if walk_rows is not None:

        async def everything_is_common(_session: object) -> LexemeStats:
            return LexemeStats(rows=1e6, frequency={}, floor=1.0, fetched=0.0)

        monkeypatch.setattr(repository, "lexeme_stats", everything_is_common)
        monkeypatch.setattr(repository, "SCAN_ROWS", walk_rows)
    ages = [100, 30, 20, 2, 1]  # days, in the order the messages arrive
    for i in range(len(ages)):
        await receive(services, world.account_a, inbound(f"kumquat number {i}", sender=f"k{i}"))
    # the newest three messages do not match: a walk over 4 rows finds one kumquat only
    await receive(services, world.account_a, *[inbound(f"other {i}") for i in range(3)])
    now = utcnow()
    async with services.sessionmaker() as session:
        for i, days in enumerate(ages):
            await session.execute(
                update(Message)
                .where(Message.body_masked == f"kumquat number {i}")
                .values(created_at=now - timedelta(days=days))
            )
        await commit(session)
    result = await _search(services, world.users["owner"], "kumquat")
    assert sorted(_texts(result)) == [f"kumquat number {i}" for i in (2, 3, 4)]
    assert (await _search(services, world.users["owner"], "kumquat", page=2)).messages == []
    agent = await _search(services, world.users["agent_b"], "kumquat")
    assert agent.messages == []


async def test_short_terms_on_sqlite_search_the_newest_messages(
    services: Services, world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A term under 3 characters cannot use the SQLite trigram index: the substring scan
    covers the newest SCAN_ROWS messages. PostgreSQL indexes every word and finds it."""
    from crossdesk.search import repository

    monkeypatch.setattr(repository, "SCAN_ROWS", 3)
    await receive(services, world.account_a, inbound("我要退货", sender="old"))
    await receive(services, world.account_a, *[inbound(f"later {i}") for i in range(3)])
    await receive(services, world.account_a, inbound("王伟", sender="王伟"))
    found = _texts(await _search(services, world.users["owner"], "退货"))
    sqlite = services.settings.resolved_database_url.startswith("sqlite")
    assert found == ([] if sqlite else ["我要退货"])
    assert _texts(await _search(services, world.users["owner"], "王伟")) == ["王伟"]
