"""The alert notification worker: new alerts → live event + webhook and email deliveries.

Outbox-style in two steps, both driven by database state so nothing is lost on restart:

1. *Dispatch*: alerts with ``dispatched_at`` NULL (every new alert, whoever raised it) get
   one ``alert_delivery`` row per enabled channel and ``dispatched_at`` set, in one
   transaction; on commit an ``alert.created`` event tells connected supervisors.
2. *Deliver*: due deliveries are claimed (``sending`` with a lease) and committed before the
   network call; then marked ``done``, or retried with exponential backoff and jitter, and
   ``dead`` after ``max_attempts``. A lease that ran out (the worker died mid-call) puts the
   row back to ``pending``: receivers dedupe on the ``X-Crossdesk-Delivery`` id.

No database session is held during a network call (ADR 0002). Secrets, URLs and message
contents never reach the logs; ``last_error`` keeps an error class or an HTTP status.

Webhook requests are signed: ``X-Crossdesk-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" with the workspace's signing secret>``, with ``X-Crossdesk-Timestamp``
(Unix seconds) so that receivers can refuse replays.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import random
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.alert_handling import alert_event, alert_team_ids
from crossdesk.actions.alert_notifications import SMTP_PASSWORD, WEBHOOK_SECRET, read_secret
from crossdesk.db.base import utcnow
from crossdesk.db.models import AlertDelivery, AlertNotificationSettings, RiskAlert, User
from crossdesk.db.session import commit, on_commit
from crossdesk.services import Services

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Crossdesk-Signature"
TIMESTAMP_HEADER = "X-Crossdesk-Timestamp"
DELIVERY_HEADER = "X-Crossdesk-Delivery"
EVENT_HEADER = "X-Crossdesk-Event"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for one request body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300
) -> bool:
    """What a receiver does (documented for integrators, used by the tests)."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class DeliveryFailed(Exception):
    """A retryable failure; the message is safe to store (no secrets, no URL)."""


@dataclass(frozen=True, slots=True)
class Job:
    """Everything one delivery needs, read in a short session and then used without one."""

    delivery_id: str
    channel: str
    payload: dict[str, Any]  # Any: JSON
    settings: AlertNotificationSettings
    secret: str | None


