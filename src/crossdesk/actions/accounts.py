"""Channel accounts and their secrets (sealed in the vault, never returned)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.channels.base import AccountContext
from crossdesk.db.models import ChannelAccount, Secret
from crossdesk.domain import ChannelKind, new_id
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data


async def create_account(
    services: Services,
    session: AsyncSession,
    workspace_id: str,
    *,
    kind: ChannelKind,
    name: str,
    external_id: str,
    team_id: str | None,
    config: Mapping[str, Any],
    secrets: Mapping[str, str],
    actor: audit.Actor,
    proxy_url: str | None = None,
) -> ChannelAccount:
    """Create an account in the caller's transaction; secrets go straight into the vault."""
    account = ChannelAccount(
        workspace_id=workspace_id,
        kind=kind.value,
        name=name,
        external_id=external_id,
        team_id=team_id,
        config=dict(config),
        proxy_url=proxy_url,
    )
    session.add(account)
    await session.flush()
    for secret_name, value in secrets.items():
        put_secret(services, session, account, secret_name, value)
    await audit.record(
        session,
        workspace_id,
        "account.create",
        actor,
        target_type="channel_account",
        target_id=account.id,
        data={"kind": kind.value, "name": name, "secrets": sorted(secrets)},
    )
    return account


def put_secret(
    services: Services, session: AsyncSession, account: ChannelAccount, name: str, value: str
) -> Secret:
    secret = Secret(
        id=new_id(),
        workspace_id=account.workspace_id,
        owner_type="channel_account",
        owner_id=account.id,
        name=name,
    )
    secret.blob = services.envelope.seal(
        value.encode(), associated_data(account.workspace_id, secret.id, f"account.{name}")
    )
    session.add(secret)
    return secret


async def account_context(
    services: Services, session: AsyncSession, account: ChannelAccount
) -> AccountContext:
    """The adapter's view of an account, with its secrets decrypted for this use only."""
    rows = (await session.scalars(select(Secret).where(Secret.owner_id == account.id))).all()
    secrets = {
        row.name: services.envelope.open(
            row.blob,
            associated_data(account.workspace_id, row.id, f"account.{row.name}"),
            record=f"secret {row.id} ({row.name} of account {account.id})",
        ).decode()
        for row in rows
    }
    return AccountContext(
        id=account.id,
        workspace_id=account.workspace_id,
        kind=ChannelKind(account.kind),
        external_id=account.external_id,
        config={k: str(v) for k, v in account.config.items()},
        secrets=secrets,
        proxy_url=account.proxy_url,
    )
