"""A workspace's alert notification settings: webhook and email, edited by an admin.

The webhook signing secret and the SMTP password are sealed in the vault (``secret`` rows
owned by the workspace), never stored in the settings row, returned or logged. The vault
rotation re-wraps every ``secret`` row with the purpose ``account.<name>``, so these are
sealed under that purpose too.
"""

import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.models import AlertNotificationSettings, Secret
from crossdesk.domain import Permission, new_id
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

WEBHOOK_SECRET = "alert_webhook_secret"  # noqa: S105  # a vault record name
SMTP_PASSWORD = "alert_smtp_password"  # noqa: S105  # a vault record name
OWNER_TYPE = "workspace"
MIN_SECRET_LENGTH = 16
SECURITY_MODES = ("none", "starttls", "tls")
# Deliberately simple: one @, no spaces, a dot in the domain. The SMTP server is the judge.
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@dataclass(frozen=True, slots=True)
class NotificationInput:
    """What the admin submits. A secret left ``None`` keeps the stored one."""

    min_severity: int = 1
    webhook_enabled: bool = False
    webhook_url: str | None = None
    webhook_secret: str | None = None
    email_enabled: bool = False
    email_to: list[str] = field(default_factory=list)
    email_from: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationView:
    """The stored settings without secrets (only whether each is set)."""

    min_severity: int
    webhook_enabled: bool
    webhook_url: str | None
    webhook_secret_set: bool
    email_enabled: bool
    email_to: list[str]
    email_from: str | None
    smtp_host: str | None
    smtp_port: int
    smtp_security: str
    smtp_username: str | None
    smtp_password_set: bool

    def public(self) -> dict[str, Any]:  # Any: plain JSON values
        return asdict(self)


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def validate_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            "the webhook URL must be an http(s) URL with a host", field="webhook_url"
        )
    if parts.username or parts.password:
        raise InvalidInput(
            "put no credentials in the webhook URL; requests are signed instead",
            field="webhook_url",
        )
    return url


def validate_addresses(addresses: list[str], field_name: str) -> list[str]:
    cleaned = [a.strip() for a in addresses if a.strip()]
    for address in cleaned:
        if not EMAIL.match(address):
            raise InvalidInput(f"not an email address: {address[:80]}", field=field_name)
    return cleaned


def split_addresses(text: str) -> list[str]:
    return [a for a in re.split(r"[,;\s]+", text) if a]


async def _secret(session: AsyncSession, workspace_id: str, name: str) -> Secret | None:
    row: Secret | None = await session.scalar(
        select(Secret).where(
            Secret.owner_id == workspace_id,
            Secret.name == name,
            Secret.owner_type == OWNER_TYPE,
        )
    )
    return row


async def read_secret(
    services: Services, session: AsyncSession, workspace_id: str, name: str
) -> str | None:
    """Decrypt one of the workspace's notification secrets, for this use only."""
    row = await _secret(session, workspace_id, name)
    if row is None:
        return None
    return services.envelope.open(
        row.blob,
        associated_data(workspace_id, row.id, f"account.{name}"),
        record=f"secret {row.id} ({name} of workspace {workspace_id})",
    ).decode()


async def _put_secret(
    services: Services, session: AsyncSession, workspace_id: str, name: str, value: str
) -> None:
    row = await _secret(session, workspace_id, name)
    if row is None:
        row = Secret(
            id=new_id(), workspace_id=workspace_id, owner_type=OWNER_TYPE, owner_id=workspace_id
        )
        row.name = name
        session.add(row)
    row.blob = services.envelope.seal(
        value.encode(), associated_data(workspace_id, row.id, f"account.{name}")
    )


async def _settings_row(
    session: AsyncSession, workspace_id: str
) -> AlertNotificationSettings | None:
    row: AlertNotificationSettings | None = await session.scalar(
        select(AlertNotificationSettings).where(
            AlertNotificationSettings.workspace_id == workspace_id
        )
    )
    return row


