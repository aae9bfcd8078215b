"""Anti-ban send limits of one account: pure policy, no database.

Platforms watch new accounts closely: a number that starts sending hundreds of messages on
its first day, or opens many new chats at once, gets restricted or banned. Each account
therefore has rolling limits (messages per hour, per day, new chats per day) and a warm-up:
for the first ``warmup_days`` days after ``warmup_started_at`` every limit is scaled down,
starting at ``warmup_start_percent`` and growing linearly to the full value.

The delivery worker asks :func:`wait_seconds` before each send; a message over the limit is
not dropped, it waits (``next_attempt_at``) until the oldest counted send leaves the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from crossdesk.domain.enums import ChannelKind

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MAX_LIMIT = 1_000_000
MAX_WARMUP_DAYS = 90


@dataclass(frozen=True, slots=True)
class SendLimits:
    """An account's limits; ``None`` means unlimited."""

    per_hour: int | None = None
    per_day: int | None = None
    new_chats_per_day: int | None = None
    warmup_days: int = 0
    warmup_start_percent: int = 100

    def __post_init__(self) -> None:
        for name in ("per_hour", "per_day", "new_chats_per_day"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= MAX_LIMIT:
                raise ValueError(f"{name} must be between 1 and {MAX_LIMIT} (or empty)")
        if not 0 <= self.warmup_days <= MAX_WARMUP_DAYS:
            raise ValueError(f"warmup_days must be between 0 and {MAX_WARMUP_DAYS}")
        if not 1 <= self.warmup_start_percent <= 100:
            raise ValueError("warmup_start_percent must be between 1 and 100")

    @property
    def unlimited(self) -> bool:
        return self.per_hour is None and self.per_day is None and self.new_chats_per_day is None

    def as_dict(self) -> dict[str, int | None]:
        return {
            "per_hour": self.per_hour,
            "per_day": self.per_day,
            "new_chats_per_day": self.new_chats_per_day,
            "warmup_days": self.warmup_days,
            "warmup_start_percent": self.warmup_start_percent,
        }


# Conservative defaults for platforms known to restrict accounts that send too much too soon
# (WhatsApp rates new business numbers by quality and caps business-initiated chats per
# 24 h, starting at 250). Official bot APIs (Telegram, LINE, Messenger) answer customers
# who wrote first and enforce their own rate limits, so they start unlimited. Every account
# can override its platform's default on its limits page.
PLATFORM_DEFAULTS: dict[ChannelKind, SendLimits] = {
    ChannelKind.WHATSAPP: SendLimits(
        per_hour=200, per_day=1000, new_chats_per_day=250, warmup_days=7, warmup_start_percent=20
    ),
}


Overrides = Mapping[str, Mapping[str, int | None]]


def parse_platform_defaults(raw: Overrides) -> dict[ChannelKind, SendLimits]:
    """Per-platform defaults from configuration (``{"whatsapp": {"per_hour": 100}}``), each
    over the built-in default of its platform. Raises ValueError naming what is wrong."""
    fields = set(SendLimits.__dataclass_fields__)
    parsed: dict[ChannelKind, SendLimits] = {}
    for name, values in raw.items():
        try:
            kind = ChannelKind(name)
        except ValueError:
            raise ValueError(f"send limits for an unknown platform: {name!r}") from None
        unknown = set(values) - fields
        if unknown:
            raise ValueError(f"send limits for {name}: unknown fields {sorted(unknown)}")
        base = PLATFORM_DEFAULTS.get(kind, SendLimits()).as_dict()
        merged = {**base, **values}
        for key in ("warmup_days", "warmup_start_percent"):
            if merged[key] is None:
                raise ValueError(f"send limits for {name}: {key} cannot be empty")
        try:
            parsed[kind] = SendLimits(**merged)  # type: ignore[arg-type]  # checked above
        except ValueError as exc:
            raise ValueError(f"send limits for {name}: {exc}") from None
    return parsed


def platform_default(kind: str, overrides: Overrides | None = None) -> SendLimits:
    """The platform's default limits: the configured ones, else the built-in ones."""
    try:
        platform = ChannelKind(kind)
    except ValueError:
        return SendLimits()
    if overrides and kind in overrides:
        return parse_platform_defaults({kind: overrides[kind]})[platform]
    return PLATFORM_DEFAULTS.get(platform, SendLimits())


def warmup_factor(limits: SendLimits, started: datetime, now: datetime) -> float:
    """The share of the full limits that applies ``now`` (1.0 once warmed up)."""
    if limits.warmup_days <= 0 or limits.warmup_start_percent >= 100:
        return 1.0
    days = max(0.0, (now - started) / DAY)
    if days >= limits.warmup_days:
        return 1.0
    start = limits.warmup_start_percent / 100
    # Whole days: the limit steps up once a day, which is what an admin can reason about.
    return start + (1.0 - start) * math.floor(days) / limits.warmup_days


def scaled(limit: int | None, factor: float) -> int | None:
    """A limit scaled by the warm-up factor; never below one message."""
    if limit is None:
        return None
    return max(1, math.floor(limit * factor))


def effective(limits: SendLimits, started: datetime, now: datetime) -> SendLimits:
    """The limits in force ``now`` (warm-up applied, no further warm-up)."""
    factor = warmup_factor(limits, started, now)
    return replace(
        limits,
        per_hour=scaled(limits.per_hour, factor),
        per_day=scaled(limits.per_day, factor),
        new_chats_per_day=scaled(limits.new_chats_per_day, factor),
        warmup_days=0,
        warmup_start_percent=100,
    )


def schedule(limits: SendLimits) -> list[tuple[int, SendLimits]]:
    """The warm-up day by day (day 1 = the first day), ending with the full limits."""
    if limits.warmup_days <= 0 or limits.warmup_start_percent >= 100:
        return [(1, effective(limits, datetime.min, datetime.min))]
    start = datetime(2000, 1, 1)
    return [
        (day + 1, effective(limits, start, start + DAY * day))
        for day in range(limits.warmup_days + 1)
    ]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one more message may leave now; when not, how long to wait and why."""

    wait_seconds: float
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.wait_seconds <= 0


def _window_wait(
    sent: Sequence[datetime], limit: int | None, window: timedelta, now: datetime
) -> float:
    """Seconds until fewer than ``limit`` of ``sent`` fall inside the rolling window."""
    if limit is None:
        return 0.0
    recent = sorted(t for t in sent if now - window < t <= now)
    if len(recent) < limit:
        return 0.0
    # The send that must leave the window before one more is allowed.
    oldest_blocking = recent[len(recent) - limit]
    return max(1.0, (oldest_blocking + window - now).total_seconds())


def check(
    limits: SendLimits,
    started: datetime,
    now: datetime,
    sent: Sequence[datetime],
    new_chats: Sequence[datetime],
    *,
    is_new_chat: bool,
) -> Verdict:
    """May one more message leave now?

    Args:
        limits: the account's configured limits.
        started: when its warm-up started.
        sent: when its recent messages left (at least the last 24 h), in-flight ones at now.
        new_chats: when its recent first messages into a conversation left.
        is_new_chat: whether this message opens a conversation on our side.
    """
    now_limits = effective(limits, started, now)
    waits = [
        (_window_wait(sent, now_limits.per_hour, HOUR, now), f"{now_limits.per_hour} per hour"),
        (_window_wait(sent, now_limits.per_day, DAY, now), f"{now_limits.per_day} per day"),
    ]
    if is_new_chat:
        waits.append(
            (
                _window_wait(new_chats, now_limits.new_chats_per_day, DAY, now),
                f"{now_limits.new_chats_per_day} new chats per day",
            )
        )
    wait, reason = max(waits, key=lambda item: item[0])
    if wait <= 0:
        return Verdict(0.0)
    warming = warmup_factor(limits, started, now) < 1.0
    return Verdict(wait, f"{reason}{' (warming up)' if warming else ''}")
