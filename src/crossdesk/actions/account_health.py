"""Adding platform accounts from the admin page, and "test connection" (the account's health).

Each platform asks for exactly its own secrets and settings (``PLATFORM_FORMS``, following
docs/channels.md); secrets are sealed in the vault by ``create_account`` and never returned.

The connection test makes one cheap authenticated call per platform through the account's
own proxy: Telegram ``getMe``, Graph ``GET /{phone-number-id}`` (WhatsApp) or ``GET /me``
(Messenger, Instagram), LINE ``GET /v2/bot/info``. No database session is held while the
platform answers (ADR 0002): the account is read and its secrets decrypted in a short read
session, the call runs with none, and the result is written in a transaction of its own
(``channel_account.health`` plus an ``account.health_check`` audit event carrying the detail).
"""

import re
import secrets as random_secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import select

from crossdesk.actions.accounts import account_context, create_account
from crossdesk.actions.bridge_sessions import STATES as BRIDGE_STATES
from crossdesk.actions.sessions import may_use
from crossdesk.channels.base import AccountContext
from crossdesk.channels.email.probe import probe_mailbox
from crossdesk.channels.email.settings import email_settings
from crossdesk.channels.line.api import DEFAULT_API_BASE as LINE_API_BASE
from crossdesk.channels.meta.graph import api_url
from crossdesk.channels.registry import get_adapter
from crossdesk.channels.telegram_bot.api import DEFAULT_API_BASE as TELEGRAM_API_BASE
from crossdesk.channels.telegram_user.login import normalise_phone
from crossdesk.channels.telegram_user.probe import probe_session as probe_telegram_user
from crossdesk.channels.telegram_user.settings import telegram_user_settings
from crossdesk.channels.whatsapp_bridge import api as bridge_api
from crossdesk.channels.whatsapp_bridge.settings import parse_flavour
from crossdesk.db.models import AuditEvent, ChannelAccount, Team
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, Permission
from crossdesk.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermanentSendError,
    PermissionDenied,
    RetryableSendError,
)
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

GRAPH_API_BASE = "https://graph.facebook.com"
INSTAGRAM_API_BASE = "https://graph.instagram.com"
PROBE_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_SESSION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,54}$")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    label: str
    required: bool = True
    placeholder: str = ""


@dataclass(frozen=True, slots=True)
class PlatformForm:
    """What adding an account of one platform asks for."""

    kind: ChannelKind
    title: str
    external_id_label: str
    secrets: tuple[FieldSpec, ...]
    config: tuple[FieldSpec, ...] = field(default=())
    external_id_required: bool = True
    steps: str = ""


def _graph_config(default_base: str) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("api_base_url", "API base URL", required=False, placeholder=default_base),
        FieldSpec("api_version", "API version", required=False, placeholder="v21.0"),
    )


_META_SECRETS = (
    FieldSpec("access_token", "Access token"),
    FieldSpec("app_secret", "App secret"),
    FieldSpec("verify_token", "Verify token"),
)

