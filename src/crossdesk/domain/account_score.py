"""An account's health score (0-100) for the accounts page: one number an admin can sort
by, with the reasons it is not 100. Pure: the caller gathers the facts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountFacts:
    health: str  # connected | unchecked | auth_failed | unreachable | error | ...
    egress_error: bool = False
    egress_shared: bool = False
    egress_changed_recently: bool = False  # within the last day
    sent_last_day: int = 0
    failed_last_day: int = 0
    waiting_on_limits: int = 0
    session_logged_out: bool = False  # the stored browser session no longer logs in


@dataclass(frozen=True, slots=True)
class Score:
    value: int
    reasons: tuple[str, ...]

    @property
    def level(self) -> str:
        """good / fair / poor, for the chip's colour."""
        if self.value >= 80:
            return "good"
        return "fair" if self.value >= 50 else "poor"


# What each problem costs. A broken connection dominates: nothing else matters until fixed.
_HEALTH_COST = {"connected": 0, "unchecked": 10, "unreachable": 40}
_BROKEN_COST = 60


def score(facts: AccountFacts) -> Score:
    value = 100
    reasons: list[str] = []
    cost = _HEALTH_COST.get(facts.health, _BROKEN_COST)
    if cost:
        value -= cost
        reasons.append(f"connection: {facts.health}")
    if facts.egress_shared:
        value -= 25
        reasons.append("shares its egress IP with an account set up apart")
    if facts.egress_changed_recently:
        value -= 10
        reasons.append("egress IP changed in the last day")
    if facts.egress_error:
        value -= 10
        reasons.append("egress IP check failed")
    attempted = facts.sent_last_day + facts.failed_last_day
    if facts.failed_last_day and attempted:
        share = facts.failed_last_day / attempted
        value -= round(30 * share)
        reasons.append(f"{facts.failed_last_day} of {attempted} sends failed in the last day")
    if facts.session_logged_out:
        value -= 30
        reasons.append("the stored browser session is logged out: capture it again")
    if facts.waiting_on_limits:
        value -= 5
        reasons.append(f"{facts.waiting_on_limits} messages waiting for the send limits")
    return Score(max(0, min(100, value)), tuple(reasons))
