"""The pure window engine: exact thresholds, grouping, schedules, new values, and the
properties live evaluation relies on (order, restarts with warm-up, a brute-force oracle)."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.risk.rules import Firing, RuleEngine, RuleEvent, RuleSet, default_rules, parse_rules

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday


def rules(body: str, header: str = "") -> RuleSet:
    return parse_rules(header + "\n[[rules]]\n" + body, "test.toml")


COUNT_RULE = """
id = "reveals"
description = "reveals"
match.events = ["pii.reveal"]
group_by = ["user"]
window = "1h"
threshold = "{op} {n}"
actions = ["alert"]
"""

_seq = iter(range(1, 10**9))


def event(action: str, at: datetime, user: str | None = "u1", **kw: Any) -> RuleEvent:
    seq = next(_seq)
    return RuleEvent(
        id=f"e{seq}",
        seq=seq,
        at=at,
        action=action,
        actor_id=user,
        target_type=kw.pop("target_type", None),
        target_id=kw.pop("target_id", None),
        ip=kw.pop("ip", None),
        data=kw,
    )


def fired_at(engine: RuleEngine, events: list[RuleEvent]) -> list[int]:
    """Index of the events at which something fired."""
    return [i for i, e in enumerate(events) if engine.feed(e)]


def test_threshold_at_least_n_fires_on_the_nth_event_not_before() -> None:
    for n in (1, 2, 5):
        engine = RuleEngine(rules(COUNT_RULE.format(op=">=", n=n)))
        events = [event("pii.reveal", T0 + timedelta(minutes=i)) for i in range(n + 2)]
        assert fired_at(engine, events) == [n - 1]  # once per window period


def test_threshold_more_than_n_fires_on_event_n_plus_one() -> None:
    engine = RuleEngine(rules(COUNT_RULE.format(op=">", n=3)))
    events = [event("pii.reveal", T0 + timedelta(minutes=i)) for i in range(3)]
    assert fired_at(engine, events) == []  # N events: not more than N
    assert engine.feed(event("pii.reveal", T0 + timedelta(minutes=5)))


def test_window_slides_and_groups_are_separate() -> None:
    engine = RuleEngine(rules(COUNT_RULE.format(op=">=", n=3)))
    at = T0 + timedelta(minutes=1)
    # two reveals, then the third after the first left the window: no firing
    assert not engine.feed(event("pii.reveal", at))
    assert not engine.feed(event("pii.reveal", at + timedelta(minutes=30)))
    assert not engine.feed(event("pii.reveal", at + timedelta(minutes=61)))
    # another user's reveals never count for u1; another action never counts at all
    assert not engine.feed(event("pii.reveal", at + timedelta(minutes=62), user="u2"))
    assert not engine.feed(event("message.send", at + timedelta(minutes=62)))
    assert not engine.feed(event("pii.reveal", at + timedelta(minutes=62), user=None))
    [firing] = engine.feed(event("pii.reveal", at + timedelta(minutes=63)))
    assert firing.group == (("actor_id", "u1"),)
    assert firing.value == 3 and firing.subject_user == "u1"
    assert len(firing.evidence_ids) == 3


def test_fires_once_per_period_then_again_in_the_next() -> None:
    engine = RuleEngine(rules(COUNT_RULE.format(op=">=", n=1)))
    keys = [f.dedupe_key for m in (0, 10, 59, 60, 61) for f in engine.feed(
        event("pii.reveal", T0 + timedelta(minutes=m)))]  # fmt: skip
    assert len(keys) == 2 and len(set(keys)) == 2


def test_conditions_schedule_and_distinct() -> None:
    ruleset = rules(
        """
id = "export"
description = "big export"
match.events = ["*.export"]
match.where = [{ field = "data.contacts", op = ">", value = 500 }]
schedule = "outside_working_hours"
group_by = ["user"]
window = "1d"
threshold = ">= 1"
actions = ["alert"]
""",
        '[working_hours]\ntimezone = "Asia/Shanghai"\nstart = "09:00"\nend = "18:00"\n',
    )
    engine = RuleEngine(ruleset)
    night = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai, a Monday
    day = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    assert not engine.feed(event("contacts.export", day, contacts=900))
    assert not engine.feed(event("contacts.export", night, contacts=500))
    assert not engine.feed(event("audit.view", night, contacts=900))
    assert engine.feed(event("contacts.export", night, contacts=501))

    handles = RuleEngine(
        rules("""
