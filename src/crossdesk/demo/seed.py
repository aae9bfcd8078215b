"""Seed the "Demo Shop" workspace: people, teams and three sandbox accounts."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from crossdesk.actions.accounts import create_account
from crossdesk.actions.identity import create_team, create_user, create_workspace
from crossdesk.db.models import ChannelAccount, Workspace
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, Role
from crossdesk.risk import audit
from crossdesk.services import Services

DEMO_WORKSPACE = "Demo Shop"
DEMO_PASSWORD = "crossdesk-demo"  # noqa: S105  # printed at start; demo data only
INPROCESS_SANDBOX_API = "http://crossdesk.internal/sandbox/api"

TokenFor = Callable[[str], str]  # sandbox external account id → credential


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    role: str
    name: str
    language: str


LOGINS = [
    DemoLogin("owner@demo.shop", Role.OWNER.value, "Olivia Owner", "en"),
    DemoLogin("supervisor@demo.shop", Role.SUPERVISOR.value, "王督导 Wang", "zh-Hans"),
    DemoLogin("li@demo.shop", Role.AGENT.value, "李娜 Li Na", "zh-Hans"),
    DemoLogin("chen@demo.shop", Role.AGENT.value, "陈伟 Chen Wei", "zh-Hans"),
    DemoLogin("sam@demo.shop", Role.AGENT.value, "Sam Agent", "en"),
]

# (external id, display name, team index)
ACCOUNTS = [
    ("shop-es", "Demo Shop · España", 0),
    ("shop-latam", "Demo Shop · Brasil & LatAm", 0),
    ("shop-global", "Demo Shop · Global", 1),
]
TEAMS = ["Team Iberia & LatAm", "Team Global"]
TEAM_MEMBERS = {
    0: ["supervisor@demo.shop", "li@demo.shop", "chen@demo.shop"],
    1: ["supervisor@demo.shop", "sam@demo.shop"],
}


async def seed_demo(
    services: Services, sandbox_api_token: TokenFor, webhook_secret: TokenFor
) -> str:
    """Create the demo workspace unless it exists; return its id."""
    async with transaction(services.sessionmaker) as session:
        existing = await session.scalar(
            select(Workspace.id).where(Workspace.name == DEMO_WORKSPACE)
        )
        if existing is not None:
            return existing
        # English is the reading language Apertium reaches offline from es/pt/fr/it;
        # agents who read Chinese see "no engine for es→zh-Hans" until one is configured.
        workspace = await create_workspace(session, DEMO_WORKSPACE, default_language="en")
        users = {}
        for login in LOGINS:
            users[login.email] = await create_user(
                session,
                workspace.id,
                email=login.email,
                display_name=login.name,
                password=DEMO_PASSWORD,
                role=Role(login.role),
                language=login.language,
            )
        await session.flush()
        teams = []
        for index, name in enumerate(TEAMS):
            members = [users[email].id for email in TEAM_MEMBERS[index]]
            teams.append(await create_team(session, workspace.id, name, members))
        await session.flush()
        for external_id, name, team_index in ACCOUNTS:
            await create_account(
                services,
                session,
                workspace.id,
                kind=ChannelKind.SANDBOX,
                name=name,
                external_id=external_id,
                team_id=teams[team_index].id,
                config={"api_base_url": INPROCESS_SANDBOX_API},
                secrets={
                    "api_token": sandbox_api_token(external_id),
                    "webhook_secret": webhook_secret(external_id),
                },
                actor=audit.SYSTEM,
            )
        return workspace.id


async def demo_accounts(services: Services) -> list[ChannelAccount]:
    async with services.sessionmaker() as session:
        return list(
            (
                await session.scalars(
                    select(ChannelAccount).where(ChannelAccount.kind == ChannelKind.SANDBOX.value)
                )
            ).all()
        )
