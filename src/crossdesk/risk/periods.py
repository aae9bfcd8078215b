"""Report periods (last 7 or 30 days, or chosen dates) and UTC day buckets in SQL.

Days are UTC days on both databases: SQLite stores UTC text, so ``date()`` is enough;
PostgreSQL converts ``timestamptz`` with the session's time zone, so the value is first
moved to UTC explicitly. Constants are literal SQL, not bound parameters, so that the
same expression in SELECT and GROUP BY is recognised as the same by PostgreSQL.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column

from crossdesk.errors import InvalidInput

PRESETS = {"7d": 7, "30d": 30}
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class Period:
    """Whole UTC days from ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    @property
    def days(self) -> list[str]:
        count = (self.last - self.first).days + 1
        return [(self.first + timedelta(days=i)).isoformat() for i in range(count)]

    def query(self) -> dict[str, str]:
        return {"since": self.first.isoformat(), "until": self.last.isoformat()}


def parse_day(value: str | None, field: str) -> date | None:
    """A YYYY-MM-DD field; browsers send an empty string when it is unset."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter the date as YYYY-MM-DD", field=field) from None


def choose_period(
    preset: str | None,
    since: date | None,
    until: date | None,
    *,
    today: date | None = None,
) -> Period:
    """Chosen dates win over a preset; with neither, the last 7 days (today included)."""
    today = today or datetime.now(UTC).date()
    if since or until:
        last = until or today
        first = since or (last - timedelta(days=PRESETS["30d"] - 1))
    else:
        if preset and preset not in PRESETS:
            raise InvalidInput("period must be 7d or 30d (or give dates)", field="period")
        last = today
        first = today - timedelta(days=PRESETS[preset or "7d"] - 1)
    if first > last:
        raise InvalidInput("the start date is after the end date", field="since")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"choose at most {MAX_DAYS} days", field="since")
    return Period(first, last)


def utc_day(column: Any, dialect: str) -> ColumnElement[str]:  # Any: a datetime column
    """``YYYY-MM-DD`` of a UTC datetime column, the same text on both databases."""
    if dialect == "postgresql":
        return func.to_char(
            func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM-DD'")
        )
    return func.date(column)
