"""Search queries, scoped exactly like the inbox (``conversation_scope``).

Only masked text is searched: ``message.body_masked`` and ``message.translation`` (made
from the masked text) and ``contact.display_name`` (masked when the contact is created).
Raw bodies are encrypted and never indexed; platform user ids (a WhatsApp id is a phone
number) are not indexed either and are shown redacted.

Ranking: the newest ``CANDIDATES`` matches in scope (on SQLite: the last stored) are
ranked by relevance (ts_rank on PostgreSQL, bm25 on SQLite), newest first among equals.
Capping the ranked set keeps a search for a very common word fast at a million messages
(docs/benchmarks.md); a search that matches more is refined by adding a word.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from crossdesk.db.models import ChannelAccount, Contact, Conversation, Message
from crossdesk.db.repositories import sees_deleted_messages
from crossdesk.risk.rbac import Principal, conversation_scope
from crossdesk.search.pg_stats import lexeme_stats, most_matches
from crossdesk.search.query import SearchQuery, fts5_split, pg_parts, pg_prefix
from crossdesk.search.snippets import Snippet, make_snippet

CANDIDATES = 200
# PostgreSQL: a query that may match this many rows is "common" (see _candidates): walking
# the newest messages finds CANDIDATES of them within about 50,000 rows of a million; the
# walk reads at most SCAN_ROWS rows (SQLite: the bound of a search by short terms only).
COMMON_MATCHES = 4_000
SCAN_ROWS = 100_000
PER_PAGE = 20
MAX_PAGE = CANDIDATES // PER_PAGE
CONTACT_HITS = 10
# SQLite: contacts considered for a search of terms too short for the trigram index.
SCANNED_CONTACTS = 500


@dataclass(frozen=True, slots=True)
class MessageHit:
    message_id: str
    conversation_id: str
    direction: str
    created_at: datetime
    snippet: Snippet
    contact_name: str
    account_name: str
    account_kind: str


@dataclass(frozen=True, slots=True)
class ContactHit:
    contact_id: str
    conversation_id: str
    name: Snippet
    handle: str  # redacted
    account_name: str
    account_kind: str
    last_message_at: datetime | None


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: SearchQuery
    page: int
    messages: list[MessageHit]
    contacts: list[ContactHit]
    has_more: bool


def redacted_handle(value: str) -> str:
    """All but the last four characters hidden (as the conversation API shows ids)."""
    return "*" * max(0, len(value) - 4) + value[-4:]


# --- PostgreSQL ---------------------------------------------------------------------------

_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


def _pg_tsquery(query: SearchQuery) -> ColumnElement[Any]:
    parts = pg_parts(query)
    pieces: list[ColumnElement[Any]] = []
    if parts.words:
        pieces.append(func.plainto_tsquery(_SIMPLE, literal(parts.words), type_=TSQUERY))
    pieces += [func.phraseto_tsquery(_SIMPLE, literal(p), type_=TSQUERY) for p in parts.phrases]
    pieces += [
        func.to_tsquery(_SIMPLE, literal(pg_prefix(ch)), type_=TSQUERY) for ch in parts.prefixes
    ]
    combined = pieces[0]
    for piece in pieces[1:]:
        combined = combined.op("&&", return_type=TSQUERY)(piece)
    return combined


def _pg_match(
    table_name: str, query: SearchQuery
) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    tsv: ColumnElement[Any] = literal_column(f"{table_name}.search_tsv")
    tsquery = _pg_tsquery(query)
    return tsv.bool_op("@@")(tsquery), func.ts_rank(tsv, tsquery)


_Select = TypeVar("_Select", bound=Select[*tuple[Any, ...]])
Column = ColumnElement[Any] | InstrumentedAttribute[Any]


# --- SQLite -------------------------------------------------------------------------------

_tokenizers: dict[str, str] = {}


async def _sqlite_tokenizer(session: AsyncSession) -> str:
    """The tokenizer the 0011 migration chose for this database (trigram when available)."""
    key = str(session.get_bind().engine.url)
    if key not in _tokenizers:
        ddl = await session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'message_fts'"))
        _tokenizers[key] = "trigram" if "trigram" in str(ddl or "") else "unicode61"
    return _tokenizers[key]


def _contains(columns: Sequence[Column], term: str) -> ColumnElement[bool]:
    needle = term.lower()  # lower() in SQLite folds ASCII only, as FTS5 trigram does not
    return or_(*(func.instr(func.lower(func.coalesce(c, "")), needle) > 0 for c in columns))


def _sqlite_filter(
    statement: _Select,
    table_name: str,
    columns: Sequence[Column],
    query: SearchQuery,
    tokenizer: str,
) -> tuple[_Select, ColumnElement[Any], ColumnElement[Any]]:
    """The statement narrowed to the query, the rank, and the rowid to order by: the FTS5
    table's when it is used (FTS5 then walks its index in that order and the LIMIT stops
    it early; ordering by the content table's rowid instead sorts every match)."""
    match, scanned = fts5_split(query, tokenizer)
    rank: ColumnElement[Any] = literal(0.0)
    rowid: ColumnElement[Any] = literal_column(f"{table_name}.rowid")
    if match is not None:
        fts_name = f"{table_name}_fts"
        fts = table(fts_name, column("rowid"))
        statement = statement.join(fts, fts.c.rowid == literal_column(f"{table_name}.rowid")).where(
            text(f"{fts_name} MATCH :match_{table_name}").bindparams(
                **{f"match_{table_name}": match}
            )
        )
        # bm25 is negative, lower is better.
        rank = -func.bm25(literal_column(fts_name))
        rowid = fts.c.rowid
    for term in scanned:
        statement = statement.where(_contains(columns, term))
    return statement, rank, rowid