id = "handles"
description = "same handle"
match.events = ["message.send"]
group_by = ["handle"]
distinct = "contact"
window = "1d"
threshold = ">= 3"
actions = ["alert"]
""")
    )
    sends = [
        event("message.send", T0, handles=["h1", "h2"], contact_id="c1"),
        event("message.send", T0 + timedelta(minutes=1), handles=["h1"], contact_id="c1"),
        event("message.send", T0 + timedelta(minutes=2), handles=["h1"], contact_id="c2"),
        event("message.send", T0 + timedelta(minutes=3), handles=[], contact_id="c3"),
        event("message.send", T0 + timedelta(minutes=4), handles=["h2", "h1"], contact_id="c3"),
    ]
    results = [handles.feed(e) for e in sends]
    assert [len(r) for r in results] == [0, 0, 0, 0, 1]
    assert results[-1][0].group == (("data.handles", "h1"),)
    assert results[-1][0].value == 3


def test_new_value_needs_history_and_fires_once_per_value() -> None:
    engine = RuleEngine(
        rules("""
id = "new-ip"
description = "new ip"
match.events = ["auth.login"]
group_by = ["user"]
window = "30d"
new_value = "ip"
actions = ["alert"]
""")
    )
    logins = [
        ("u1", "1.1.1.1", 0),  # first login ever: no history, no alert
        ("u1", "1.1.1.1", 1),
        ("u1", "2.2.2.2", 2),  # new
        ("u1", "2.2.2.2", 3),
        ("u2", "2.2.2.2", 4),  # u2's first
        ("u1", "1.1.1.1", 24 * 40),  # 40 days later: everything aged out, no history
        ("u1", "3.3.3.3", 24 * 40 + 1),  # new again
    ]
    out = [
        engine.feed(event("auth.login", T0 + timedelta(hours=h), user=u, ip=ip))
        for u, ip, h in logins
    ]
    assert [len(o) for o in out] == [0, 0, 1, 0, 0, 0, 1]


def test_the_shipped_rules_are_valid_and_cover_the_issue() -> None:
    shipped = default_rules()
    ids = {r.id for r in shipped.rules}
    assert {
        "guard-diversion-agent",
        "pii-reveals-per-day",
        "export-many-contacts",
        "login-new-ip",
        "activity-outside-hours",
        "outbound-burst",
        "handle-to-many-customers",
        "checkout-outside-team",
    } <= ids
    actions = {a for r in shipped.rules for a in r.actions}
    assert actions == {"alert", "require_approval", "suspend_sessions", "lock_account"}


def test_checkout_outside_team_rule_names_the_account() -> None:
    engine = RuleEngine(default_rules())
    inside = event("session.checkout", T0, target_type="channel_account", target_id="acc1",
                   outside_team=False)  # fmt: skip
    outside = event("session.checkout", T0, target_type="channel_account", target_id="acc1",
                    outside_team=True)  # fmt: skip
    assert engine.feed(inside) == []
    [firing] = engine.feed(outside)
    assert (firing.subject_user, firing.subject_account) == ("u1", "acc1")
    assert "lock_account" in firing.actions


# --- properties ------------------------------------------------------------------------

PROPERTY_RULES = parse_rules(
    """
[working_hours]
timezone = "Europe/Berlin"
start = "09:00"
end = "17:00"

[[rules]]
id = "count"
description = "count"
match.events = ["a.*"]
group_by = ["user"]
window = "10m"
threshold = ">= 3"
actions = ["alert"]

[[rules]]
id = "more"
description = "more"
match.events = ["a.x"]
match.where = [{ field = "data.n", op = ">=", value = 2 }]
group_by = ["user", "account"]
window = "30m"
threshold = "> 1"
actions = ["alert"]

[[rules]]
id = "distinct"
description = "distinct"
match.events = ["a.y"]
group_by = ["handle"]
distinct = "contact"
window = "20m"
threshold = ">= 2"
actions = ["alert"]

[[rules]]
id = "new"
description = "new"
match.events = ["a.x", "a.y"]
group_by = ["user"]
window = "15m"
new_value = "ip"
actions = ["alert"]

