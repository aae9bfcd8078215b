"""A workspace's sensitive-word lists: validated, versioned, audited; the guard reloads them
without a restart."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.models import WordList
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.guard import (
    Action,
    Category,
    Lexicon,
    ListDirection,
    Term,
    parse_csv_terms,
    parse_terms,
)
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal

MAX_TERMS = 100_000


@dataclass(frozen=True, slots=True)
class WordListInput:
    name: str
    category: str
    action: str
    severity: int
    direction: str
    terms_text: str
    allow_text: str = ""
    # How terms_text is written: "txt" (one term per line, term<TAB>category) or "csv"
    # (term,category). It is stored as given and parsed the same way on every load.
    format: str = "txt"


def parse_list(spec: WordListInput) -> tuple[list[Term], list[str]]:
    """Validate a list; InvalidInput names the list, the line and the problem."""
    name = spec.name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("a word list needs a name of 1 to 100 characters", field="name")
    for value, allowed, field in (
        (spec.category, {c.value for c in Category}, "category"),
        (spec.action, {a.value for a in Action}, "action"),
        (spec.direction, {d.value for d in ListDirection}, "direction"),
    ):
        if value not in allowed:
            raise InvalidInput(f"{field} must be one of {', '.join(sorted(allowed))}", field=field)
    if not 1 <= spec.severity <= 5:
        raise InvalidInput("severity must be 1 to 5", field="severity")
    if spec.format not in ("txt", "csv"):
        raise InvalidInput("format must be txt or csv", field="format")
    parse = parse_csv_terms if spec.format == "csv" else parse_terms
    terms = parse(spec.terms_text, f"list {name!r}", spec.category)
    if not terms:
        raise InvalidInput(f"list {name!r} has no terms", field="terms")
    if len(terms) > MAX_TERMS:
        raise InvalidInput(f"list {name!r} has more than {MAX_TERMS} terms", field="terms")
    allow = [t.text for t in parse_terms(spec.allow_text, f"allow-phrases of {name!r}")]
    return terms, allow


async def save_word_list(
    session: AsyncSession, principal: Principal, spec: WordListInput, actor: audit.Actor
) -> WordList:
    """Create or replace a list by name (a new version); audited with counts, not terms."""
    if not principal.can(Permission.WORDLIST_MANAGE):
        raise PermissionDenied("your role may not manage word lists")
    terms, allow = parse_list(spec)
    row = await session.scalar(
        select(WordList).where(
            WordList.workspace_id == principal.workspace_id, WordList.name == spec.name.strip()
        )
    )
    if row is None:
        row = WordList(workspace_id=principal.workspace_id, name=spec.name.strip(), version=0)
        session.add(row)
    row.category, row.action, row.severity = spec.category, spec.action, spec.severity
    row.direction, row.terms_text, row.allow_text = spec.direction, spec.terms_text, spec.allow_text
    row.format = spec.format
    row.version = (row.version or 0) + 1
    row.archived = False
    row.updated_at = utcnow()
    row.updated_by = principal.user_id
    await session.flush()
    await audit.record(
        session,
        principal.workspace_id,
        "wordlist.change",
        actor,
        target_type="word_list",
        target_id=row.id,
        data={"name": row.name, "version": row.version, "terms": len(terms), "allow": len(allow)},
    )
    return row


def lexicon_of(row: WordList) -> Lexicon:
    terms, allow = parse_list(
        WordListInput(
            row.name,
            row.category,
            row.action,
            row.severity,
            row.direction,
            row.terms_text,
            row.allow_text,
            row.format,
        )
    )
    return Lexicon(
        name=row.name,
        terms=tuple(terms),
        category=row.category,
        action=Action(row.action),
        severity=row.severity,
        direction=ListDirection(row.direction),
        allow=tuple(allow),
    )
