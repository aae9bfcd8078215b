"""Pure sliding-window evaluation of risk rules: no database, no clock, no side effects.

The same code serves the live worker and ``crossdesk risk replay``: feed events in the
order of the audit chain and collect the :class:`Firing` values. State is kept per
(rule, group): the group's events inside the rule's window (count rules) or the values it
showed and when (new-value rules).

A rule fires at most once per group and *window period* (the window's length, aligned to
the Unix epoch: for "1h", each clock hour in UTC); ``Firing.dedupe_key`` names that slot.
A rule's windows depend only on the events of its last window, so an engine warmed up on
them (``warm=True``: state is built, nothing fires and no slot is taken) continues with the
same windows as an engine that saw the whole history. It may repeat a firing made before
the warm-up point within the current period: the worker keeps the keys it acted on
(``risk_rule_firing``, unique) and skips those. This is how the worker survives restarts
and rule changes (a changed rule did not really fire in its warm-up) and how replay starts
at ``--since``.
"""

import hashlib
import itertools
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crossdesk.risk.rules.model import DAYS, Condition, Rule, RuleSet, WorkingHours

MAX_EVIDENCE = 20
MAX_FAN_OUT = 16  # a list-valued group field (handles) makes at most this many groups
Evidence = Callable[[], list[tuple[str, int]]]  # (event id, seq) of the events behind a firing


