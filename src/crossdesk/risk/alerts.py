"""The one interface through which anything raises a risk alert.

Alerts are rows written in the caller's transaction (so an alert exists exactly when the
action it is about was recorded), audited, and announced to connected supervisors on commit.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.models import RiskAlert
from crossdesk.domain import new_id
from crossdesk.pipeline.stages.guard import guard_summary
from crossdesk.risk import audit
from crossdesk.risk.rules.engine import Firing

GUARD_ALERT_ACTIONS = frozenset({"alert"})
# Agents trying to move customers to private channels are what companies fear most: a
# blocked outbound diversion attempt is always an alert, whatever the list's action.
ALWAYS_ALERT_CATEGORIES = frozenset({"diversion"})


async def raise_alert(
    session: AsyncSession,
    workspace_id: str,
    *,
    kind: str,
    severity: int,
    summary: str,
    actor_id: str | None,
    target_type: str | None,
    target_id: str | None,
    data: dict[str, Any] | None = None,
) -> RiskAlert:
    """Record an alert in the caller's transaction. ``data`` must hold no raw personal data."""
    alert = RiskAlert(
        id=new_id(),
        workspace_id=workspace_id,
        kind=kind,
        severity=max(1, min(5, severity)),
        summary=summary[:300],
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        data=data or {},
    )
    session.add(alert)
    await audit.record(
        session,
        workspace_id,
        "risk.alert",
        audit.Actor(actor_id),
        target_type="risk_alert",
        target_id=alert.id,
        data={"kind": kind, "severity": alert.severity},
    )
    return alert


async def raise_guard_alerts(
    session: AsyncSession,
    workspace_id: str,
    findings: list[dict[str, Any]],
    *,
    outbound_blocked: bool,
    who: str,
    actor_id: str | None,
    target_type: str,
    target_id: str,
) -> int:
    """Raise one alert per category of the findings that deserve one; returns how many.

    ``who`` starts the summary ("Li Na tried to send", "customer message").
    """
    groups = guard_alerts(findings, outbound_blocked=outbound_blocked)
    for kind, severity, group in groups:
        terms = ", ".join(sorted({str(f.get("term")) for f in group}))
        await raise_alert(
            session,
            workspace_id,
            kind=kind,
            severity=severity,
            summary=f"{who}: {terms}",
            actor_id=actor_id,
            target_type=target_type,
            target_id=target_id,
            data=guard_summary(group),
        )
    return len(groups)


def guard_alerts(
    findings: list[dict[str, Any]], *, outbound_blocked: bool
) -> list[tuple[str, int, list[dict[str, Any]]]]:
    """Group the findings that deserve an alert by category: (kind, severity, findings)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        category = str(finding.get("category", "custom"))
        wanted = finding.get("action") in GUARD_ALERT_ACTIONS or (
            outbound_blocked and category in ALWAYS_ALERT_CATEGORIES
        )
        if wanted:
            groups.setdefault(category, []).append(finding)
    return [
        (f"guard.{category}", max(int(f.get("severity", 3)) for f in group), group)
        for category, group in sorted(groups.items())
    ]


async def raise_rule_alert(
    session: AsyncSession, workspace_id: str, firing: Firing, *, firing_id: str
) -> RiskAlert:
    """The alert of a risk rule that fired: kind ``rule.<rule id>``, the subject user (or
    account), and the evidence as audit event ids (no raw personal data)."""
    subject_type, subject_id = (
        ("user", firing.subject_user)
        if firing.subject_user
        else ("channel_account", firing.subject_account)
    )
    return await raise_alert(
        session,
        workspace_id,
        kind=f"rule.{firing.rule_id}"[:64],
        severity=firing.severity,
        summary=f"{firing.description} ({firing.group_label}: {firing.value})",
        actor_id=firing.subject_user,
        target_type=subject_type if subject_id else None,
        target_id=subject_id,
        data={
            "rule_id": firing.rule_id,
            "firing_id": firing_id,
            "group": dict(firing.group),
            "value": firing.value,
            "account_id": firing.subject_account,
            "period_start": firing.period_start.isoformat(),
            "evidence": list(firing.evidence_ids),
            "evidence_seqs": list(firing.evidence_seqs),
            "actions": list(firing.actions),
        },
    )
