"""Risk-rules engine throughput: the shipped rules over a synthetic audit stream.

    .venv/bin/python bench/risk_rules.py [--events 200000]

Deterministic (seed 7): 50 agents, one event every 3 s, mostly message sends with some guard
hits, blocked sends, PII reveals, logins and session checkouts. Pure engine, no database;
replay adds the reads (`crossdesk risk replay`).
"""

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from crossdesk.risk.rules import RuleEngine, RuleEvent, default_rules

ACTIONS = ["message.send"] * 70 + [
    "guard.hit",
    "message.blocked",
    "pii.reveal",
    "auth.login",
    "session.checkout",
    "conversation.view",
] * 5


def synthetic_events(count: int, seed: int = 7) -> list[RuleEvent]:
    rnd = random.Random(seed)
    users = [f"u{i}" for i in range(50)]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    events = []
    for i in range(count):
        action = rnd.choice(ACTIONS)
        data: dict[str, Any] = {}
        if action in ("message.send", "message.blocked"):
            data = {
                "contact_id": f"c{rnd.randrange(5000)}",
                "handles": [f"h{rnd.randrange(3000)}"] if rnd.random() < 0.1 else [],
                "categories": ["diversion"] if rnd.random() < 0.3 else [],
            }
        elif action == "guard.hit":
            data = {"categories": [rnd.choice(["diversion", "abuse"])]}
        elif action == "session.checkout":
            data = {"outside_team": rnd.random() < 0.05}
        events.append(
            RuleEvent(
                id=f"e{i}",
                seq=i + 1,
                at=start + timedelta(seconds=i * 3),
                action=action,
                actor_id=rnd.choice(users),
                ip=f"10.0.{rnd.randrange(4)}.{rnd.randrange(4)}",
                target_type="channel_account",
                target_id=f"acc{rnd.randrange(10)}",
                data=data,
            )
        )
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    events = synthetic_events(args.events)
    engine = RuleEngine(default_rules())
    started = time.perf_counter()
    fired = engine.feed_all(events)
    took = time.perf_counter() - started
    days = (events[-1].at - events[0].at).days
    print(
        f"{len(events):,} events over {days} days, {len(fired):,} firings, "
        f"{took:.2f} s, {len(events) / took:,.0f} events/s"
    )


if __name__ == "__main__":
    main()
