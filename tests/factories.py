"""Builds a small workspace for tests: people in two teams, two sandbox accounts."""

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from crossdesk.actions.accounts import create_account
from crossdesk.actions.identity import (
    create_api_token,
    create_team,
    create_user,
    create_workspace,
    principal_for,
)
from crossdesk.actions.receive_message import receive_events
from crossdesk.actions.send_reply import SendResult, send_reply
from crossdesk.channels.sandbox.protocol import derived_credential
from crossdesk.db.models import ChannelAccount, Conversation, User
from crossdesk.db.session import commit, transaction
from crossdesk.domain import ChannelKind, InboundEvent, Role, new_id
from crossdesk.risk import audit
from crossdesk.services import Services

PASSWORD = "correct horse battery"
SANDBOX_API = "http://crossdesk.internal/sandbox/api"


@dataclass
class DemoWorld:
    workspace_id: str
    users: dict[str, User]  # by role-ish key: owner, supervisor, agent_a, agent_b, auditor
    tokens: dict[str, str]
    team_a: str
    team_b: str
    account_a: ChannelAccount
    account_b: ChannelAccount


async def build_world(services: Services) -> DemoWorld:
    key = services.settings.resolved_secret_key()
    async with transaction(services.sessionmaker) as session:
        workspace = await create_workspace(session, "Test Shop", default_language="zh-Hans")
        specs = {
            "owner": (Role.OWNER, "en"),
            "supervisor": (Role.SUPERVISOR, "zh-Hans"),
            "agent_a": (Role.AGENT, "zh-Hans"),
            "agent_b": (Role.AGENT, "en"),
            "auditor": (Role.AUDITOR, "en"),
        }
        users: dict[str, User] = {}
        for name, (role, language) in specs.items():
            users[name] = await create_user(
                session,
                workspace.id,
                email=f"{name}-{new_id()[-6:]}@test.shop",
                display_name=name,
                password=PASSWORD,
                role=role,
                language=language,
            )
        await session.flush()
        team_a = await create_team(
            session, workspace.id, "A", [users["supervisor"].id, users["agent_a"].id]
        )
        team_b = await create_team(session, workspace.id, "B", [users["agent_b"].id])
        await session.flush()
        accounts = []
        for external, team in (("acc-a", team_a.id), ("acc-b", team_b.id)):
            external_id = f"{external}-{new_id()[-6:]}"
            accounts.append(
                await create_account(
                    services,
                    session,
                    workspace.id,
                    kind=ChannelKind.SANDBOX,
                    name=f"Account {external}",
                    external_id=external_id,
                    team_id=team,
                    config={"api_base_url": SANDBOX_API},
                    secrets={
                        "api_token": derived_credential(key, "api", external_id),
                        "webhook_secret": derived_credential(key, "webhook", external_id),
                    },
                    actor=audit.SYSTEM,
                )
            )
        tokens = {
            name: await create_api_token(session, user, "tests", audit.SYSTEM)
            for name, user in users.items()
        }
    return DemoWorld(workspace.id, users, tokens, team_a.id, team_b.id, accounts[0], accounts[1])


def inbound(text: str, *, sender: str = "cust-1", message_id: str | None = None) -> InboundEvent:
    return InboundEvent(
        platform_message_id=message_id or f"pm-{new_id()}",
        sender_id=sender,
        sender_name="Customer One",
        text=text,
        sent_at=datetime.now(UTC),
        language_hint="es",
    )


async def receive(services: Services, account: ChannelAccount, *events: InboundEvent) -> None:
    async with services.sessionmaker() as session:
        await receive_events(services, session, account, list(events))
        await commit(session)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def asgi_client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
    )


async def supervisor_reply(
    services: Services,
    world: DemoWorld,
    account_id: str,
    text: str,
    *,
    allow_untranslated: bool = True,
) -> SendResult:
    """The demo supervisor's reply in the account's one conversation (queued for the delivery
    worker); untranslated unless ``allow_untranslated`` is False."""
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
        conversation = (
            await session.scalars(select(Conversation).where(Conversation.account_id == account_id))
        ).one()
        return await send_reply(
            services,
            session,
            supervisor,
            conversation,
            text,
            idempotency_key=None,
            actor=audit.Actor(supervisor.user_id),
            allow_untranslated=allow_untranslated,
        )
