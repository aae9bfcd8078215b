"""How common a search is on PostgreSQL, from the planner's own lexeme statistics.

The planner estimates a CJK phrase (bigrams that always occur together) as if its bigrams
were independent, so it thinks "申请退款" is rare when it is in 7% of the messages, and
picks a plan that reads every match. ``pg_stats.most_common_elems`` of the tsvector column
(refreshed by ANALYZE/autovacuum) gives each frequent lexeme's share of the rows; the
rarest lexeme of a query bounds how many rows the query can match.
"""

import re
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.search.query import PgParts

STATS_SECONDS = 600.0
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class LexemeStats:
    rows: float  # the table's row estimate
    frequency: dict[str, float]  # share of rows holding the lexeme, for frequent ones
    floor: float  # any lexeme not listed is at most this frequent
    fetched: float


_cache: dict[str, LexemeStats] = {}

_STATS = text(
    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
    "FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname "
    "AND s.attname = 'search_tsv' AND s.schemaname = current_schema() "
    "WHERE c.relname = 'message' AND c.relnamespace = current_schema()::regnamespace"
)


async def lexeme_stats(session: AsyncSession) -> LexemeStats | None:
    """None when the table was never analysed (small or new: every plan is cheap)."""
    key = str(session.get_bind().engine.url)
    cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached.fetched < STATS_SECONDS:
        return cached
    row = (await session.execute(_STATS)).first()
    if row is None or not row[0] or not row[1]:
        return None
    elements, freqs, rows = list(row[0]), list(row[1]), float(row[2])
    listed = freqs[: len(elements)]  # three summary values follow the per-element ones
    stats = LexemeStats(
        rows=max(rows, 0.0),
        frequency=dict(zip(elements, listed, strict=True)),
        floor=min(listed),
        fetched=time.monotonic(),
    )
    _cache[key] = stats
    return stats


def lexemes(parts: PgParts) -> list[str]:
    """The query's lexemes as the 'simple' configuration makes them (lower-cased words,
    the CJK bigrams as they are); a one-character prefix has none (it is never rare)."""
    found = [w.lower() for w in _WORD.findall(parts.words)]
    for phrase in parts.phrases:
        found += phrase.split()
    return found


def most_matches(stats: LexemeStats, parts: PgParts) -> float:
    """An upper bound of the rows the query matches (every lexeme must be present)."""
    if parts.prefixes:
        return stats.rows
    terms = lexemes(parts)
    if not terms:
        return 0.0
    return stats.rows * min(stats.frequency.get(t, stats.floor) for t in terms)