async def load_notification_settings(session: AsyncSession, workspace_id: str) -> NotificationView:
    row = await _settings_row(session, workspace_id)
    webhook_secret = await _secret(session, workspace_id, WEBHOOK_SECRET)
    smtp_password = await _secret(session, workspace_id, SMTP_PASSWORD)
    if row is None:
        row = AlertNotificationSettings(
            min_severity=1,
            webhook_enabled=False,
            email_enabled=False,
            smtp_port=587,
            smtp_security="starttls",
        )
    return NotificationView(
        min_severity=row.min_severity,
        webhook_enabled=row.webhook_enabled,
        webhook_url=row.webhook_url,
        webhook_secret_set=webhook_secret is not None,
        email_enabled=row.email_enabled,
        email_to=split_addresses(row.email_to or ""),
        email_from=row.email_from,
        smtp_host=row.smtp_host,
        smtp_port=row.smtp_port,
        smtp_security=row.smtp_security,
        smtp_username=row.smtp_username,
        smtp_password_set=smtp_password is not None,
    )


async def save_notification_settings(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    given: NotificationInput,
    actor: audit.Actor,
) -> AlertNotificationSettings:
    """Validate and store the settings and secrets; audited without the secrets."""
    if not principal.can(Permission.NOTIFICATION_MANAGE):
        raise PermissionDenied("your role lacks the permission: notification.manage")
    workspace_id = principal.workspace_id
    if not 1 <= given.min_severity <= 5:
        raise InvalidInput("severity must be between 1 and 5", field="min_severity")
    url = _clean(given.webhook_url)
    if url:
        validate_webhook_url(url)
    new_secret = _clean(given.webhook_secret)
    if new_secret is not None and len(new_secret) < MIN_SECRET_LENGTH:
        raise InvalidInput(
            f"the signing secret needs at least {MIN_SECRET_LENGTH} characters",
            field="webhook_secret",
        )
    if given.webhook_enabled:
        if not url:
            raise InvalidInput("give the webhook URL", field="webhook_url")
        if new_secret is None and await _secret(session, workspace_id, WEBHOOK_SECRET) is None:
            raise InvalidInput("give a signing secret for the webhook", field="webhook_secret")
    recipients = validate_addresses(given.email_to, "email_to")
    sender = _clean(given.email_from)
    if sender:
        validate_addresses([sender], "email_from")
    host = _clean(given.smtp_host)
    if given.smtp_security not in SECURITY_MODES:
        raise InvalidInput("SMTP security must be none, starttls or tls", field="smtp_security")
    if not 1 <= given.smtp_port <= 65535:
        raise InvalidInput("the SMTP port must be between 1 and 65535", field="smtp_port")
    if given.email_enabled:
        if not recipients:
            raise InvalidInput("give at least one recipient", field="email_to")
        if not sender:
            raise InvalidInput("give the sender address", field="email_from")
        if not host:
            raise InvalidInput("give the SMTP server", field="smtp_host")

    row = await _settings_row(session, workspace_id)
    if row is None:
        row = AlertNotificationSettings(id=new_id(), workspace_id=workspace_id)
        session.add(row)
    row.min_severity = given.min_severity
    row.webhook_enabled = given.webhook_enabled
    row.webhook_url = url
    row.email_enabled = given.email_enabled
    row.email_to = ", ".join(recipients) or None
    row.email_from = sender
    row.smtp_host = host
    row.smtp_port = given.smtp_port
    row.smtp_security = given.smtp_security
    row.smtp_username = _clean(given.smtp_username)
    row.updated_at = utcnow()
    row.updated_by = principal.user_id
    if new_secret is not None:
        await _put_secret(services, session, workspace_id, WEBHOOK_SECRET, new_secret)
    password = given.smtp_password or None
    if password is not None:
        await _put_secret(services, session, workspace_id, SMTP_PASSWORD, password)
    await audit.record(
        session,
        workspace_id,
        "notification.settings_change",
        actor,
        target_type="workspace",
        target_id=workspace_id,
        data={
            "min_severity": given.min_severity,
            "webhook_enabled": given.webhook_enabled,
            # The host only: some webhook URLs carry a token in their path.
            "webhook_host": urlsplit(url).hostname if url else None,
            "webhook_secret_changed": new_secret is not None,
            "email_enabled": given.email_enabled,
            "email_recipients": len(recipients),
            "smtp_host": host,
            "smtp_password_changed": password is not None,
        },
    )
    return row
