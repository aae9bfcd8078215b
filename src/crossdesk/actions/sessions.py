"""Browser sessions of accounts: capture, check out under a lease, check in, force check-in.

The storage state (Playwright's cookies, localStorage and IndexedDB export) is sealed in the
vault. It leaves the server only in a checkout response, to the one person holding the
lease; it never appears in logs, errors or audit payloads (those carry counts only).
Sealing and unsealing happen outside the write transaction (ADR 0002/0003).
"""

import hashlib
import hmac
import json
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.risk_actions import check_account_unlocked, check_clearance
from crossdesk.db.base import utcnow
from crossdesk.db.models import AccountSession, ChannelAccount, User
from crossdesk.db.session import transaction
from crossdesk.domain import Permission, new_id
from crossdesk.errors import (
    Conflict,
    CrossdeskError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    VaultError,
)
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

PURPOSE = "session.state"


@dataclass(frozen=True, slots=True)
class StateSummary:
    """What may be said about a storage state without revealing it."""

    cookies: int
    origins: int
    size: int

    def audit_data(self) -> dict[str, int]:
        return {"cookies": self.cookies, "origins": self.origins, "bytes": self.size}


@dataclass(frozen=True, slots=True)
class SessionStatus:
    account_id: str
    account_name: str
    version: int
    updated_at: datetime
    leased_to: str | None  # user id
    leased_to_name: str | None
    leased_at: datetime | None
    lease_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Checkout:
    """A checked-out session: the state (JSON bytes) and the token that checks it back in."""

    account_id: str
    lease_token: str = ""
    expires_at: datetime | None = None
    version: int = 0
    state: bytes = b""
    start_url: str | None = None
    proxy_url: str | None = None

    def __repr__(self) -> str:  # never print the state or the token
        return f"Checkout(account={self.account_id}, version={self.version})"


def summarize_state(raw: bytes, *, max_bytes: int) -> StateSummary:
    """Validate a Playwright storage state (JSON object with ``cookies`` and ``origins``)."""
    if len(raw) > max_bytes:
        raise InvalidInput(f"the session state exceeds {max_bytes} bytes", field="state")
    try:
        state = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the session state is not JSON", field="state") from None
    if not isinstance(state, dict):
        raise InvalidInput("the session state must be a JSON object", field="state")
    cookies, origins = state.get("cookies"), state.get("origins")
    if not isinstance(cookies, list) or not isinstance(origins, list):
        raise InvalidInput(
            "the session state needs 'cookies' and 'origins' lists (Playwright storage state)",
            field="state",
        )
    return StateSummary(len(cookies), len(origins), len(raw))


def seal_state(services: Services, workspace_id: str, row_id: str, raw: bytes) -> bytes:
    return services.envelope.seal(
        zlib.compress(raw, 6), associated_data(workspace_id, row_id, PURPOSE)
    )


def open_state(services: Services, row: AccountSession) -> bytes:
    record = f"account_session {row.id} (account {row.account_id})"
    packed = services.envelope.open(
        row.state_enc, associated_data(row.workspace_id, row.id, PURPOSE), record=record
    )
    inflater = zlib.decompressobj()
    limit = services.settings.sessions.max_state_bytes
    try:
        raw = inflater.decompress(packed, limit + 1)
    except zlib.error:
        raise VaultError(f"record {record} is not a compressed session state") from None
    if len(raw) > limit or inflater.unconsumed_tail:
        raise VaultError(f"record {record} inflates beyond {limit} bytes")
    return raw


