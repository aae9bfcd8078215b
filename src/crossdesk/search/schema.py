"""The index objects the 0011 migration creates outside the models.

The models describe portable tables; a PostgreSQL tsvector column, SQLite FTS5 virtual
tables (with their shadow tables) and an index whose NULLS LAST ordering SQLite cannot
declare have no portable form, so schema comparisons (tests/integration/
test_migrations.py, autogenerate) skip them by name.
"""

from typing import Any

SEARCH_COLUMN = "search_tsv"
SEARCH_INDEXES = frozenset({"ix_message_search", "ix_contact_search", "ix_conversation_recent"})
FTS_TABLE_PREFIXES = ("message_fts", "contact_fts")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: False for the search index objects."""
    if type_ == "table" and name and name.startswith(FTS_TABLE_PREFIXES):
        return False
    if type_ == "column" and name == SEARCH_COLUMN:
        return False
    return not (type_ == "index" and name in SEARCH_INDEXES)
