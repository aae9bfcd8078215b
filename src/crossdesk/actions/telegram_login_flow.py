"""Logging a Telegram user account in from the accounts page, one step per request.

phone → code (→ 2FA password); the steps are those of the CLI (``channels.telegram_user.
login``). Between two requests the half-done login (the unauthorised client's
StringSession, which holds the auth key Telegram tied the code to, and the
``phone_code_hash``) is kept server-side only, sealed in the vault as a ``secret`` row of owner
type ``telegram_login``: never in a cookie or a page. The page refers to it by its row id,
which is not a secret. It expires ``PENDING_TTL`` after the code was sent, belongs to the
admin who started it, and is deleted when the login ends (logged in, cancelled, too many wrong
codes, code expired) or is replaced by a new one.

No database session is held while Telegram answers (ADR 0002): each step reads in a short
session, talks to Telegram with none, and writes the outcome in a transaction of its own.
Phone numbers are personal data: audit details and logs carry them masked.
"""

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.accounts import account_context
from crossdesk.actions.sessions import may_use
from crossdesk.actions.telegram_login import save_session, telegram_user_account
from crossdesk.channels.telegram_user import login as steps
from crossdesk.channels.telegram_user.settings import (
    SESSION_SECRET,
    TelegramUserSettings,
    telegram_user_settings,
)
from crossdesk.db.base import utcnow
from crossdesk.db.models import ChannelAccount, Secret
from crossdesk.db.session import transaction
from crossdesk.domain import new_id
from crossdesk.errors import Conflict, InvalidInput, NotFound
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

logger = logging.getLogger(__name__)

OWNER_TYPE = "telegram_login"
PENDING_TTL = timedelta(minutes=10)
MAX_CODE_TRIES = 5  # wrong codes before the pending login is dropped (a new code is needed)
MAX_PASSWORD_TRIES = 5
MAX_FIELD = 256


class LoginExpired(InvalidInput):
    """The pending login is gone: expired, cancelled, replaced or finished."""


@dataclass(frozen=True, slots=True)
class Pending:
    """A pending login as stored (sealed) between two requests."""

    id: str  # the vault row's id: the page's reference to it
    login: steps.PendingLogin
    started_by: str | None
    started_at: datetime
    code_tries: int = 0
    password_tries: int = 0

    @property
    def expires_at(self) -> datetime:
        return self.started_at + PENDING_TTL

    def __repr__(self) -> str:
        return f"Pending(id={self.id}, login={self.login!r})"


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a step needs, read in one short session."""

    account: ChannelAccount
    settings: TelegramUserSettings
    pending: Pending | None  # None once expired
    expired_by: str | None  # who had started a pending login that expired

    @property
    def expired(self) -> bool:
        return self.expired_by is not None


# -- the sealed pending record ------------------------------------------------------------------


def _record_name(account_id: str) -> str:
    return f"telegram_login.{account_id}"


def _aad(row: Secret) -> bytes:
    # The purpose follows the vault's rule for secret rows, so key rotation re-wraps these too.
    return associated_data(row.workspace_id, row.id, f"account.{row.name}")


def _seal(services: Services, row: Secret, pending: Pending, account_id: str) -> None:
    payload = {
        "account_id": account_id,
        "session": pending.login.session,
        "phone": pending.login.phone,
        "phone_code_hash": pending.login.phone_code_hash,
        "step": pending.login.step,
        "started_by": pending.started_by,
        "code_tries": pending.code_tries,
        "password_tries": pending.password_tries,
    }
    row.blob = services.envelope.seal(json.dumps(payload).encode(), _aad(row))


def _open(services: Services, row: Secret, account_id: str) -> Pending:
    data = json.loads(
        services.envelope.open(
            row.blob, _aad(row), record=f"secret {row.id} (pending Telegram login)"
        )
    )
    if data.get("account_id") != account_id:
        raise LoginExpired("this login belongs to another account: start again")
    return Pending(
        id=row.id,
        login=steps.PendingLogin(
            session=data["session"],
            phone=data["phone"],
            phone_code_hash=data["phone_code_hash"],
            step=data["step"],
        ),
        started_by=data.get("started_by"),
        started_at=row.created_at,
        code_tries=int(data.get("code_tries", 0)),
        password_tries=int(data.get("password_tries", 0)),
    )


async def _pending_row(session: AsyncSession, account: ChannelAccount) -> Secret | None:
    row: Secret | None = await session.scalar(
        select(Secret).where(
            Secret.workspace_id == account.workspace_id,
            Secret.owner_type == OWNER_TYPE,
            Secret.name == _record_name(account.id),
        )
    )
    return row


async def _drop(services: Services, account: ChannelAccount, pending_id: str | None = None) -> None:
    """Delete the account's pending login (only ``pending_id`` when given)."""
    async with transaction(services.sessionmaker) as session:
        query = delete(Secret).where(
            Secret.workspace_id == account.workspace_id,
            Secret.owner_type == OWNER_TYPE,
            Secret.name == _record_name(account.id),
        )
        if pending_id is not None:
            query = query.where(Secret.id == pending_id)
        await session.execute(query)