def hash_lease(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lease_active(row: AccountSession, now: datetime) -> bool:
    return (
        row.lease_holder_id is not None
        and row.lease_expires_at is not None
        and row.lease_expires_at > now
    )


def may_use(principal: Principal, account: ChannelAccount) -> bool:
    """Managers use any account of the workspace; others only their teams' accounts."""
    if account.workspace_id != principal.workspace_id:
        return False
    if principal.can(Permission.ACCOUNT_MANAGE):
        return True
    return (
        principal.can(Permission.ACCOUNT_OPEN)
        and account.team_id is not None
        and account.team_id in principal.team_ids
    )


async def _account(session: AsyncSession, principal: Principal, account_id: str) -> ChannelAccount:
    account = await session.get(ChannelAccount, account_id)
    if account is None or not may_use(principal, account):
        # Accounts outside the caller's scope are not acknowledged to exist.
        raise NotFound("no such account")
    return account


async def _row(session: AsyncSession, account_id: str, *, lock: bool) -> AccountSession | None:
    query = select(AccountSession).where(AccountSession.account_id == account_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


def _require(principal: Principal, permission: Permission) -> None:
    if not principal.can(permission):
        raise PermissionDenied(f"your role lacks the permission: {permission.value}")


async def _holder_name(session: AsyncSession, row: AccountSession) -> str | None:
    if row.lease_holder_id is None:
        return None
    user = await session.get(User, row.lease_holder_id)
    return user.display_name if user else row.lease_holder_id


def _leased_conflict(row: AccountSession, holder: str | None) -> Conflict:
    since = row.leased_at.isoformat(timespec="seconds") if row.leased_at else "?"
    return Conflict(
        f"this account's session is checked out by {holder} since {since}; it can be used by "
        "one person at a time (an admin can force a check-in)",
        holder=holder,
        since=since,
        reason="leased",
    )


async def _status(
    session: AsyncSession, account: ChannelAccount, row: AccountSession
) -> SessionStatus:
    active = lease_active(row, utcnow())
    return SessionStatus(
        account_id=account.id,
        account_name=account.name,
        version=row.state_version,
        updated_at=row.state_updated_at,
        leased_to=row.lease_holder_id if active else None,
        leased_to_name=await _holder_name(session, row) if active else None,
        leased_at=row.leased_at if active else None,
        lease_expires_at=row.lease_expires_at if active else None,
    )


async def capture_session(
    services: Services, principal: Principal, account_id: str, raw: bytes, actor: audit.Actor
) -> SessionStatus:
    """Store a freshly logged-in session (replacing any earlier one); managers only."""
    _require(principal, Permission.ACCOUNT_MANAGE)
    summary = summarize_state(raw, max_bytes=services.settings.sessions.max_state_bytes)
    async with services.read_sessionmaker() as session:
        account = await _account(session, principal, account_id)
        existing = await _row(session, account.id, lock=False)
        row_id = existing.id if existing else new_id()
    sealed = seal_state(services, principal.workspace_id, row_id, raw)
    async with transaction(services.sessionmaker) as session:
        row = await _row(session, account_id, lock=True)
        now = utcnow()
        if row is None:
            row = AccountSession(
                id=row_id,
                workspace_id=principal.workspace_id,
                account_id=account_id,
                state_enc=sealed,
                state_version=1,
                state_updated_at=now,
                state_updated_by=principal.user_id,
            )
            session.add(row)
        else:
            if row.id != row_id:  # pragma: no cover - the row was replaced in between
                raise Conflict("the session changed while it was being saved; try again")
            if lease_active(row, now) and row.lease_holder_id != principal.user_id:
                raise _leased_conflict(row, await _holder_name(session, row))
            row.state_enc = sealed
            row.state_version += 1
            row.state_updated_at = now
            row.state_updated_by = principal.user_id
            _clear_lease(row)
        await session.flush()
        await audit.record(
            session,
            principal.workspace_id,
            "session.capture",
            actor,
            target_type="channel_account",
            target_id=account_id,
            data={"version": row.state_version, **summary.audit_data()},
        )
        account = await _account(session, principal, account_id)
        return await _status(session, account, row)


def _refusal_reason(exc: CrossdeskError) -> str:
    """A short, stable word for why a checkout was refused (for the audit log)."""
    if isinstance(exc, PermissionDenied):
        return "permission"
    if isinstance(exc, NotFound):
        return "no_session" if "captured" in exc.message else "no_account"
    if isinstance(exc, Conflict):
        return str(exc.fields.get("reason", "leased"))
    return exc.code


async def _audit_refusal(
    services: Services,
    principal: Principal,
    account_id: str,
    actor: audit.Actor,
    exc: CrossdeskError,
    *,
    takeover: bool,
) -> None:
    """Record a refused checkout in a transaction of its own (the refused one rolled back):
    who asked, for which account, and why; for a held lease, who holds it and since when."""
    data: dict[str, object] = {
        "user_id": principal.user_id,
        "reason": _refusal_reason(exc),
        "detail": exc.message[:300],
        "takeover": takeover,
    }
    for key in ("holder", "since"):
        if key in exc.fields:
            data[key] = exc.fields[key]
    async with transaction(services.sessionmaker) as session:
        await audit.record(
            session,
            principal.workspace_id,
            "session.checkout_refused",
            actor,
            target_type="channel_account",
            target_id=account_id[:64],
            data=data,
        )


async def checkout_session(
    services: Services,
    principal: Principal,
    account_id: str,
    actor: audit.Actor,
    *,
    takeover: bool = False,
) -> Checkout:
    """Lease the account's session to the caller and return it.

    Refused while someone holds an unexpired lease, for an archived account, without the
    permission or outside the caller's teams. ``takeover`` lets the holder take their own
    lease again (their launcher died); it never takes someone else's. Every refusal is
    audited (``session.checkout_refused``, with who and why).
    """
    try:
        return await _checkout(services, principal, account_id, actor, takeover=takeover)
    except (PermissionDenied, NotFound, Conflict) as exc:
        await _audit_refusal(services, principal, account_id, actor, exc, takeover=takeover)
        raise


async def _checkout(
    services: Services,
    principal: Principal,
    account_id: str,
    actor: audit.Actor,
    *,
    takeover: bool,
) -> Checkout:
    _require(principal, Permission.ACCOUNT_OPEN)
    token = secrets.token_urlsafe(32)
    lease_for = timedelta(minutes=services.settings.sessions.lease_minutes)
    async with transaction(services.sessionmaker) as session:
        account = await _account(session, principal, account_id)
        if account.archived:
            raise Conflict(
                "this account is archived: its session cannot be opened", reason="archived"
            )
        # Risk rules: a locked account, or a supervisor approval the caller still needs.
        await check_account_unlocked(session, principal.workspace_id, account.id)
        await check_clearance(
            session, principal.workspace_id, principal.user_id, "session.checkout", actor
        )
        row = await _row(session, account.id, lock=True)
        if row is None:
            raise NotFound(
                "no browser session has been captured for this account yet "
                "(an admin runs `crossdesk session capture`)"
            )
        now = utcnow()
        if lease_active(row, now):
            own = row.lease_holder_id == principal.user_id
            if not (own and takeover):
                raise _leased_conflict(row, await _holder_name(session, row))
        row.lease_holder_id = principal.user_id
        row.lease_token_hash = hash_lease(token)
        row.leased_at = now
        row.lease_expires_at = now + lease_for
        await audit.record(
            session,
            principal.workspace_id,
            "session.checkout",
            actor,
            target_type="channel_account",
            target_id=account.id,
            data={
                "version": row.state_version,
                "takeover": takeover,
                "account_team_id": account.team_id,
                # for the risk rule on checkouts of other teams' accounts
                "outside_team": account.team_id not in principal.team_ids,
            },
        )
        # Opened before the commit: a record that fails to open leases nothing (CPU only,
        # milliseconds, no slow await inside the transaction).
        state = open_state(services, row)
        start_url = account.config.get("web_url")
        return Checkout(
            account_id=account_id,
            lease_token=token,
            expires_at=row.lease_expires_at,
            version=row.state_version,
            state=state,
            start_url=str(start_url) if start_url else None,
            proxy_url=account.proxy_url,
        )


async def renew_lease(
    services: Services, principal: Principal, account_id: str, lease_token: str
) -> datetime:
    """Extend the caller's lease (the launcher calls this while the browser is open)."""
    _require(principal, Permission.ACCOUNT_OPEN)
    async with transaction(services.sessionmaker) as session:
        account = await _account(session, principal, account_id)
        row = await _row(session, account.id, lock=True)
        _check_lease(row, principal, lease_token)
        assert row is not None
        expires = utcnow() + timedelta(minutes=services.settings.sessions.lease_minutes)
        row.lease_expires_at = expires
    return expires


def _check_lease(row: AccountSession | None, principal: Principal, token: str) -> None:
    held = (
        row is not None
        and row.lease_holder_id == principal.user_id
        and row.lease_token_hash is not None
        and hmac.compare_digest(row.lease_token_hash, hash_lease(token))
    )
    if not held:
        raise Conflict(
            "you no longer hold this account's session (an admin checked it in, or the lease "
            "expired and someone else took it); what you did in the browser was not saved"
        )


def _clear_lease(row: AccountSession) -> None:
    row.lease_holder_id = None
    row.lease_token_hash = None
    row.leased_at = None
    row.lease_expires_at = None


async def checkin_session(
    services: Services,
    principal: Principal,
    account_id: str,
    lease_token: str,
    raw: bytes | None,
    actor: audit.Actor,
) -> SessionStatus:
    """Store the updated state (``raw``; None keeps the old one) and end the lease."""
    _require(principal, Permission.ACCOUNT_OPEN)
    summary = None
    sealed = None
    if raw is not None:
        summary = summarize_state(raw, max_bytes=services.settings.sessions.max_state_bytes)
        async with services.read_sessionmaker() as session:
            account = await _account(session, principal, account_id)
            existing = await _row(session, account.id, lock=False)
            _check_lease(existing, principal, lease_token)
            assert existing is not None
            row_id = existing.id
        sealed = seal_state(services, principal.workspace_id, row_id, raw)
    async with transaction(services.sessionmaker) as session:
        account = await _account(session, principal, account_id)
        row = await _row(session, account.id, lock=True)
        _check_lease(row, principal, lease_token)
        assert row is not None
        if sealed is not None:
            row.state_enc = sealed
            row.state_version += 1
            row.state_updated_at = utcnow()
            row.state_updated_by = principal.user_id
        _clear_lease(row)
        data: dict[str, object] = {"version": row.state_version, "saved": sealed is not None}
        if summary is not None:
            data.update(summary.audit_data())
        await audit.record(
            session,
            principal.workspace_id,
            "session.checkin",
            actor,
            target_type="channel_account",
            target_id=account.id,
            data=data,
        )
        return await _status(session, account, row)


async def force_checkin(
    services: Services, principal: Principal, account_id: str, actor: audit.Actor
) -> SessionStatus:
    """End whoever's lease (managers only). The holder's later check-in is refused and its
    state discarded; their open browser still works until closed (see docs/sessions.md)."""
    _require(principal, Permission.ACCOUNT_MANAGE)
    async with transaction(services.sessionmaker) as session:
        account = await _account(session, principal, account_id)
        row = await _row(session, account.id, lock=True)
        if row is None:
            raise NotFound("no browser session has been captured for this account yet")
        holder = row.lease_holder_id if lease_active(row, utcnow()) else None
        _clear_lease(row)
        await audit.record(
            session,
            principal.workspace_id,
            "session.force_checkin",
            actor,
            target_type="channel_account",
            target_id=account.id,
            data={"holder": holder},
        )
        return await _status(session, account, row)


async def session_status(
    services: Services, principal: Principal, account_id: str
) -> SessionStatus:
    _require(principal, Permission.ACCOUNT_OPEN)
    async with services.read_sessionmaker() as session:
        account = await _account(session, principal, account_id)
        row = await _row(session, account.id, lock=False)
        if row is None:
            raise NotFound("no browser session has been captured for this account yet")
        return await _status(session, account, row)


async def list_sessions(services: Services, principal: Principal) -> list[SessionStatus]:
    """The sessions of every account the caller may use."""
    _require(principal, Permission.ACCOUNT_OPEN)
    async with services.read_sessionmaker() as session:
        rows = (
            await session.execute(
                select(ChannelAccount, AccountSession)
                .join(AccountSession, AccountSession.account_id == ChannelAccount.id)
                .where(ChannelAccount.workspace_id == principal.workspace_id)
                .order_by(ChannelAccount.name)
            )
        ).all()
        return [
            await _status(session, account, row)
            for account, row in rows
            if may_use(principal, account)
        ]