# --- Queries ------------------------------------------------------------------------------


def _message_scope(principal: Principal) -> ColumnElement[bool]:
    clauses = [Message.workspace_id == principal.workspace_id, conversation_scope(principal)]
    if not sees_deleted_messages(principal):
        clauses.append(Message.deleted_by_platform.is_(False))
    return and_(*clauses)


async def _candidates(
    session: AsyncSession, principal: Principal, query: SearchQuery
) -> list[tuple[str, datetime, float]]:
    """(id, created_at, rank) of the newest ``CANDIDATES`` matching messages in scope."""
    base = (
        select(Message.id, Message.created_at)
        .select_from(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(_message_scope(principal))
    )
    if session.get_bind().dialect.name != "postgresql":
        tokenizer = await _sqlite_tokenizer(session)
        base, rank, rowid = _sqlite_filter(
            base, "message", [Message.body_masked, Message.translation], query, tokenizer
        )
        # Newest = stored last: FTS5 walks its doclist backwards by rowid and stops at the
        # limit, where ordering by created_at would first fetch every match.
        statement = base.add_columns(rank).order_by(rowid.desc())
        if fts5_split(query, tokenizer)[0] is None:
            # Only terms under 3 characters: a substring test on each row, newest first,
            # bounded to the newest SCAN_ROWS messages (a term found nowhere would otherwise
            # read all of them: ~3 s at a million).
            newest = await session.scalar(text("SELECT max(rowid) FROM message"))
            if newest is not None:
                statement = statement.where(rowid > int(newest) - SCAN_ROWS)
        found = (await session.execute(statement.limit(CANDIDATES))).all()
        return [(row[0], row[1], float(row[2])) for row in found]
    match, rank = _pg_match("message", query)
    stats = await lexeme_stats(session)
    if stats is not None and most_matches(stats, pg_parts(query)) >= COMMON_MATCHES:
        rows = await _pg_walk_newest(session, principal, query)
        if len(rows) >= CANDIDATES:
            return rows
    statement = (
        base.add_columns(rank)
        .where(match)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(CANDIDATES)
    )
    return [(row[0], row[1], float(row[2])) for row in (await session.execute(statement)).all()]


async def _pg_walk_newest(
    session: AsyncSession, principal: Principal, query: SearchQuery
) -> list[tuple[str, datetime, float]]:
    """For a common word. GIN hands over every match, unordered, to be sorted by date:
    ~1 s for a word in 7% of a million messages. Instead walk ix_message_recent from the
    newest message, testing each row, and stop at CANDIDATES matches: about CANDIDATES /
    frequency rows read, in arrival order. The walk covers the newest SCAN_ROWS messages;
    a query rarer than its statistics promised (two common words seldom together) finds
    fewer, and the caller falls back to GIN. (The planner cannot be trusted to choose this
    itself: it estimates CJK phrases as far rarer than they are.)"""
    recent = (
        select(
            Message.id,
            Message.created_at,
            Message.conversation_id,
            Message.deleted_by_platform,
            literal_column("message.search_tsv").label("search_tsv"),
        )
        .where(Message.workspace_id == principal.workspace_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(SCAN_ROWS)
        .subquery("recent")
    )
    tsquery = _pg_tsquery(query)
    statement = (
        select(recent.c.id, recent.c.created_at, func.ts_rank(recent.c.search_tsv, tsquery))
        .select_from(recent)
        .join(Conversation, Conversation.id == recent.c.conversation_id)
        .where(conversation_scope(principal), recent.c.search_tsv.bool_op("@@")(tsquery))
        # Same order as the subquery: PostgreSQL keeps it and stops reading at the limit.
        .order_by(recent.c.created_at.desc(), recent.c.id.desc())
        .limit(CANDIDATES)
    )
    if not sees_deleted_messages(principal):
        statement = statement.where(recent.c.deleted_by_platform.is_(False))
    return [(row[0], row[1], float(row[2])) for row in (await session.execute(statement)).all()]


async def search_messages(
    session: AsyncSession, principal: Principal, query: SearchQuery, *, page: int = 1
) -> tuple[list[MessageHit], bool]:
    """One page of message hits (best first, newest first among equals) and whether there
    is another."""
    page = max(1, min(page, MAX_PAGE))
    ranked = sorted(await _candidates(session, principal, query), key=lambda c: (c[2], c[1], c[0]))
    ranked.reverse()
    chosen = [c[0] for c in ranked[(page - 1) * PER_PAGE : page * PER_PAGE]]
    statement = (
        select(
            Message.id,
            Message.conversation_id,
            Message.direction,
            Message.created_at,
            Message.body_masked,
            Message.translation,
            Contact.display_name,
            ChannelAccount.name,
            ChannelAccount.kind,
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(ChannelAccount, ChannelAccount.id == Conversation.account_id)
        .where(Message.id.in_(chosen))
    )
    rows = {row[0]: row for row in (await session.execute(statement)).all()} if chosen else {}
    hits = [
        MessageHit(
            message_id=row[0],
            conversation_id=row[1],
            direction=row[2],
            created_at=row[3],
            snippet=_best_snippet(query, row[4], row[5]),
            contact_name=row[6],
            account_name=row[7],
            account_kind=row[8],
        )
        for row in (rows[i] for i in chosen if i in rows)
    ]
    return hits, len(ranked) > page * PER_PAGE


def _best_snippet(query: SearchQuery, body: str, translation: str | None) -> Snippet:
    """The masked body around a hit, or the translation if only it holds one."""
    snippet = make_snippet(body, query.terms)
    if not snippet.highlights and translation:
        other = make_snippet(translation, query.terms)
        if other.highlights:
            return other
    return snippet


async def search_contacts(
    session: AsyncSession, principal: Principal, query: SearchQuery
) -> list[ContactHit]:
    """Conversations in scope whose contact's (masked) name matches."""
    rank: ColumnElement[Any] | None
    base = (
        select(
            Contact.id,
            Conversation.id,
            Contact.display_name,
            Contact.platform_user_id,
            ChannelAccount.name,
            ChannelAccount.kind,
            Conversation.last_message_at,
        )
        .select_from(Contact)
        # A contact belongs to one account: naming it lets ix_conversation_contact serve.
        .join(
            Conversation,
            (Conversation.account_id == Contact.account_id)
            & (Conversation.contact_id == Contact.id),
        )
        .join(ChannelAccount, ChannelAccount.id == Conversation.account_id)
        .where(Contact.workspace_id == principal.workspace_id, conversation_scope(principal))
    )
    if session.get_bind().dialect.name == "postgresql":
        match, rank = _pg_match("contact", query)
        base = base.where(match)
    else:
        tokenizer = await _sqlite_tokenizer(session)
        base, rank, _rowid = _sqlite_filter(
            base, "contact", [Contact.display_name], query, tokenizer
        )
        fts_match, scanned = fts5_split(query, tokenizer)
        if fts_match is None:
            # Terms under 3 characters, which the trigram index cannot answer: one pass over
            # the contact table (narrow rows: ~25 ms at 100,000) finds the candidates, then
            # their conversations come by index. No rank: newest conversation first.
            rank = None
            found = select(Contact.id).where(
                Contact.workspace_id == principal.workspace_id,
                *(_contains([Contact.display_name], term) for term in scanned),
            )
            ids = list((await session.scalars(found.limit(SCANNED_CONTACTS))).all())
            if not ids:
                return []
            base = base.where(Contact.id.in_(ids))
    order = [] if rank is None else [rank.desc()]
    statement = base.order_by(
        *order, Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc()
    ).limit(CONTACT_HITS)
    return [
        ContactHit(
            contact_id=row[0],
            conversation_id=row[1],
            name=make_snippet(row[2], query.terms),
            handle=redacted_handle(row[3]),
            account_name=row[4],
            account_kind=row[5],
            last_message_at=row[6],
        )
        for row in (await session.execute(statement)).all()
    ]


async def search(
    session: AsyncSession, principal: Principal, query: SearchQuery, *, page: int = 1
) -> SearchPage:
    """Messages (paged) and, on the first page, matching contacts."""
    page = max(1, min(page, MAX_PAGE))
    messages, has_more = await search_messages(session, principal, query, page=page)
    contacts = await search_contacts(session, principal, query) if page == 1 else []
    return SearchPage(query, page, messages, contacts, has_more)


async def messages_from(
    session: AsyncSession,
    conversation: Conversation,
    message_id: str,
    viewer: Principal,
    *,
    limit: int = 200,
) -> list[Message] | None:
    """The conversation's messages starting at ``message_id`` (a search hit older than the
    latest page), oldest first; None when the message is not in this conversation."""
    target = await session.scalar(
        select(Message.created_at).where(
            Message.id == message_id,
            Message.conversation_id == conversation.id,
            Message.workspace_id == conversation.workspace_id,
        )
    )
    if target is None:
        return None
    statement = select(Message).where(
        Message.conversation_id == conversation.id,
        Message.workspace_id == conversation.workspace_id,
        Message.created_at >= target,
    )
    if not sees_deleted_messages(viewer):
        statement = statement.where(Message.deleted_by_platform.is_(False))
    statement = statement.order_by(Message.created_at, Message.id).limit(limit)
    return list((await session.scalars(statement)).all())