class AlertNotificationWorker:
    def __init__(
        self,
        services: Services,
        *,
        poll_seconds: float = 1.0,
        max_attempts: int = 8,
        base_backoff_seconds: float = 2.0,
        max_backoff_seconds: float = 900.0,
        lease_seconds: float = 120.0,
        timeout_seconds: float = 15.0,
    ) -> None:
        self._services = services
        self._poll = poll_seconds
        self.max_attempts = max_attempts
        self._base_backoff = base_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._timeout = timeout_seconds

    async def run_forever(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except Exception:
                logger.exception("alert notification pass failed")
                worked = 0
            if not worked:
                await asyncio.sleep(self._poll)

    async def run_once(self, limit: int = 20) -> int:
        """Dispatch new alerts, recover abandoned deliveries, deliver due ones."""
        dispatched = await self.dispatch(limit)
        await self.recover_abandoned()
        claimed = await self._claim(limit)
        for delivery_id in claimed:
            await self._deliver(delivery_id)
        return dispatched + len(claimed)

    async def dispatch(self, limit: int = 50) -> int:
        async with self._services.sessionmaker() as session:
            statement = (
                select(RiskAlert)
                .where(RiskAlert.dispatched_at.is_(None))
                .order_by(RiskAlert.created_at)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True)
            alerts = list((await session.scalars(statement)).all())
            settings: dict[str, AlertNotificationSettings | None] = {}
            now = utcnow()
            for alert in alerts:
                if alert.workspace_id not in settings:
                    settings[alert.workspace_id] = await session.scalar(
                        select(AlertNotificationSettings).where(
                            AlertNotificationSettings.workspace_id == alert.workspace_id
                        )
                    )
                chosen = settings[alert.workspace_id]
                for channel in self._channels(chosen, alert):
                    session.add(
                        AlertDelivery(
                            workspace_id=alert.workspace_id,
                            alert_id=alert.id,
                            channel=channel,
                            state="pending",
                            attempts=0,
                            next_attempt_at=now,
                        )
                    )
                alert.dispatched_at = now
                self._announce(session, alert, await alert_team_ids(session, alert))
            await commit(session)
        return len(alerts)

    @staticmethod
    def _channels(chosen: AlertNotificationSettings | None, alert: RiskAlert) -> list[str]:
        if chosen is None or alert.severity < chosen.min_severity:
            return []
        channels = []
        if chosen.webhook_enabled and chosen.webhook_url:
            channels.append("webhook")
        if chosen.email_enabled and chosen.email_to and chosen.smtp_host:
            channels.append("email")
        return channels

    def _announce(self, session: AsyncSession, alert: RiskAlert, team_ids: list[str]) -> None:
        event = alert_event(alert, "alert.created", team_ids)

        async def _publish() -> None:
            await self._services.bus.publish(event)

        on_commit(session, _publish)

    async def recover_abandoned(self) -> int:
        async with self._services.sessionmaker() as session:
            result = await session.execute(
                update(AlertDelivery)
                .where(AlertDelivery.state == "sending", AlertDelivery.lease_until < utcnow())
                .values(state="pending", lease_until=None)
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult

    async def _claim(self, limit: int) -> list[str]:
        now = utcnow()
        async with self._services.sessionmaker() as session:
            statement = (
                select(AlertDelivery.id)
                .where(AlertDelivery.state == "pending", AlertDelivery.next_attempt_at <= now)
                .order_by(AlertDelivery.next_attempt_at)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True)
            ids = list((await session.scalars(statement)).all())
            claimed = []
            for delivery_id in ids:
                result = await session.execute(
                    update(AlertDelivery)
                    .where(AlertDelivery.id == delivery_id, AlertDelivery.state == "pending")
                    .values(
                        state="sending",
                        lease_until=now + self._lease,
                        attempts=AlertDelivery.attempts + 1,
                    )
                )
                if result.rowcount:  # type: ignore[attr-defined]  # CursorResult
                    claimed.append(delivery_id)
            await session.commit()
        return claimed

    async def _job(self, delivery_id: str) -> Job | None:
        async with self._services.read_sessionmaker() as session:
            row = await session.get(AlertDelivery, delivery_id)
            if row is None:
                return None
            alert = await session.get(RiskAlert, row.alert_id)
            chosen = await session.scalar(
                select(AlertNotificationSettings).where(
                    AlertNotificationSettings.workspace_id == row.workspace_id
                )
            )
            if alert is None or chosen is None:
                return None
            actor = await session.get(User, alert.actor_id) if alert.actor_id else None
            name = WEBHOOK_SECRET if row.channel == "webhook" else SMTP_PASSWORD
            secret = await read_secret(self._services, session, row.workspace_id, name)
            payload = {
                "type": "alert.created",
                "delivery_id": row.id,
                "workspace_id": alert.workspace_id,
                "alert": {
                    "id": alert.id,
                    "kind": alert.kind,
                    "severity": alert.severity,
                    "status": alert.status,
                    "summary": alert.summary,
                    "created_at": alert.created_at.isoformat(),
                    "actor": {"id": actor.id, "name": actor.display_name} if actor else None,
                    "target_type": alert.target_type,
                    "target_id": alert.target_id,
                    "url": self._services.settings.web.public_url.rstrip("/")
                    + f"/ui/alerts?status={alert.status}",
                },
            }
            session.expunge(chosen)
            return Job(row.id, row.channel, payload, chosen, secret)

    async def _deliver(self, delivery_id: str) -> None:
        job = await self._job(delivery_id)
        error: str | None
        if job is None:
            error = "the alert or the settings are gone"
            await self._finish(delivery_id, error, retry=False)
            return
        try:
            if job.channel == "webhook":
                await self._post(job)
            else:
                await asyncio.to_thread(self._mail, job)
            error = None
        except DeliveryFailed as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not kill the worker or lose the row
            logger.exception("alert delivery %s crashed", delivery_id)
            error = type(exc).__name__
        await self._finish(delivery_id, error, retry=True)

    async def _post(self, job: Job) -> None:
        url = job.settings.webhook_url
        if not url or not job.secret:
            raise DeliveryFailed("webhook URL or signing secret missing")
        body = json.dumps(job.payload, sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "crossdesk-alerts/1",
            EVENT_HEADER: "alert.created",
            DELIVERY_HEADER: job.delivery_id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(job.secret, timestamp, body),
        }
        try:
            response = await self._services.http.post(
                url, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(type(exc).__name__) from None
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}")

    def _mail(self, job: Job) -> None:
        """Blocking smtplib, run in a thread: one connection per message."""
        chosen = job.settings
        alert = job.payload["alert"]
        message = EmailMessage()
        message["Subject"] = f"[crossdesk] alert {alert['kind']} (severity {alert['severity']})"
        message["From"] = chosen.email_from or ""
        message["To"] = chosen.email_to or ""
        message["Message-ID"] = f"<{job.delivery_id}@crossdesk>"
        actor = alert["actor"]["name"] if alert["actor"] else "system"
        message.set_content(
            f"{alert['summary']}\n\n"
            f"Kind: {alert['kind']}\nSeverity: {alert['severity']}\nWho: {actor}\n"
            f"When (UTC): {alert['created_at']}\n\nHandle it: {alert['url']}\n"
        )
        host, port = chosen.smtp_host or "", chosen.smtp_port
        try:
            smtp: smtplib.SMTP
            if chosen.smtp_security == "tls":
                smtp = smtplib.SMTP_SSL(
                    host, port, timeout=self._timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=self._timeout)
            with smtp:
                if chosen.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if chosen.smtp_username and job.secret:
                    smtp.login(chosen.smtp_username, job.secret)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            code = getattr(exc, "smtp_code", None)
            raise DeliveryFailed(f"{type(exc).__name__}{f' {code}' if code else ''}") from None

    async def _finish(self, delivery_id: str, error: str | None, *, retry: bool) -> None:
        async with self._services.sessionmaker() as session:
            row = await session.get(AlertDelivery, delivery_id)
            if row is None:
                return
            row.lease_until = None
            if error is None:
                row.state = "done"
                row.delivered_at = utcnow()
                row.last_error = None
            elif retry and row.attempts < self.max_attempts:
                row.state = "pending"
                row.next_attempt_at = utcnow() + timedelta(seconds=self.backoff(row.attempts))
                row.last_error = error[:300]
                logger.warning(
                    "alert %s delivery %s failed (attempt %d): %s",
                    row.channel,
                    row.id,
                    row.attempts,
                    error,
                )
            else:
                row.state = "dead"
                row.last_error = error[:300]
                logger.error("alert %s delivery %s gave up: %s", row.channel, row.id, error)
            await session.commit()

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt: doubling from the base, capped, ±20% jitter."""
        delay: float = min(self._max_backoff, self._base_backoff * 2.0 ** max(attempts - 1, 0))
        return delay * random.uniform(0.8, 1.2)  # jitter, not cryptography
