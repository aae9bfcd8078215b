"""The send-limit policy: rolling windows never let more than the limit through, the
warm-up only grows, and a held message's wait ends exactly when a slot frees up."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.domain.enums import ChannelKind
from crossdesk.domain.send_limits import (
    HOUR,
    SendLimits,
    check,
    effective,
    platform_default,
    schedule,
    warmup_factor,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=60),
)
def test_a_sender_that_obeys_never_exceeds_the_hourly_limit(limit: int, gaps: list[int]) -> None:
    """Simulate a worker that asks before every send and waits as told."""
    limits = SendLimits(per_hour=limit)
    now = START
    sent: list[datetime] = []
    for gap in gaps:
        now += timedelta(seconds=gap)
        verdict = check(limits, START, now, sent, [], is_new_chat=False)
        if not verdict.allowed:
            now += timedelta(seconds=verdict.wait_seconds)
            assert check(limits, START, now, sent, [], is_new_chat=False).allowed
        sent.append(now)
        in_window = [t for t in sent if now - HOUR < t <= now]
        assert len(in_window) <= limit


@settings(max_examples=200, deadline=None)
@given(
    full=st.integers(min_value=1, max_value=10_000),
    days=st.integers(min_value=1, max_value=30),
    percent=st.integers(min_value=1, max_value=100),
)
def test_warm_up_grows_day_by_day_to_the_full_limit(full: int, days: int, percent: int) -> None:
    limits = SendLimits(per_hour=full, warmup_days=days, warmup_start_percent=percent)
    plan = [s.per_hour for _, s in schedule(limits)]
    assert plan == sorted(plan)
    assert plan[-1] == full and all(p is not None and p >= 1 for p in plan)
    factors = [warmup_factor(limits, START, START + timedelta(hours=h)) for h in range(0, 800, 7)]
    assert factors == sorted(factors) and factors[-1] <= 1.0


def test_unlimited_and_defaults() -> None:
    assert SendLimits().unlimited
    assert platform_default("telegram_bot").unlimited
    assert platform_default("no-such-platform").unlimited
    whatsapp = platform_default("whatsapp")
    assert effective(whatsapp, START, START).per_hour == 40  # 20% of 200 on day one
    assert effective(whatsapp, START, START + timedelta(days=8)).per_hour == 200


def test_invalid_limits_name_the_field() -> None:
    with pytest.raises(ValueError, match="per_day"):
        SendLimits(per_day=0)
    with pytest.raises(ValueError, match="warmup_start_percent"):
        SendLimits(warmup_start_percent=0)


def test_configured_platform_defaults_override_the_built_in_ones() -> None:
    from crossdesk.config import Settings
    from crossdesk.domain.send_limits import parse_platform_defaults

    parsed = parse_platform_defaults({"whatsapp": {"per_hour": 50}, "line": {"per_day": 300}})
    assert parsed[ChannelKind.WHATSAPP].per_hour == 50
    assert parsed[ChannelKind.WHATSAPP].warmup_days == 7  # the rest of the built-in default
    assert parsed[ChannelKind.LINE] == SendLimits(per_day=300)
    overrides = {"telegram_bot": {"per_hour": 600}}
    assert platform_default("telegram_bot", overrides).per_hour == 600
    assert platform_default("line", overrides).unlimited
    with pytest.raises(ValueError, match="unknown platform: 'myspace'"):
        parse_platform_defaults({"myspace": {"per_hour": 5}})
    with pytest.raises(ValueError, match="unknown fields"):
        parse_platform_defaults({"line": {"per_minute": 5}})
    with pytest.raises(ValueError, match="send limits for line: per_day"):
        parse_platform_defaults({"line": {"per_day": -1}})
    with pytest.raises(ValueError, match="unknown platform"):
        Settings(sessions={"send_limit_defaults": {"myspace": {"per_hour": 1}}})  # type: ignore[arg-type]
    settings = Settings(sessions={"send_limit_defaults": overrides})  # type: ignore[arg-type]
    assert settings.sessions.send_limit_defaults == overrides
