"""The UI side: filters in the inbox URL, labels in the conversation pane and the list,
saving a view, the duplicate-lead badge, the contact page and merging from it."""

import re

import httpx
from sqlalchemy import select
from tests.factories import PASSWORD, DemoWorld, inbound, receive

from crossdesk.db.models import AuditEvent, Contact, Conversation, Label
from crossdesk.services import Services


async def _login(client: httpx.AsyncClient, email: str) -> str:
    await client.post("/login", data={"email": email, "password": PASSWORD})
    page = await client.get("/ui/inbox")
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_label_filter_view_and_merge_through_the_ui(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    a, b = app_world.account_a, app_world.account_b
    await receive(sqlite_services, a, inbound("Hola", sender="34600000001"))
    await receive(sqlite_services, b, inbound("Hola", sender="34600000001"))
    await receive(sqlite_services, a, inbound("Buenas", sender="other"))
    async with sqlite_services.read_sessionmaker() as session:
        conversation = await session.scalar(
            select(Conversation)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.platform_user_id == "34600000001", Conversation.account_id == a.id)
        )
        other = await session.scalar(select(Contact).where(Contact.platform_user_id == "other"))
    assert conversation is not None and other is not None
    csrf = await _login(client, app_world.users["owner"].email)
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}

    created = await client.post(
        "/ui/settings/labels", data={"name": "Refund", "colour": "purple", "csrf_token": csrf}
    )
    assert created.status_code == 303
    settings = await client.get("/ui/settings/labels")
    assert "label-purple" in settings.text and "Refund" in settings.text
    async with sqlite_services.read_sessionmaker() as session:
        label = await session.scalar(select(Label).where(Label.name == "Refund"))
    assert label is not None

    # The conversation pane: label bar, duplicate-lead badge, profile link.
    pane = await client.get(f"/ui/conversations/{conversation.id}")
    assert 'id="conv-labels"' in pane.text and "dup-lead" in pane.text
    assert "Account acc-b" in pane.text and f"/ui/contacts/{conversation.contact_id}" in pane.text
    labelled = await client.post(
        f"/ui/conversations/{conversation.id}/labels",
        data={"label_id": label.id, "on": "true"},
        headers=headers,
    )
    assert labelled.status_code == 200 and "label-purple" in labelled.text

    # Filter by the label: in the URL, shown in the list, kept in the item links.
    page = await client.get(f"/ui/inbox?view=all&label={label.id}")
    assert page.status_code == 200
    assert page.text.count('class="conv-item') == 1 and "label-chip label-purple" in page.text
    assert re.search(f"label={label.id}(&amp;|&)c={conversation.id}", page.text)
    live = await client.get(f"/ui/inbox/list?view=all&label={label.id}")
    assert live.text.count('class="conv-item') == 1
    bad = await client.get("/ui/inbox?view=all&waiting=eventually")
    assert bad.status_code == 400 and "waiting" in bad.text

    # Save it as a view; the sidebar lists it with its unread count.
    saved = await client.post(
        "/ui/views",
        data={"name": "Refunds", "query": f"view=all&label={label.id}"},
        headers=headers,
    )
    assert saved.status_code == 200 and "Refunds" in saved.text
    # The owner opened the conversation above: read; a new message makes it unread again.
    assert 'aria-label="unread conversations"' not in saved.text
    await receive(sqlite_services, a, inbound("¿Hola?", sender="34600000001"))
    sidebar = await client.get("/ui/inbox?view=all")
    assert re.search(r'aria-label="unread conversations">1<', sidebar.text)
    refused = await client.post(
        "/ui/views", data={"name": "Refunds", "query": "view=all"}, headers=headers
    )
    assert refused.status_code == 422 and "already have a view" in refused.text
    inbox = await client.get("/ui/inbox?view=all")
    assert "Refunds" in inbox.text and "saved=" in inbox.text

    # The contact page; merge the other contact into it from the UI.
    profile = await client.get(f"/ui/contacts/{conversation.contact_id}")
    assert profile.status_code == 200 and 'id="dup-lead"' in profile.text
    candidates = await client.get(
        f"/ui/contacts/{conversation.contact_id}/merge-candidates?q=customer"
    )
    assert other.id in candidates.text
    merged = await client.post(
        f"/ui/contacts/{conversation.contact_id}/merge",
        data={"other_id": other.id, "csrf_token": csrf},
    )
    assert merged.status_code == 303
    profile = await client.get(f"/ui/contacts/{conversation.contact_id}")
    assert profile.text.count('class="identity" data-contact-id') == 2
    assert profile.text.count("data-conversation-id") == 2  # both identities' conversations
    saved_profile = await client.post(
        f"/ui/contacts/{conversation.contact_id}",
        data={"notes": "n", "attributes": "not a pair", "csrf_token": csrf},
    )
    assert saved_profile.status_code == 400 and "line 1" in saved_profile.text
    unmerged = await client.post(
        f"/ui/contacts/{other.id}/unmerge",
        data={"back": conversation.contact_id, "csrf_token": csrf},
    )
    assert unmerged.status_code == 303
    async with sqlite_services.read_sessionmaker() as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("contact.%"))
            )
        ).all()
    assert list(actions) == ["contact.merge", "contact.unmerge"]