async def prepare(
    services: Services, principal: Principal, account_id: str, *, sweep: bool = True
) -> Prepared:
    """The account (a Telegram user account the caller manages), its settings and its
    pending login, read in one short session. An expired pending login is deleted (``sweep``;
    pages shown by GET only report it: GET changes nothing)."""
    async with services.read_sessionmaker() as session:
        try:
            account = await telegram_user_account(session, account_id)
        except NotFound:
            raise NotFound("no such account") from None
        if not may_use(principal, account):
            raise NotFound("no such account")
        settings = telegram_user_settings(await account_context(services, session, account))
        row = await _pending_row(session, account)
        pending = _open(services, row, account.id) if row is not None else None
    expired_by = None
    if pending is not None and pending.expires_at <= utcnow():
        if sweep:
            await _drop(services, account, pending.id)
            logger.info("pending Telegram login of account %s expired", account.id)
        expired_by, pending = pending.started_by or "", None
    return Prepared(account, settings, pending, expired_by)


def _current(prepared: Prepared, principal: Principal, pending_id: str, step: str) -> Pending:
    """The pending login a submitted form continues, or a clear refusal."""
    pending = prepared.pending
    if prepared.expired:
        raise LoginExpired("the login expired (10 minutes): send a new code")
    if pending is None or pending.id != pending_id:
        raise LoginExpired("this login was cancelled or replaced by a newer one: send a new code")
    if pending.started_by != principal.user_id:
        raise LoginExpired("another admin started this login: send a new code to take it over")
    if pending.login.step != step:
        raise LoginExpired("this step of the login is already done: reload the page")
    return pending


async def _refused(
    services: Services,
    account: ChannelAccount,
    actor: audit.Actor,
    reason: str,
    phone: str,
    *,
    pending_id: str | None = None,
    keep: Pending | None = None,
) -> None:
    """Record a refused step (audited); keep the pending login ``pending_id`` with its new
    counters (``keep``), or drop it. A newer pending login of the account is left alone."""
    async with transaction(services.sessionmaker) as session:
        row = await _pending_row(session, account)
        if row is not None and row.id == pending_id:
            if keep is not None:
                _seal(services, row, keep, account.id)
            else:
                await session.delete(row)
        await audit.record(
            session,
            account.workspace_id,
            "account.telegram_login_refused",
            actor,
            target_type="channel_account",
            target_id=account.id,
            data={"reason": reason, "phone": steps.mask_phone(phone)},
        )
    logger.info(
        "Telegram login of account %s refused (%s) for %s",
        account.id,
        reason,
        steps.mask_phone(phone),
    )


# -- the steps ------------------------------------------------------------------------------------


async def start_login(
    services: Services, principal: Principal, account_id: str, phone: str, actor: audit.Actor
) -> Pending:
    """Send a code; the new pending login replaces any earlier one of the account."""
    prepared = await prepare(services, principal, account_id)
    account = prepared.account
    number = steps.normalise_phone(phone)
    try:
        login = await steps.send_code(prepared.settings, number)  # no session held
    except steps.TelegramUnreachable:
        raise  # nothing was decided: not a refusal to audit
    except steps.LoginRefused as exc:
        await _refused(services, account, actor, "phone_refused", number)
        raise exc from None
    now = utcnow()
    async with transaction(services.sessionmaker) as session:
        # Starting again replaces the account's pending login; abandoned ones of the
        # workspace that expired are swept at the same time.
        await session.execute(
            delete(Secret).where(
                Secret.workspace_id == account.workspace_id,
                Secret.owner_type == OWNER_TYPE,
                (Secret.name == _record_name(account.id)) | (Secret.created_at < now - PENDING_TTL),
            )
        )
        row_id = new_id()
        row = Secret(
            id=row_id,
            workspace_id=account.workspace_id,
            owner_type=OWNER_TYPE,
            # Not the account's id: the account's secrets (owner_id = account) are opened for
            # every adapter call, and a half-done login must not travel with them.
            owner_id=row_id,
            name=_record_name(account.id),
            created_at=now,
        )
        pending = Pending(row.id, login, principal.user_id, now)
        _seal(services, row, pending, account.id)
        session.add(row)
        await audit.record(
            session,
            account.workspace_id,
            "account.telegram_login_code_sent",
            actor,
            target_type="channel_account",
            target_id=account.id,
            data={"phone": steps.mask_phone(number)},
        )
    logger.info(
        "Telegram login code sent for account %s to %s", account.id, steps.mask_phone(number)
    )
    return pending


