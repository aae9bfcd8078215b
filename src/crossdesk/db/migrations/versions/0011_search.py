"""search: full-text indexes over masked message text and contact names; inbox order index

PostgreSQL: a generated ``search_tsv`` tsvector column (text search configuration
'simple', plus character bigrams of CJK runs, see crossdesk.search.schema) with a GIN
index, on ``message`` and ``contact``.
SQLite: FTS5 external-content tables (trigram tokenizer when the bundled SQLite has it,
3.34+) kept in sync by triggers; they index the same masked columns, never the raw text.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

import sqlite3
from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Han, kana, Hangul syllables and CJK compatibility ideographs: scripts written without
# spaces between words, which the 'simple' parser would keep as one long token.
CJK_CLASS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"

# The text the tsvector is made from: CJK runs set apart from neighbouring letters and
# digits (the 'simple' parser would glue "订单号123" into one token), then every character
# bigram of each run plus the run's last character, in order. A query for a CJK word
# becomes a phrase of its bigrams, and one character becomes a prefix match, so any
# substring of a CJK run is found without a word segmenter (search/query.py).
# Every f-string below is built from constants of this file, never from input.
PG_SEARCH_TEXT = rf"""
CREATE FUNCTION crossdesk_search_text(doc text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT regexp_replace(doc, '({CJK_CLASS}+)', ' \1 ', 'g') || ' ' || coalesce((
        SELECT string_agg(substr(run.part[1], pos, 2), ' ' ORDER BY run.n, pos)
        FROM regexp_matches(doc, '{CJK_CLASS}{{2,}}', 'g') WITH ORDINALITY AS run(part, n),
             generate_series(1, char_length(run.part[1])) AS pos
    ), '')
$$
"""  # noqa: S608

MESSAGE_DOC = "coalesce(body_masked, '') || ' ' || coalesce(translation, '')"
CONTACT_DOC = "coalesce(display_name, '')"


def _pg_tsv(doc: str) -> str:
    return f"to_tsvector('simple'::regconfig, crossdesk_search_text({doc}))"


def _sqlite_tokenizer() -> str:
    # The trigram tokenizer (SQLite 3.34+) matches any substring of 3+ characters, so
    # Chinese text is searchable without word segmentation.
    return "trigram" if sqlite3.sqlite_version_info >= (3, 34, 0) else "unicode61"


def _sqlite_fts(table: str, columns: list[str]) -> list[str]:
    fts = f"{table}_fts"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old});"  # noqa: S608
    insert = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
        f"content_rowid='rowid', tokenize='{_sqlite_tokenizer()}')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
    ]


# The inbox list order (repositories.list_conversations): newest activity first, never-
# active last. PostgreSQL needs NULLS LAST spelled out to walk the index instead of sorting
# every open conversation; SQLite puts NULLs last in a DESC index already and refuses the
# clause. Dialect-specific, so outside the models (search/schema.py).
INBOX_ORDER = {
    "postgresql": "workspace_id, last_message_at DESC NULLS LAST, id DESC",
    "sqlite": "workspace_id, last_message_at DESC, id DESC",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_index("ix_message_recent", "message", ["workspace_id", "created_at"])
    if dialect in INBOX_ORDER:
        op.execute(f"CREATE INDEX ix_conversation_recent ON conversation ({INBOX_ORDER[dialect]})")
    if dialect == "postgresql":
        op.execute(PG_SEARCH_TEXT)
        for table, doc in (("message", MESSAGE_DOC), ("contact", CONTACT_DOC)):
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search_tsv tsvector "
                f"GENERATED ALWAYS AS ({_pg_tsv(doc)}) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (search_tsv)")
    elif dialect == "sqlite":
        for statement in _sqlite_fts("message", ["body_masked", "translation"]):
            op.execute(statement)
        for statement in _sqlite_fts("contact", ["display_name"]):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_message_recent", table_name="message")
    op.execute("DROP INDEX IF EXISTS ix_conversation_recent")
    if dialect == "postgresql":
        for table in ("message", "contact"):
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_tsv")
        op.execute("DROP FUNCTION IF EXISTS crossdesk_search_text(text)")
    elif dialect == "sqlite":
        for table in ("message", "contact"):
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
