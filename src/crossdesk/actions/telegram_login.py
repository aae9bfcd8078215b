"""Storing a Telegram user account's login (its session string), sealed and audited."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.accounts import put_secret
from crossdesk.channels.telegram_user.settings import SESSION_SECRET
from crossdesk.db.models import ChannelAccount, Secret
from crossdesk.domain import ChannelKind
from crossdesk.errors import Conflict, InvalidInput, NotFound
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

USER_ID_KEY = "telegram_user_id"  # in the account's config, set by its first login


async def telegram_user_account(session: AsyncSession, account_id: str) -> ChannelAccount:
    account = await session.get(ChannelAccount, account_id)
    if account is None or account.archived:
        raise NotFound(f"no active account {account_id!r}")
    if account.kind != ChannelKind.TELEGRAM_USER.value:
        raise InvalidInput(f"account {account_id!r} is not a Telegram user account")
    return account


async def save_session(
    services: Services,
    session: AsyncSession,
    account_id: str,
    session_string: str,
    telegram_user_id: int,
    actor: audit.Actor,
) -> None:
    """Seal the session in the vault (replacing an earlier login) in the caller's transaction."""
    account = await telegram_user_account(session, account_id)
    # The account is one Telegram user: its chats and contacts are that user's. Logging
    # another number in would mix a second person's chats into them.
    known = (account.config or {}).get(USER_ID_KEY)
    if known and known != str(telegram_user_id):
        raise Conflict(
            "this account is another Telegram user: log in with the number it was set up "
            "with, or add a new account for this one",
            account_id=account.id,
        )
    if not known:
        account.config = {**(account.config or {}), USER_ID_KEY: str(telegram_user_id)}
    existing = await session.scalar(
        select(Secret).where(Secret.owner_id == account.id, Secret.name == SESSION_SECRET)
    )
    if existing is None:
        put_secret(services, session, account, SESSION_SECRET, session_string)
    else:  # a new login replaces the old one: re-seal the same record
        existing.blob = services.envelope.seal(
            session_string.encode(),
            associated_data(account.workspace_id, existing.id, f"account.{SESSION_SECRET}"),
        )
    account.health = "connected"
    await audit.record(
        session,
        account.workspace_id,
        "account.telegram_login",
        actor,
        target_type="channel_account",
        target_id=account.id,
        data={"telegram_user_id": telegram_user_id, "replaced": existing is not None},
    )