async def enter_code(
    services: Services,
    principal: Principal,
    account_id: str,
    pending_id: str,
    code: str,
    actor: audit.Actor,
) -> Pending | None:
    """The code: None once logged in, or the pending login now asking for the password."""
    prepared = await prepare(services, principal, account_id)
    account = prepared.account
    pending = _current(prepared, principal, pending_id, steps.CODE)
    phone = pending.login.phone
    try:
        result = await steps.submit_code(prepared.settings, pending.login, code)
    except steps.CodeInvalid as exc:
        tries = pending.code_tries + 1
        if tries >= MAX_CODE_TRIES:
            await _refused(
                services, account, actor, "too_many_wrong_codes", phone, pending_id=pending.id
            )
            raise LoginExpired("the code was wrong too many times: send a new code") from None
        kept = replace(pending, code_tries=tries)
        await _refused(
            services, account, actor, "wrong_code", phone, pending_id=pending.id, keep=kept
        )
        raise exc from None
    except steps.CodeExpired:
        await _refused(services, account, actor, "code_expired", phone, pending_id=pending.id)
        raise LoginExpired("the code expired: send a new code") from None
    if isinstance(result, steps.PendingLogin):
        asking = Pending(pending.id, result, pending.started_by, pending.started_at)
        async with transaction(services.sessionmaker) as session:
            row = await _pending_row(session, account)
            if row is None or row.id != pending.id:
                raise LoginExpired("this login was cancelled or replaced: send a new code")
            _seal(services, row, asking, account.id)
        return asking
    await _logged_in(services, account, result, actor, pending)
    return None


async def enter_password(
    services: Services,
    principal: Principal,
    account_id: str,
    pending_id: str,
    password: str,
    actor: audit.Actor,
) -> None:
    """The two-step verification password (SRP); logged in on success."""
    prepared = await prepare(services, principal, account_id)
    account = prepared.account
    pending = _current(prepared, principal, pending_id, steps.PASSWORD)
    phone = pending.login.phone
    try:
        result = await steps.submit_password(prepared.settings, pending.login, password)
    except steps.PasswordInvalid as exc:
        tries = pending.password_tries + 1
        if tries >= MAX_PASSWORD_TRIES:
            await _refused(
                services, account, actor, "too_many_wrong_passwords", phone, pending_id=pending.id
            )
            raise LoginExpired("the password was wrong too many times: start again") from None
        kept = replace(pending, password_tries=tries)
        await _refused(
            services, account, actor, "wrong_password", phone, pending_id=pending.id, keep=kept
        )
        raise exc from None
    except steps.CodeExpired:
        await _refused(services, account, actor, "code_expired", phone, pending_id=pending.id)
        raise LoginExpired("the login expired on Telegram's side: send a new code") from None
    await _logged_in(services, account, result, actor, pending)


async def cancel_login(services: Services, principal: Principal, account_id: str) -> None:
    prepared = await prepare(services, principal, account_id)
    if prepared.pending is not None:
        await _drop(services, prepared.account, prepared.pending.id)


async def _logged_in(
    services: Services,
    account: ChannelAccount,
    result: steps.LoggedIn,
    actor: audit.Actor,
    pending: Pending,
) -> None:
    """Seal the session (same record and audit event as the CLI) and end the pending login."""
    try:
        async with transaction(services.sessionmaker) as session:
            await save_session(
                services, session, account.id, result.session, result.telegram_user_id, actor
            )
            row = await _pending_row(session, account)
            if row is not None:
                await session.delete(row)
    except Conflict:  # another Telegram user than the account's: nothing saved
        await _refused(
            services,
            account,
            actor,
            "other_telegram_user",
            pending.login.phone,
            pending_id=pending.id,
        )
        raise
    logger.info("Telegram user account %s logged in from the accounts page", account.id)


async def logged_in(services: Services, account_ids: list[str]) -> set[str]:
    """Which of these accounts have a stored Telegram session."""
    if not account_ids:
        return set()
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(
            select(Secret.owner_id).where(
                Secret.owner_id.in_(account_ids), Secret.name == SESSION_SECRET
            )
        )
        return set(rows.all())
