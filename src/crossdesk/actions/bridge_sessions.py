"""WhatsApp bridge (WAHA) sessions of QR-linked accounts: start and link, show the QR code,
log out, and keep the session state (logged out, waiting for a scan, failed) visible.

No database session is held while the bridge answers (ADR 0002): the account is read and
its secrets decrypted in a short session, WAHA is called with none, and the state is written
in a transaction of its own (``bridge_session`` plus the account's health, audited when it
changes).
"""

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from crossdesk.actions.accounts import account_context
from crossdesk.actions.sessions import may_use
from crossdesk.channels.base import AccountContext
from crossdesk.channels.whatsapp_bridge import api
from crossdesk.db.base import utcnow
from crossdesk.db.models import BridgeSession, ChannelAccount
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, Permission
from crossdesk.errors import NotFound, PermanentSendError, PermissionDenied, RetryableSendError
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

ClientFactory = Callable[[AccountContext], httpx.AsyncClient]

# WAHA session status → (account health, what the admin is told).
STATES: dict[str, tuple[str, str]] = {
    "WORKING": ("connected", "linked and working"),
    "SCAN_QR_CODE": ("auth_failed", "not linked: scan the QR code with the phone"),
    "STARTING": ("unchecked", "starting"),
    "STOPPED": ("unreachable", "stopped: press Link to start it"),
    "FAILED": ("error", "failed: press Link to restart it, then scan the QR code if asked"),
    "MISSING": ("unreachable", "no session on the bridge yet: press Link"),
}


@dataclass(frozen=True, slots=True)
class BridgeState:
    account_id: str
    status: str
    detail: str
    me: str | None = None

    @property
    def needs_scan(self) -> bool:
        return self.status == "SCAN_QR_CODE"

    @property
    def linked(self) -> bool:
        return self.status == "WORKING"


def default_client(account: AccountContext) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0), proxy=account.proxy_url)


async def _context(
    services: Services, principal: Principal, account_id: str, *, manage: bool
) -> AccountContext:
    if manage and not principal.can(Permission.ACCOUNT_MANAGE):
        raise PermissionDenied("your role lacks the permission: account.manage")
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        if (
            account is None
            or account.workspace_id != principal.workspace_id
            or not may_use(principal, account)
            or account.kind != ChannelKind.WHATSAPP_WEB.value
        ):
            raise NotFound("no such WhatsApp bridge account")
        return await account_context(services, session, account)


async def record_status(
    services: Services,
    workspace_id: str,
    account_id: str,
    status: str,
    me: str | None = None,
    actor: audit.Actor = audit.SYSTEM,
) -> BridgeState:
    """Store the session status and the account health it implies (audited on change)."""
    health, detail = STATES.get(status, ("error", f"unexpected bridge status {status}"))
    async with transaction(services.sessionmaker) as session:
        account = await session.get(ChannelAccount, account_id)
        if account is None:
            raise NotFound("no such account")
        row = await session.get(BridgeSession, account_id)
        previous = row.status if row is not None else None
        if row is None:
            row = BridgeSession(
                workspace_id=workspace_id,
                account_id=account_id,
                session_name=account.external_id,
                updated_at=utcnow(),
            )
            session.add(row)
        row.status, row.detail, row.updated_at = status, detail, utcnow()
        if me is not None:
            row.me_id = me[:100]
        if health != "unchecked":
            account.health = health
        if previous != status:
            await audit.record(
                session,
                workspace_id,
                "account.bridge_status",
                actor,
                target_type="channel_account",
                target_id=account_id,
                data={"from": previous, "to": status},
            )
    return BridgeState(account_id, status, detail, me)


async def refresh(
    services: Services,
    principal: Principal,
    account_id: str,
    client_factory: ClientFactory = default_client,
) -> BridgeState:
    """Ask the bridge for the session's status and record it."""
    context = await _context(services, principal, account_id, manage=False)
    async with client_factory(context) as client:
        try:
            info = await api.session_info(client, context)
        except (PermanentSendError, RetryableSendError) as exc:
            return BridgeState(account_id, "UNREACHABLE", f"the bridge did not answer: {exc}")
    if info is None:
        return await record_status(services, principal.workspace_id, account_id, "MISSING")
    me = info.me.id if info.me is not None else None
    return await record_status(services, principal.workspace_id, account_id, info.status, me)


async def link(
    services: Services,
    principal: Principal,
    account_id: str,
    webhook_url: str,
    status_url: str,
    actor: audit.Actor,
    client_factory: ClientFactory = default_client,
) -> BridgeState:
    """Create or start the account's session with our webhooks; it then shows a QR code."""
    context = await _context(services, principal, account_id, manage=True)
    async with client_factory(context) as client:
        try:
            info = await api.start_session(client, context, webhook_url, status_url)
        except (PermanentSendError, RetryableSendError) as exc:
            return BridgeState(account_id, "UNREACHABLE", f"the bridge refused: {exc}")
    me = info.me.id if info.me is not None else None
    return await record_status(services, principal.workspace_id, account_id, info.status, me, actor)


async def unlink(
    services: Services,
    principal: Principal,
    account_id: str,
    actor: audit.Actor,
    client_factory: ClientFactory = default_client,
) -> BridgeState:
    """Log the phone out of the bridge; the session waits for a new scan."""
    context = await _context(services, principal, account_id, manage=True)
    async with client_factory(context) as client:
        try:
            await api.logout(client, context)
            info = await api.session_info(client, context)
        except (PermanentSendError, RetryableSendError) as exc:
            return BridgeState(account_id, "UNREACHABLE", f"the bridge refused: {exc}")
    status = info.status if info is not None else "MISSING"
    return await record_status(services, principal.workspace_id, account_id, status, None, actor)


async def qr_code(
    services: Services,
    principal: Principal,
    account_id: str,
    client_factory: ClientFactory = default_client,
) -> bytes | None:
    """The PNG to scan, or None when the session is not waiting for a scan."""
    context = await _context(services, principal, account_id, manage=True)
    async with client_factory(context) as client:
        try:
            return await api.qr_png(client, context)
        except (PermanentSendError, RetryableSendError):
            return None
