"""Where each account's traffic really leaves: its egress IP, checked through its own proxy.

Platforms link accounts that share an address. Each account is meant to leave through its
own proxy, so the health probes also ask an IP-echo endpoint (``sessions.egress_echo_url``;
ipinfo.io's JSON by default, any service answering ``{"ip": ..., "country": ...}`` or the
bare address as text will do) *through the account's proxy*, and record the answer:

- a change of IP or country is audited (``account.egress_changed``) and raises an alert;
- accounts that share one egress IP although they were given different proxies (or one
  goes direct while another uses a proxy: the proxy is not being used) are flagged, and an
  alert is raised when the sharing is first seen.

Like the connection probe, the call runs with no database session held (ADR 0002).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.accounts import account_context
from crossdesk.actions.sessions import may_use
from crossdesk.channels.base import AccountContext
from crossdesk.db.base import utcnow
from crossdesk.db.models import AccountEgress, ChannelAccount
from crossdesk.db.session import transaction
from crossdesk.domain import Permission
from crossdesk.errors import NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.alerts import raise_alert
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

ECHO_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_ECHO_BYTES = 4096


@dataclass(frozen=True, slots=True)
class EgressResult:
    ip: str | None = None
    country: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.ip is not None


@dataclass(frozen=True, slots=True)
class EgressView:
    """What the accounts page shows about an account's egress."""

    ip: str | None
    country: str | None
    checked_at: datetime
    error: str | None
    shared_with: tuple[str, ...]  # names of the accounts unexpectedly on the same IP
    changed_at: datetime | None = None
    previous_ip: str | None = None


def parse_echo(body: bytes) -> tuple[str, str | None]:
    """The address (and country code, when given) from an IP-echo answer.

    Accepts JSON ``{"ip": "...", "country": "DE"}`` (ipinfo.io, ipify ``?format=json``,
    ``country_code`` also understood) or the bare address as text. Raises ValueError with
    a reason when the answer holds no valid address.
    """
    text = body[:MAX_ECHO_BYTES].decode("utf-8", "replace").strip()
    country: str | None = None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("the echo endpoint answered malformed JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the echo endpoint's JSON is not an object")
        raw_ip = data.get("ip")
        if not isinstance(raw_ip, str):
            raise ValueError("the echo endpoint's JSON has no 'ip'")
        raw_country = data.get("country") or data.get("country_code")
        if isinstance(raw_country, str) and raw_country.isalpha() and len(raw_country) <= 3:
            country = raw_country.upper()
    else:
        raw_ip = text.splitlines()[0] if text else ""
    try:
        address = ipaddress.ip_address(raw_ip.strip())
    except ValueError:
        raise ValueError("the echo endpoint's answer is not an IP address") from None
    return str(address), country


async def egress_probe(client: httpx.AsyncClient, url: str) -> EgressResult:
    """Ask the echo endpoint (through the client's proxy); never raises for network trouble."""
    try:
        response = await client.get(
            url, timeout=ECHO_TIMEOUT, headers={"Accept": "application/json"}
        )
    except httpx.ProxyError:
        return EgressResult(error="the proxy refused or failed the request")
    except httpx.TransportError as exc:
        return EgressResult(error=f"could not reach the echo endpoint: {type(exc).__name__}")
    if not response.is_success:
        return EgressResult(error=f"the echo endpoint answered {response.status_code}")
    try:
        ip, country = parse_echo(response.content)
    except ValueError as exc:
        return EgressResult(error=str(exc))
    return EgressResult(ip, country)


def _isolation_key(proxy_url: str | None) -> str:
    """Accounts with the same proxy setting share an address by choice, not by accident."""
    return proxy_url or "direct"


async def _shared(session: AsyncSession, workspace_id: str) -> dict[str, tuple[str, ...]]:
    """Per account: the other accounts on its egress IP that were set up to be apart."""
    rows = (
        await session.execute(
            select(
                ChannelAccount.id, ChannelAccount.name, ChannelAccount.proxy_url, AccountEgress.ip
            )
            .join(AccountEgress, AccountEgress.account_id == ChannelAccount.id)
            .where(
                ChannelAccount.workspace_id == workspace_id,
                ChannelAccount.archived.is_(False),
                AccountEgress.ip.is_not(None),
            )
        )
    ).all()
    by_ip: dict[str, list[tuple[str, str, str]]] = {}
    for account_id, name, proxy_url, ip in rows:
        by_ip.setdefault(str(ip), []).append((account_id, name, _isolation_key(proxy_url)))
    shared: dict[str, tuple[str, ...]] = {}
    for group in by_ip.values():
        for account_id, _name, key in group:
            others = tuple(sorted(n for a, n, k in group if a != account_id and k != key))
            if others:
                shared[account_id] = others
    return shared