[[rules]]
id = "night"
description = "night"
match.events = ["a.x"]
schedule = "outside_working_hours"
group_by = ["user"]
window = "1h"
threshold = ">= 2"
actions = ["alert"]
""",
    "property.toml",
)

raw_events = st.lists(
    st.tuples(
        st.integers(0, 6 * 3600),  # seconds after T0 (crosses working hours in Berlin)
        st.sampled_from(["a.x", "a.y", "b.z"]),
        st.sampled_from(["u1", "u2", None]),
        st.sampled_from(["acc1", "acc2"]),
        st.integers(0, 3),
        st.lists(st.sampled_from(["h1", "h2", "h3"]), max_size=2),
        st.sampled_from(["c1", "c2", "c3"]),
        st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
    ),
    max_size=60,
)


def build(raw: list[tuple[Any, ...]]) -> list[RuleEvent]:
    """Events in chain order: seq follows time (the audit log assigns both together)."""
    ordered = sorted(raw, key=lambda r: r[0])
    return [
        RuleEvent(
            id=f"e{i}",
            seq=i + 1,
            at=T0 + timedelta(seconds=s),
            action=action,
            actor_id=user,
            target_type="channel_account",
            target_id=account,
            ip=ip,
            data={"n": n, "handles": handles, "contact_id": contact},
        )
        for i, (s, action, user, account, n, handles, contact, ip) in enumerate(ordered)
    ]


def keyset(firings: list[Firing]) -> list[tuple[str, str, int]]:
    return sorted((f.rule_id, f.dedupe_key, f.value) for f in firings)


@settings(max_examples=150, deadline=None)
@given(raw_events, st.randoms(use_true_random=False))
def test_replay_of_a_shuffled_then_sorted_stream_fires_the_same(
    raw: list[tuple[Any, ...]], rnd: random.Random
) -> None:
    events = build(raw)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    resorted = sorted(shuffled, key=lambda e: (e.at, e.seq))
    first = RuleEngine(PROPERTY_RULES).feed_all(events)
    again = RuleEngine(PROPERTY_RULES).feed_all(resorted)
    assert first == again


@settings(max_examples=150, deadline=None)
@given(raw_events, st.integers(0, 60))
def test_a_restart_warmed_on_one_window_continues_exactly(
    raw: list[tuple[Any, ...]], cut: int
) -> None:
    """What the worker does after a restart: a fresh engine fed (warm) each rule's window
    of events before the cursor fires what one long-running engine fires, once the keys
    already acted on before the restart are skipped (the worker's unique firing key)."""
    events = build(raw)
    cut = min(cut, len(events))
    whole = RuleEngine(PROPERTY_RULES)
    acted = {f.dedupe_key for e in events[:cut] for f in whole.feed(e)}
    expected = [f for e in events[cut:] for f in whole.feed(e)]
    restarted = RuleEngine(PROPERTY_RULES)
    if cut:
        until = events[cut - 1].at
        for e in events[:cut]:
            windows = [
                r.window_delta for r in PROPERTY_RULES.active if r.match.accepts_action(e.action)
            ]
            if windows and e.at > until - max(windows):
                restarted.feed(e, warm=True)
    got = [f for e in events[cut:] for f in restarted.feed(e) if f.dedupe_key not in acted]
    assert keyset(got) == keyset(expected)


@settings(max_examples=150, deadline=None)
@given(raw_events)
def test_count_rule_matches_a_brute_force_oracle(raw: list[tuple[Any, ...]]) -> None:
    events = build(raw)
    rule = next(r for r in PROPERTY_RULES.rules if r.id == "count")
    engine = RuleEngine(PROPERTY_RULES.model_copy(update={"rules": [rule]}))
    got = [(f.group[0][1], f.at) for f in engine.feed_all(events)]
    expected = []
    fired: set[tuple[str, int]] = set()
    window = rule.window_delta
    for e in events:
        if not e.action.startswith("a.") or e.actor_id is None:
            continue
        count = sum(
            1
            for o in events
            if o.seq <= e.seq
            and o.action.startswith("a.")
            and o.actor_id == e.actor_id
            and e.at - window < o.at <= e.at
        )
        period = int(e.at.timestamp()) // int(window.total_seconds())
        if count >= 3 and (e.actor_id, period) not in fired:
            fired.add((e.actor_id, period))
            expected.append((e.actor_id, e.at))
    assert got == expected