PLATFORM_FORMS: dict[ChannelKind, PlatformForm] = {
    form.kind: form
    for form in (
        PlatformForm(
            ChannelKind.WHATSAPP,
            "WhatsApp Business Cloud API",
            "Phone-number id",
            _META_SECRETS,
            _graph_config(GRAPH_API_BASE),
            steps="Set the callback URL and verify token under WhatsApp → Configuration and "
            "subscribe to the messages field.",
        ),
        PlatformForm(
            ChannelKind.MESSENGER,
            "Facebook Messenger",
            "Page id",
            _META_SECRETS,
            _graph_config(GRAPH_API_BASE),
            steps="Set the callback URL and verify token in the Messenger settings and "
            "subscribe the Page to messages, echoes, deliveries, reads and reactions.",
        ),
        PlatformForm(
            ChannelKind.INSTAGRAM,
            "Instagram messaging",
            "Instagram account id",
            _META_SECRETS,
            (
                *_graph_config(INSTAGRAM_API_BASE),
                FieldSpec("send_node_id", "Page id (Facebook Login only)", required=False),
            ),
            steps="Set the callback URL and verify token and subscribe to messages, "
            "messaging_seen and message_reactions.",
        ),
        PlatformForm(
            ChannelKind.TELEGRAM_BOT,
            "Telegram bot",
            "Bot id (taken from the token when empty)",
            (
                FieldSpec("bot_token", "Bot token from @BotFather"),
                FieldSpec(
                    "webhook_secret",
                    "Webhook secret (generated when empty)",
                    required=False,
                ),
            ),
            (
                FieldSpec(
                    "api_base_url", "API base URL", required=False, placeholder=TELEGRAM_API_BASE
                ),
            ),
            external_id_required=False,
            steps="Register the webhook URL with setWebhook and the webhook secret as "
            "secret_token.",
        ),
        PlatformForm(
            ChannelKind.EMAIL,
            "E-mail (IMAP and SMTP)",
            "E-mail address",
            (
                FieldSpec("password", "Mailbox password (or app password)"),
                FieldSpec("smtp_password", "SMTP password if different", required=False),
            ),
            (
                FieldSpec("imap_host", "IMAP server", placeholder="imap.example.com"),
                FieldSpec("imap_port", "IMAP port", required=False, placeholder="993"),
                FieldSpec(
                    "imap_security", "IMAP security", required=False, placeholder="ssl / starttls"
                ),
                FieldSpec("smtp_host", "SMTP server", placeholder="smtp.example.com"),
                FieldSpec("smtp_port", "SMTP port", required=False, placeholder="465"),
                FieldSpec(
                    "smtp_security", "SMTP security", required=False, placeholder="ssl / starttls"
                ),
                FieldSpec("username", "Login name (when not the address)", required=False),
                FieldSpec("from_name", "Sender name shown to customers", required=False),
                FieldSpec("mailbox", "Mailbox", required=False, placeholder="INBOX"),
                FieldSpec(
                    "poll_seconds",
                    "Check every (seconds, without IDLE)",
                    required=False,
                    placeholder="60",
                ),
            ),
            steps="Mail is read over IMAP (IDLE when the server offers it) and replies are sent "
            "over SMTP; no webhook is needed. Use an app password where the provider asks.",
        ),
        PlatformForm(
            ChannelKind.WHATSAPP_WEB,
            "WhatsApp app linked by QR code (WAHA or Evolution API bridge)",
            "Bridge session name",
            (
                FieldSpec("api_key", "Bridge API key (WAHA X-Api-Key / Evolution apikey)"),
                FieldSpec(
                    "webhook_hmac_key", "Webhook HMAC key (generated when empty)", required=False
                ),
            ),
            (
                FieldSpec("api_base_url", "Bridge URL", placeholder="http://waha.internal:3000"),
                FieldSpec(
                    "flavour", "Bridge software", required=False, placeholder="waha / evolution"
                ),
            ),
            steps="crossdesk creates the session on your WAHA or Evolution server with its "
            "webhooks; press Link by QR code and scan the code with the phone (Linked devices).",
        ),
        PlatformForm(
            ChannelKind.LINE,
            "LINE Messaging API",
            "Bot user id (webhook destination)",
            (
                FieldSpec("channel_access_token", "Channel access token"),
                FieldSpec("channel_secret", "Channel secret"),
            ),
            (FieldSpec("api_base_url", "API base URL", required=False, placeholder=LINE_API_BASE),),
            steps="Paste the webhook URL in the LINE Developers console, enable Use webhook "
            "and press Verify.",
        ),
        PlatformForm(
            ChannelKind.TELEGRAM_USER,
            "Telegram user account (phone number, MTProto)",
            "Phone number of the account",
            (FieldSpec("api_hash", "api_hash from my.telegram.org"),),
            (
                FieldSpec("api_id", "api_id from my.telegram.org", placeholder="1234567"),
                FieldSpec("dc_host", "Data centre host (leave empty)", required=False),
                FieldSpec("dc_port", "Data centre port (leave empty)", required=False),
                FieldSpec("dc_id", "Data centre number (leave empty)", required=False),
            ),
            steps="Create an application on my.telegram.org (API development tools) for its api_id "
            "and api_hash, add the account, then press Log in on its row: Telegram sends a code to "
            "the account's app. Use a socks5:// or http:// proxy, stable per account.",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class NewAccount:
    """The add-account form as submitted (secrets are never echoed back)."""

    kind: str
    name: str
    external_id: str = ""
    team_id: str = ""
    proxy_url: str = ""
    secrets: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print secrets
        return f"NewAccount(kind={self.kind}, name={self.name})"


@dataclass(frozen=True, slots=True)
class HealthResult:
    health: str  # connected | auth_failed | unreachable | error
    detail: str
    checked_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.health == "connected"


def _require_manage(principal: Principal) -> None:
    if not principal.can(Permission.ACCOUNT_MANAGE):
        raise PermissionDenied("your role lacks the permission: account.manage")


def _validate(spec: NewAccount) -> tuple[PlatformForm, dict[str, str], dict[str, str], str]:
    try:
        form = PLATFORM_FORMS[ChannelKind(spec.kind)]
    except (ValueError, KeyError):
        raise InvalidInput(
            f"accounts of kind {spec.kind!r} cannot be added here", field="kind"
        ) from None
    if not spec.name.strip():
        raise InvalidInput("the account needs a name", field="name")
    secrets: dict[str, str] = {}
    for item in form.secrets:
        value = spec.secrets.get(item.name, "").strip()
        if value:
            secrets[item.name] = value
        elif item.required:
            raise InvalidInput(f"{item.label} is required", field=item.name)
    config = {
        item.name: spec.config[item.name].strip()
        for item in form.config
        if spec.config.get(item.name, "").strip()
    }
    for key in ("api_base_url",):
        if key in config and not config[key].startswith(("https://", "http://")):
            raise InvalidInput("the API base URL must start with https://", field=key)
    external_id = spec.external_id.strip()
    if form.kind is ChannelKind.TELEGRAM_BOT:
        if not external_id:
            # Bot tokens are "<bot id>:<secret>".
            external_id = secrets["bot_token"].split(":", 1)[0]
        if not external_id.isdigit():
            raise InvalidInput(
                "the bot id is the number before ':' in the token", field="external_id"
            )
        secrets.setdefault("webhook_secret", random_secrets.token_urlsafe(32))
        if not _TELEGRAM_SECRET.match(secrets["webhook_secret"]):
            raise InvalidInput(
                "the webhook secret may only use A-Z a-z 0-9 _ - (1-256 characters)",
                field="webhook_secret",
            )
    if not external_id:
        raise InvalidInput(f"{form.external_id_label} is required", field="external_id")
    if form.kind is ChannelKind.WHATSAPP_WEB:
        if not _SESSION_NAME.match(external_id):
            raise InvalidInput(
                "the session name may only use A-Z a-z 0-9 _ - (1-54 characters)",
                field="external_id",
            )
        if "api_base_url" not in config:
            raise InvalidInput("the bridge URL is required", field="api_base_url")
        secrets.setdefault("webhook_hmac_key", random_secrets.token_urlsafe(32))
        config["flavour"] = parse_flavour(config.get("flavour")).value
    proxy = spec.proxy_url.strip()
    if proxy and not proxy.startswith(("http://", "https://", "socks5://", "socks5h://")):
        raise InvalidInput(
            "the proxy must be an http://, https:// or socks5:// URL", field="proxy_url"
        )
    if form.kind is ChannelKind.TELEGRAM_USER:
        external_id = normalise_phone(external_id)
        # api_id, data centre and proxy checked as the login will read them
        telegram_user_settings(
            AccountContext(
                "new", "", form.kind, external_id, config, secrets, spec.proxy_url.strip() or None
            )
        )
    if form.kind is ChannelKind.EMAIL:
        # Hosts, ports, security, the address and the proxy (mail needs a tunnel: no
        # https:// proxy) checked now, with a message naming the field.
        email_settings(
            AccountContext(
                "new",
                "",
                form.kind,
                external_id,
                config=config,
                secrets=secrets,
                proxy_url=proxy or None,
            )
        )
        external_id = external_id.lower()
    return form, secrets, config, external_id


async def add_account(
    services: Services, principal: Principal, spec: NewAccount, actor: audit.Actor
) -> ChannelAccount:
    """Create the account (secrets into the vault), health ``unchecked`` until tested."""
    _require_manage(principal)
    form, secrets, config, external_id = _validate(spec)
    async with transaction(services.sessionmaker) as session:
        team_id = spec.team_id.strip() or None
        if team_id is not None:
            team = await session.get(Team, team_id)
            if team is None or team.workspace_id != principal.workspace_id:
                raise InvalidInput("no such team", field="team_id")
        existing = await session.scalar(
            select(ChannelAccount.id).where(
                ChannelAccount.workspace_id == principal.workspace_id,
                ChannelAccount.kind == form.kind.value,
                ChannelAccount.external_id == external_id,
            )
        )
        if existing is not None:
            raise Conflict(f"a {form.title} account with id {external_id} already exists")
        account = await create_account(
            services,
            session,
            principal.workspace_id,
            kind=form.kind,
            name=spec.name.strip(),
            external_id=external_id,
            team_id=team_id,
            config=config,
            secrets=secrets,
            actor=actor,
            proxy_url=spec.proxy_url.strip() or None,
        )
        account.health = "unchecked"
        return account


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or ''}"}


def _from_status(response: httpx.Response, ok_detail: str) -> HealthResult:
    if response.is_success:
        return HealthResult("connected", ok_detail)
    if response.status_code in (401, 403):
        return HealthResult(
            "auth_failed", f"the platform refused the credentials ({response.status_code})"
        )
    if response.status_code == 429 or response.status_code >= 500:
        return HealthResult(
            "unreachable", f"the platform answered {response.status_code}; try again later"
        )
    return HealthResult("error", f"the platform answered {response.status_code}")


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def probe(client: httpx.AsyncClient, account: AccountContext) -> HealthResult:
    """One cheap authenticated call to the platform; never raises for platform trouble."""
    try:
        return await _probe(client, account)
    except httpx.TransportError as exc:
        return HealthResult("unreachable", f"could not reach the platform: {type(exc).__name__}")


async def _probe(client: httpx.AsyncClient, account: AccountContext) -> HealthResult:
    kind = account.kind
    if kind is ChannelKind.TELEGRAM_BOT:
        token = account.secrets.get("bot_token")
        if not token:
            return HealthResult("error", "no bot token is configured")
        base = account.config.get("api_base_url", TELEGRAM_API_BASE).rstrip("/")
        response = await client.post(f"{base}/bot{token}/getMe", json={}, timeout=PROBE_TIMEOUT)
        if response.status_code == 404:  # Telegram answers an unknown token with 404/401
            return HealthResult("auth_failed", "Telegram does not know this bot token")
        result = _json(response).get("result")
        username = result.get("username") if isinstance(result, dict) else None
        return _from_status(response, f"@{username}" if username else "bot reachable")
    if kind in (ChannelKind.WHATSAPP, ChannelKind.MESSENGER, ChannelKind.INSTAGRAM):
        default = INSTAGRAM_API_BASE if kind is ChannelKind.INSTAGRAM else GRAPH_API_BASE
        node = account.external_id if kind is ChannelKind.WHATSAPP else "me"
        url = api_url(account, default, node)
        response = await client.get(
            url,
            params={"fields": "id,name" if node == "me" else "id,display_phone_number"},
            headers=_bearer(account.secrets.get("access_token")),
            timeout=PROBE_TIMEOUT,
        )
        body = _json(response)
        label = body.get("display_phone_number") or body.get("name") or body.get("id")
        return _from_status(response, str(label) if label else "token accepted")
    if kind is ChannelKind.LINE:
        base = account.config.get("api_base_url", LINE_API_BASE).rstrip("/")
        response = await client.get(
            f"{base}/v2/bot/info",
            headers=_bearer(account.secrets.get("channel_access_token")),
            timeout=PROBE_TIMEOUT,
        )
        body = _json(response)
        label = body.get("displayName") or body.get("basicId")
        return _from_status(response, str(label) if label else "channel reachable")
    if kind is ChannelKind.EMAIL:
        health, detail = await probe_mailbox(account)
        return HealthResult(health, detail)
    if kind is ChannelKind.WHATSAPP_WEB:
        return await _probe_bridge(client, account)
    if kind is ChannelKind.TELEGRAM_USER:  # MTProto through Telethon, not the HTTP client
        health, detail = await probe_telegram_user(account)
        return HealthResult(health, detail)
    if kind is ChannelKind.SANDBOX:
        return HealthResult("connected", "sandbox platform (in process)")
    return HealthResult("error", f"no connection test for {kind.value} yet")


async def _probe_bridge(client: httpx.AsyncClient, account: AccountContext) -> HealthResult:
    """The WAHA session's status: linked, waiting for a QR scan (logged out), failed."""
    try:
        info = await bridge_api.session_info(client, account)
    except PermanentSendError:
        return HealthResult("auth_failed", "the bridge refused the API key")
    except (RetryableSendError, InvalidInput) as exc:
        return HealthResult("unreachable", f"bridge: {exc}")
    status = info.status if info is not None else "MISSING"
    health, detail = BRIDGE_STATES.get(status, ("error", f"unexpected bridge status {status}"))
    return HealthResult("unreachable" if health == "unchecked" else health, detail)


def default_probe_client(account: AccountContext) -> httpx.AsyncClient:
    """Through the account's own outbound proxy, like the delivery worker's sends."""
    return httpx.AsyncClient(timeout=PROBE_TIMEOUT, proxy=account.proxy_url)


async def check_connection(
    services: Services,
    principal: Principal,
    account_id: str,
    actor: audit.Actor,
    client_factory: Callable[[AccountContext], httpx.AsyncClient] = default_probe_client,
) -> HealthResult:
    """Probe the platform with no database session held, then record the health."""
    _require_manage(principal)
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        if account is None or not may_use(principal, account):
            raise NotFound("no such account")
        context = await account_context(services, session, account)
    # The session is closed: the platform may take seconds to answer.
    async with client_factory(context) as client:
        result = await probe(client, context)
    async with transaction(services.sessionmaker) as session:
        row = await session.get(ChannelAccount, account_id)
        if row is None:
            raise NotFound("no such account")
        row.health = result.health
        event = await audit.record(
            session,
            principal.workspace_id,
            "account.health_check",
            actor,
            target_type="channel_account",
            target_id=account_id,
            data={"health": result.health, "detail": result.detail},
        )
    return HealthResult(result.health, result.detail, event.at)


async def last_checks(
    services: Services, workspace_id: str, account_ids: list[str]
) -> dict[str, HealthResult]:
    """The newest recorded connection test of each account (from the audit log)."""
    if not account_ids:
        return {}
    async with services.read_sessionmaker() as session:
        rows = (
            await session.execute(
                select(AuditEvent.target_id, AuditEvent.data, AuditEvent.at)
                .where(
                    AuditEvent.workspace_id == workspace_id,
                    AuditEvent.action == "account.health_check",
                    AuditEvent.target_id.in_(account_ids),
                )
                .order_by(AuditEvent.at)
            )
        ).all()
    checks: dict[str, HealthResult] = {}
    for target_id, data, at in rows:
        if target_id is not None:
            checks[target_id] = HealthResult(
                str(data.get("health", "")), str(data.get("detail", "")), at
            )
    return checks


async def assign_team(
    services: Services,
    principal: Principal,
    account_id: str,
    team_id: str | None,
    actor: audit.Actor,
) -> ChannelAccount:
    """Move the account to a team (or none): its new conversations go to that team."""
    _require_manage(principal)
    async with transaction(services.sessionmaker) as session:
        account = await session.get(ChannelAccount, account_id)
        if account is None or not may_use(principal, account):
            raise NotFound("no such account")
        if team_id is not None:
            team = await session.get(Team, team_id)
            if team is None or team.workspace_id != principal.workspace_id:
                raise InvalidInput("no such team", field="team_id")
        previous, account.team_id = account.team_id, team_id
        await audit.record(
            session,
            principal.workspace_id,
            "account.team",
            actor,
            target_type="channel_account",
            target_id=account.id,
            data={"from": previous, "to": team_id},
        )
        return account


async def register_telegram_webhook(
    services: Services,
    principal: Principal,
    account_id: str,
    url: str,
    actor: audit.Actor,
    client_factory: Callable[[AccountContext], httpx.AsyncClient] = default_probe_client,
) -> HealthResult:
    """``setWebhook`` with the account's webhook secret; no database session held meanwhile."""
    _require_manage(principal)
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        if account is None or not may_use(principal, account):
            raise NotFound("no such account")
        if account.kind != ChannelKind.TELEGRAM_BOT.value:
            raise InvalidInput("only Telegram bots register their webhook from here")
        context = await account_context(services, session, account)
    adapter = get_adapter(ChannelKind.TELEGRAM_BOT)
    set_webhook = getattr(adapter, "set_webhook", None)
    if set_webhook is None:  # pragma: no cover - the registered Telegram adapter has it
        raise InvalidInput("the Telegram adapter cannot register webhooks")
    try:
        async with client_factory(context) as client:
            await set_webhook(client, context, url)
        result = HealthResult("connected", f"webhook registered: {url}")
    except (PermanentSendError, RetryableSendError) as exc:
        result = HealthResult("error", f"setWebhook failed: {exc}")
    async with transaction(services.sessionmaker) as session:
        event = await audit.record(
            session,
            principal.workspace_id,
            "account.webhook_register",
            actor,
            target_type="channel_account",
            target_id=account_id,
            data={"ok": result.ok, "detail": result.detail},
        )
    return HealthResult(result.health, result.detail, event.at)