async def record_egress(
    services: Services,
    workspace_id: str,
    account_id: str,
    result: EgressResult,
    actor: audit.Actor = audit.SYSTEM,
) -> None:
    """Store one check; audit and alert a change of IP or country, and new sharing."""
    now = utcnow()
    async with transaction(services.sessionmaker) as session:
        account = await session.get(ChannelAccount, account_id)
        if account is None:
            return
        row = await session.get(AccountEgress, account_id)
        if row is None:
            row = AccountEgress(account_id=account_id, workspace_id=workspace_id)
            session.add(row)
        row.checked_at = now
        row.via_proxy = account.proxy_url is not None
        row.error = result.error[:300] if result.error else None
        if not result.ok:
            return
        before_ip, before_country = row.ip, row.country
        shared_before = (await _shared(session, workspace_id)).get(account_id, ())
        changed = before_ip is not None and (
            before_ip != result.ip
            or (result.country is not None and before_country not in (None, result.country))
        )
        if before_ip != result.ip or result.country != before_country:
            row.previous_ip, row.previous_country = before_ip, before_country
            row.ip, row.country = result.ip, result.country
            if before_ip is not None:
                row.changed_at = now
        await session.flush()
        if changed:
            detail = {
                "from": before_ip,
                "to": result.ip,
                "country_from": before_country,
                "country_to": result.country,
            }
            await audit.record(
                session,
                workspace_id,
                "account.egress_changed",
                actor,
                target_type="channel_account",
                target_id=account_id,
                data=detail,
            )
            where = (
                f" ({before_country}→{result.country})" if before_country != result.country else ""
            )
            await raise_alert(
                session,
                workspace_id,
                kind="account.egress",
                severity=3,
                summary=f"{account.name}: egress IP changed {before_ip} → {result.ip}{where}",
                actor_id=actor.user_id,
                target_type="channel_account",
                target_id=account_id,
                data=detail,
            )
        shared_now = (await _shared(session, workspace_id)).get(account_id, ())
        if shared_now and set(shared_now) - set(shared_before):
            await raise_alert(
                session,
                workspace_id,
                kind="account.egress_shared",
                severity=4,
                summary=(
                    f"{account.name} leaves through the same IP {result.ip} as "
                    f"{', '.join(shared_now)} although they were set up apart"
                ),
                actor_id=actor.user_id,
                target_type="channel_account",
                target_id=account_id,
                data={"ip": result.ip, "shared_with": list(shared_now)},
            )


def default_echo_client(account: AccountContext) -> httpx.AsyncClient:
    """Through the account's own proxy: the point is to see what the platform sees."""
    return httpx.AsyncClient(timeout=ECHO_TIMEOUT, proxy=account.proxy_url)


async def check_egress(
    services: Services,
    principal: Principal,
    account_id: str,
    actor: audit.Actor,
    client_factory: Callable[[AccountContext], httpx.AsyncClient] = default_echo_client,
) -> EgressResult:
    """The admin's "check egress IP" button: probe now (no session held), then record."""
    if not principal.can(Permission.ACCOUNT_MANAGE):
        raise PermissionDenied("your role lacks the permission: account.manage")
    url = services.settings.sessions.egress_echo_url
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        if account is None or not may_use(principal, account):
            raise NotFound("no such account")
        context = await account_context(services, session, account)
    if not url:
        result = EgressResult(error="no IP-echo endpoint is configured (sessions.egress_echo_url)")
    else:
        async with client_factory(context) as client:
            result = await egress_probe(client, url)
    await record_egress(services, principal.workspace_id, account_id, result, actor)
    return result


async def egress_views(
    services: Services, workspace_id: str, account_ids: list[str]
) -> dict[str, EgressView]:
    """The recorded egress of each account, with the accounts it unexpectedly shares with."""
    if not account_ids:
        return {}
    async with services.read_sessionmaker() as session:
        rows = (
            await session.scalars(
                select(AccountEgress).where(AccountEgress.account_id.in_(account_ids))
            )
        ).all()
        shared = await _shared(session, workspace_id)
    return {
        row.account_id: EgressView(
            row.ip,
            row.country,
            row.checked_at,
            row.error,
            shared.get(row.account_id, ()),
            row.changed_at,
            row.previous_ip,
        )
        for row in rows
        if row.workspace_id == workspace_id
    }
