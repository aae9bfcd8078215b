"""The shape of a rules file, validated with pydantic (see docs/security.md, "Risk rules").

A rule matches audit events (by action, optionally by field conditions and by the time of
day), groups them (per user, account, IP, ...) and fires when a sliding window's count
crosses a threshold, when the distinct values of a field do, or when a group shows a value
it has not shown within the window (a login from a new IP).
"""

import fnmatch
import re
from datetime import time, timedelta
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_ID = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_THRESHOLD = re.compile(r"^\s*(>=|>)\s*(\d+)\s*$")
MAX_WINDOW = timedelta(days=90)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Short names for the event fields rules group and filter on; anything else is a path
# into the event ("data.contact_id", "target_id").
ALIASES = {
    "user": "actor_id",
    "actor": "actor_id",
    "account": "account",  # computed: the channel account the event is about
    "contact": "data.contact_id",
    "conversation": "conversation",  # computed, like account
    "handle": "data.handles",
    "ip": "ip",
    "user_agent": "user_agent",
    "action": "action",
    "target": "target_id",
    "target_type": "target_type",
}
_TOP_FIELDS = frozenset(
    {"actor_id", "action", "target_type", "target_id", "ip", "user_agent", "account",
     "conversation"}
)  # fmt: skip
# The engine never reads the events the rule actions themselves write (no feedback loops).
IGNORED_EVENT_PREFIX = "risk."
ActionName = Literal["alert", "require_approval", "suspend_sessions", "lock_account"]
ACTIONS: tuple[str, ...] = get_args(ActionName)


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like '30m', '1h', '1d' or '2w'")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a window must be longer than zero")
    if seconds > MAX_WINDOW.total_seconds():
        raise ValueError(f"a window may be at most {MAX_WINDOW.days} days")
    return timedelta(seconds=seconds)


def resolve_field(name: str) -> str:
    """A rule's field name → the event path it reads; raises ValueError for unknown names."""
    path = ALIASES.get(name, name)
    if path in _TOP_FIELDS or (path.startswith("data.") and len(path) > 5):
        return path
    known = ", ".join(sorted(ALIASES))
    raise ValueError(f"unknown field {name!r}: use one of {known}, or data.<key>")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Scalar = str | int | float | bool


class Condition(_Strict):
    """One test on a field of the event: ``{ field = "data.count", op = ">", value = 500 }``."""

    field: str
    op: Literal["==", "!=", ">", ">=", "<", "<=", "in", "not_in", "contains", "exists"] = "=="
    value: Scalar | list[Scalar] | None = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        return resolve_field(value)

    @model_validator(mode="after")
    def _value_fits(self) -> "Condition":
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a list value")
        if self.op in (">", ">=", "<", "<=") and (
            isinstance(self.value, bool) or not isinstance(self.value, int | float)
        ):
            raise ValueError(f"op {self.op!r} needs a number value")
        if self.op not in ("exists",) and self.value is None:
            raise ValueError(f"op {self.op!r} needs a value")
        return self


class Match(_Strict):
    """Which events a rule reads: actions (``*`` wildcards allowed) and conditions."""

    events: Annotated[list[str], Field(min_length=1)]
    where: list[Condition] = []

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not re.fullmatch(r"[a-z0-9_.*]+", pattern):
                raise ValueError(f"{pattern!r} is not an audit action such as 'pii.reveal'")
            if fnmatch.fnmatchcase("risk.x", pattern) and pattern.startswith("risk"):
                raise ValueError("rules cannot read the risk.* events their own actions write")
        return value

    def accepts_action(self, action: str) -> bool:
        if action.startswith(IGNORED_EVENT_PREFIX):
            return False
        return any(fnmatch.fnmatchcase(action, p) for p in self.events)


class WorkingHours(_Strict):
    """The workspace's working week, for ``schedule = "outside_working_hours"``."""

    timezone: str = "UTC"
    days: list[str] = list(DAYS[:5])
    start: str = "09:00"
    end: str = "18:00"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if d not in DAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}: use {', '.join(DAYS)}")
        return value

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a time like '09:00'") from exc
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "WorkingHours":
        if time.fromisoformat(self.start) >= time.fromisoformat(self.end):
            raise ValueError("start must be before end (overnight shifts are not supported)")
        return self


class Rule(_Strict):
    id: Annotated[str, Field(pattern=RULE_ID)]
    description: Annotated[str, Field(min_length=1, max_length=300)]
    enabled: bool = True
    severity: Annotated[int, Field(ge=1, le=5)] = 3
    match: Match
    group_by: Annotated[list[str], Field(min_length=1, max_length=4)]
    window: str
    # "count" rules: number of matching events (or of distinct values of ``distinct``).
    threshold: str | None = None
    distinct: str | None = None
    # "new value" rules: fire when the group shows a value of this field not seen in the
    # window, and the group has earlier events in the window (its history).
    new_value: str | None = None
    schedule: Literal["any", "outside_working_hours", "within_working_hours"] = "any"
    actions: Annotated[list[ActionName], Field(min_length=1)]

    @field_validator("group_by")
    @classmethod
    def _group_fields(cls, value: list[str]) -> list[str]:
        return [resolve_field(name) for name in value]

    @field_validator("distinct", "new_value")
    @classmethod
    def _value_field(cls, value: str | None) -> str | None:
        return None if value is None else resolve_field(value)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: str | None) -> str | None:
        if value is not None and _THRESHOLD.match(value) is None:
            raise ValueError(f"{value!r} is not a threshold like '>= 3' or '> 20'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Rule":
        if (self.threshold is None) == (self.new_value is None):
            raise ValueError("give either threshold (a count rule) or new_value, not both")
        if self.distinct is not None and self.threshold is None:
            raise ValueError("distinct counts need a threshold")
        if "lock_account" in self.actions and "account" not in self.group_by:
            raise ValueError("lock_account needs 'account' in group_by")
        needs_user = {"require_approval", "suspend_sessions"} & set(self.actions)
        if needs_user and "actor_id" not in self.group_by:
            raise ValueError(f"{sorted(needs_user)} need 'user' in group_by")
        return self

    @property
    def window_delta(self) -> timedelta:
        return parse_duration(self.window)

    @property
    def limit(self) -> tuple[str, int]:
        """(operator, N) of the threshold; ('>=', 1) for new-value rules."""
        match = _THRESHOLD.match(self.threshold or ">= 1")
        assert match is not None
        return match.group(1), int(match.group(2))

    def crosses(self, count: int) -> bool:
        op, n = self.limit
        return count >= n if op == ">=" else count > n


class RuleSet(_Strict):
    version: Literal[1] = 1
    working_hours: WorkingHours = WorkingHours()
    rules: list[Rule] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> "RuleSet":
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return self

    @property
    def active(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.enabled]

    @property
    def longest_window(self) -> timedelta:
        return max((rule.window_delta for rule in self.active), default=timedelta(0))