@dataclass(frozen=True, slots=True)
class RuleEvent:
    """What the engine sees of one audit event."""

    id: str
    seq: int
    at: datetime
    action: str
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def get(self, path: str) -> Any:
        """A field by its resolved path (see ``model.resolve_field``); None when absent."""
        if path == "account":
            if self.target_type == "channel_account":
                return self.target_id
            return self.data.get("account_id")
        if path == "conversation":
            if self.target_type == "conversation":
                return self.target_id
            return self.data.get("conversation_id")
        if path.startswith("data."):
            value: Any = self.data
            for part in path[5:].split("."):
                if not isinstance(value, Mapping):
                    return None
                value = value.get(part)
            return value
        return getattr(self, path, None)


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule that fired: what, for whom, on which evidence. ``dedupe_key`` is unique per
    rule, group and window period: the worker refuses to act twice on one key."""

    rule_id: str
    description: str
    severity: int
    actions: tuple[str, ...]
    group: tuple[tuple[str, str], ...]
    dedupe_key: str
    period_start: datetime
    at: datetime
    value: int
    evidence_ids: tuple[str, ...]
    evidence_seqs: tuple[int, ...]
    subject_user: str | None
    subject_account: str | None
    workspace_id: str | None = None

    @property
    def group_label(self) -> str:
        return ", ".join(f"{field_label(name)}={value}" for name, value in self.group)


def field_label(path: str) -> str:
    """The short name a rule file uses for a resolved field path."""
    return {"actor_id": "user", "data.contact_id": "contact", "data.handles": "handle"}.get(
        path, path.removeprefix("data.")
    )


def condition_holds(condition: Condition, event: RuleEvent) -> bool:
    value = event.get(condition.field)
    expected = condition.value
    op = condition.op
    if op == "exists":
        present = value is not None
        return present if expected is None else present is bool(expected)
    if value is None:
        return op in ("!=", "not_in")
    if op == "==":
        return bool(value == expected)
    if op == "!=":
        return bool(value != expected)
    if op == "in":
        return isinstance(expected, list) and value in expected
    if op == "not_in":
        return isinstance(expected, list) and value not in expected
    if op == "contains":
        if isinstance(value, list | tuple):
            return expected in value
        return isinstance(value, str) and isinstance(expected, str) and expected in value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    assert isinstance(expected, int | float)
    if op == ">":
        return value > expected
    if op == ">=":
        return value >= expected
    if op == "<":
        return value < expected
    return value <= expected


class WorkingWeek:
    def __init__(self, hours: WorkingHours) -> None:
        self._zone = ZoneInfo(hours.timezone)
        self._days = frozenset(DAYS.index(day) for day in hours.days)
        self._start = time.fromisoformat(hours.start)
        self._end = time.fromisoformat(hours.end)

    def within(self, at: datetime) -> bool:
        local = at.astimezone(self._zone)
        return local.weekday() in self._days and self._start <= local.time() < self._end


def _as_key(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


class _RuleState:
    """One rule's windows: per group, the events inside the window (count rules) or the
    last time each value was seen (new-value rules), and the periods already fired."""

    def __init__(self, rule: Rule, week: WorkingWeek) -> None:
        self.rule = rule
        self.week = week
        self.window = rule.window_delta
        self.seconds = int(self.window.total_seconds())
        self.windows: dict[tuple[str, ...], deque[tuple[datetime, str, int, str | None]]] = {}
        self.distinct: dict[tuple[str, ...], Counter[str]] = {}
        self.seen: dict[tuple[str, ...], dict[str, tuple[datetime, str, int]]] = {}
        self.fired: dict[tuple[str, ...], set[tuple[int, str]]] = {}
        self.op, self.n = rule.limit
        self._accepts: dict[str, bool] = {}  # action → matched by the rule's patterns

    def crosses(self, count: int) -> bool:
        return count >= self.n if self.op == ">=" else count > self.n

    def matches(self, event: RuleEvent) -> bool:
        rule = self.rule
        accepted = self._accepts.get(event.action)
        if accepted is None:
            accepted = self._accepts[event.action] = rule.match.accepts_action(event.action)
        if not accepted:
            return False
        if rule.schedule != "any":
            within = self.week.within(event.at)
            if within != (rule.schedule == "within_working_hours"):
                return False
        return all(condition_holds(c, event) for c in rule.match.where)

    def groups(self, event: RuleEvent) -> list[tuple[str, ...]]:
        """Every group the event belongs to (a list field puts it in one group per item);
        none when a group field is missing."""
        choices: list[list[str]] = []
        for path in self.rule.group_by:
            value = event.get(path)
            if value is None or value == "" or value == []:
                return []
            items = value if isinstance(value, list) else [value]
            choices.append(sorted({_as_key(v) for v in items if v is not None})[:MAX_FAN_OUT])
        return [tuple(combo) for combo in itertools.product(*choices)][:MAX_FAN_OUT]

    def feed(self, event: RuleEvent) -> list[tuple[tuple[str, ...], int, Evidence]]:
        """(group, value, evidence) for each group whose condition holds at this event;
        the evidence is built only when asked (most crossings repeat a fired period)."""
        if not self.matches(event):
            return []
        out = []
        horizon = event.at - self.window
        for group in self.groups(event):
            if self.rule.new_value is not None:
                hit = self._new_value(group, event, horizon)
            else:
                hit = self._count(group, event, horizon)
            if hit is not None:
                out.append((group, *hit))
        return out

    def _count(
        self, group: tuple[str, ...], event: RuleEvent, horizon: datetime
    ) -> tuple[int, Evidence] | None:
        distinct_path = self.rule.distinct
        item = None
        if distinct_path is not None:
            raw = event.get(distinct_path)
            if raw is None:
                return None
            item = _as_key(raw)
        window = self.windows.get(group)
        if window is None:
            window = self.windows[group] = deque()
        window.append((event.at, event.id, event.seq, item))
        counter = None
        if item is not None:
            counter = self.distinct.get(group)
            if counter is None:
                counter = self.distinct[group] = Counter()
            counter[item] += 1
        while window[0][0] <= horizon:
            _, _, _, old = window.popleft()
            if old is not None and counter is not None:
                counter[old] -= 1
                if counter[old] <= 0:
                    del counter[old]
        count = len(counter) if counter is not None else len(window)
        if not self.crosses(count):
            return None
        return count, lambda: [(eid, seq) for _, eid, seq, _ in window]

    def _new_value(
        self, group: tuple[str, ...], event: RuleEvent, horizon: datetime
    ) -> tuple[int, Evidence] | None:
        assert self.rule.new_value is not None
        raw = event.get(self.rule.new_value)
        if raw is None:
            return None
        value = _as_key(raw)
        seen = self.seen.setdefault(group, {})
        for old in [v for v, (at, _, _) in seen.items() if at <= horizon]:
            del seen[old]
        is_new = value not in seen
        history = sorted(((eid, seq) for _, eid, seq in seen.values()), key=lambda e: e[1])
        seen[value] = (event.at, event.id, event.seq)
        if not is_new or not history:  # the group's first event is no news
            return None
        return 1, lambda: [*history, (event.id, event.seq)]

    def first_in_period(self, group: tuple[str, ...], event: RuleEvent) -> tuple[int, str] | None:
        """The (period, value) dedupe slot when this group has not fired in it yet."""
        period = int(event.at.timestamp()) // self.seconds
        value = ""
        if self.rule.new_value is not None:
            value = _as_key(event.get(self.rule.new_value))
        slot = (period, value)
        fired = self.fired.setdefault(group, set())
        if slot in fired:
            return None
        fired.add(slot)
        keep_from = period - 2  # older periods can no longer be hit by in-order events
        for old in [s for s in fired if s[0] < keep_from]:
            fired.discard(old)
        return slot

    def prune(self, now: datetime) -> None:
        """Drop groups with nothing inside the window any more (long-running memory)."""
        horizon = now - self.window
        for group in [g for g, w in self.windows.items() if not w or w[-1][0] <= horizon]:
            del self.windows[group]
            self.distinct.pop(group, None)
        for group, seen in list(self.seen.items()):
            if all(at <= horizon for at, _, _ in seen.values()):
                del self.seen[group]


class RuleEngine:
    """Evaluate a rule set over events given in audit-chain order."""

    def __init__(self, rules: RuleSet, workspace_id: str | None = None) -> None:
        self.rules = rules
        self.workspace_id = workspace_id
        week = WorkingWeek(rules.working_hours)
        self._states = [_RuleState(rule, week) for rule in rules.active]
        self._by_action: dict[str, list[_RuleState]] = {}
        self._fed = 0

    @property
    def warm_up(self) -> timedelta:
        """How far before a starting point events must be fed (``warm=True``) for the windows
        to equal those of an engine that saw everything: the longest window."""
        return self.rules.longest_window

    def reads(self, action: str) -> bool:
        return any(state.rule.match.accepts_action(action) for state in self._states)

    def feed(self, event: RuleEvent, *, warm: bool = False) -> list[Firing]:
        firings: list[Firing] = []
        states = self._by_action.get(event.action)
        if states is None:  # the rules reading this action, found once per action
            states = self._by_action[event.action] = [
                state for state in self._states if state.rule.match.accepts_action(event.action)
            ]
        for state in states:
            for group, value, evidence in state.feed(event):
                if warm:
                    continue
                slot = state.first_in_period(group, event)
                if slot is None:
                    continue
                firings.append(self._firing(state, group, slot, event, value, evidence()))
        self._fed += 1
        if self._fed % 5000 == 0:
            for state in self._states:
                state.prune(event.at)
        return firings

    def feed_all(self, events: Iterable[RuleEvent]) -> list[Firing]:
        return [firing for event in events for firing in self.feed(event)]

    def _firing(
        self,
        state: _RuleState,
        group: tuple[str, ...],
        slot: tuple[int, str],
        event: RuleEvent,
        value: int,
        evidence: list[tuple[str, int]],
    ) -> Firing:
        rule = state.rule
        named = tuple(zip(rule.group_by, group, strict=True))
        by_name = dict(named)
        key_source = "\x1f".join([rule.id, *group, str(slot[0]), slot[1]])
        last = evidence[-MAX_EVIDENCE:]
        return Firing(
            rule_id=rule.id,
            description=rule.description,
            severity=rule.severity,
            actions=tuple(rule.actions),
            group=named,
            dedupe_key=hashlib.sha256(key_source.encode()).hexdigest(),
            period_start=datetime.fromtimestamp(slot[0] * state.seconds, UTC),
            at=event.at,
            value=value,
            evidence_ids=tuple(eid for eid, _ in last),
            evidence_seqs=tuple(seq for _, seq in last),
            subject_user=by_name.get("actor_id", event.actor_id),
            subject_account=by_name.get("account", _str_or_none(event.get("account"))),
            workspace_id=self.workspace_id,
        )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
