"""How common a search is on PostgreSQL, from the planner's own lexeme statistics.

The planner estimates a CJK phrase (bigrams that always occur together) as if its bigrams
were independent, so it thinks "申请退款" is rare when it is in 7% of the messages, and
picks a plan that reads every match. ``pg_stats.most_common_elems`` of the tsvector column
(refreshed by ANALYZE/autovacuum) gives each frequent lexeme's share of the rows; the
frequencies estimate how many rows a query matches.
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


def most_matches(stats: LexemeStats, parts: PgParts) -> float:
    """The rows the query may match: a CJK phrase as frequent as its rarest bigram (they
    come together), separate terms as independent (the planner's assumption for AND)."""
    if parts.prefixes:
        return stats.rows
    units = [[w.lower()] for w in _WORD.findall(parts.words)]
    units += [phrase.split() for phrase in parts.phrases]
    if not units:
        return 0.0
    share = 1.0
    for unit in units:
        share *= min(stats.frequency.get(lexeme, stats.floor) for lexeme in unit)
    return stats.rows * share
