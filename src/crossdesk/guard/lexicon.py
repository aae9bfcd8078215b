"""Word lists: terms with category, severity, action, direction, allow-phrases and regex rules.

Lists load from txt (one term per line, ``#`` comments, ``term<TAB>category``) or csv (header
with at least ``term``; optional ``category``), validate with errors naming the file and line,
and carry a fingerprint that changes whenever their content or settings change, so a caller
can reload a list without a restart and tell which version produced a finding.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from crossdesk.errors import InvalidInput
from crossdesk.guard.normalize import ALL_NORMS, Norm, fold_key

MAX_TERM_LENGTH = 200


class Action(enum.StrEnum):
    """What a hit asks for, from most to least severe."""

    BLOCK = "block"
    WARN = "warn"
    MASK = "mask"
    ALERT = "alert"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return _ACTION_RANK[self]


_ACTION_RANK = {Action.BLOCK: 4, Action.WARN: 3, Action.MASK: 2, Action.ALERT: 1}


class ListDirection(enum.StrEnum):
    """Which messages a list applies to."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BOTH = "both"


class Category(enum.StrEnum):
    """Well-known categories; files may use any other label."""

    DIVERSION = "diversion"
    PAYMENT = "payment"
    ABUSE = "abuse"
    CLAIMS = "claims"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Term:
    """One deny term as written in its source.

    Attributes:
        text: the canonical spelling reported in hits.
        category: the term's category (the list's default unless the file set one).
        source: "file:line" where the term was read, for error messages and audits.
    """

    text: str
    category: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class RegexRule:
    """A pattern rule run with RE2 (linear time, no catastrophic backtracking).

    Attributes:
        name: reported as the hit's ``term``.
        pattern: an RE2 pattern, matched case-insensitively on the width-folded text.
        category: the hit's category.
    """

    name: str
    pattern: str
    category: str = Category.CUSTOM


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A named word list with its policy.

    Attributes:
        name: the list's name, reported in hits.
        terms: deny terms.
        category: default category of the list's terms.
        action: what a hit asks for.
        severity: 1 (low) to 5 (critical), for sorting and alerts.
        direction: messages the list applies to.
        allow: allow-phrases that shadow this list's hits inside them.
        rules: regex rules.
        normalizations: the normalizations hits of this list may rely on.
        scope: "workspace" or "team:<id>", kept for the caller's bookkeeping.
    """

    name: str
    terms: tuple[Term, ...] = ()
    category: str = Category.CUSTOM
    action: Action = Action.BLOCK
    severity: int = 3
    direction: ListDirection = ListDirection.BOTH
    allow: tuple[str, ...] = ()
    rules: tuple[RegexRule, ...] = ()
    normalizations: Norm = ALL_NORMS
    scope: str = "workspace"
    version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.severity <= 5:
            raise InvalidInput("severity must be between 1 and 5", lexicon=self.name)
        if not self.version:
            object.__setattr__(self, "version", self.fingerprint())

    def fingerprint(self) -> str:
        """A short content hash: changes whenever terms, phrases, rules or settings change."""
        digest = hashlib.sha256()
        parts = [self.name, self.category, self.action, str(self.severity), self.direction]
        parts += [str(int(self.normalizations)), self.scope]
        parts += [f"t:{t.text}\t{t.category}" for t in self.terms]
        parts += [f"a:{a}" for a in self.allow]
        parts += [f"r:{r.name}\t{r.pattern}\t{r.category}" for r in self.rules]
        # one update: the same bytes as each part followed by NUL (fingerprints are unchanged)
        digest.update(("\0".join(parts) + "\0").encode("utf-8"))
        return digest.hexdigest()[:16]

    def applies_to(self, direction: str | None) -> bool:
        """True when the list should run for a message of ``direction`` (None: any)."""
        return direction is None or self.direction in (ListDirection.BOTH, direction)


def _check_term(text: str, where: str) -> str:
    term = unicodedata.normalize("NFC", text.strip())
    if not term:
        raise InvalidInput(f"{where}: empty term", source=where)
    if len(term) > MAX_TERM_LENGTH:
        raise InvalidInput(f"{where}: term longer than {MAX_TERM_LENGTH} characters", source=where)
    if any(unicodedata.category(ch) == "Cc" for ch in term):
        raise InvalidInput(f"{where}: term contains control characters", source=where)
    if not fold_key(term):
        raise InvalidInput(f"{where}: term has no letters or digits to match", source=where)
    return term


def parse_terms(text: str, source: str, default_category: str = Category.CUSTOM) -> list[Term]:
    """Parse a txt word list: one term per line, ``#`` comments, ``term<TAB>category``.

    Raises:
        InvalidInput: naming ``source`` and the line of the first invalid entry.
    """
    terms: list[Term] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}"
        term_text, _, category = raw.partition("\t")
        if "\t" in category:
            raise InvalidInput(f"{where}: expected 'term' or 'term<TAB>category'", source=where)
        category = category.strip() or default_category
        terms.append(Term(_check_term(term_text, where), category, where))
    return terms


def parse_csv_terms(text: str, source: str, default_category: str = Category.CUSTOM) -> list[Term]:
    """Parse a csv word list with a header row holding ``term`` and optionally ``category``.

    Raises:
        InvalidInput: naming ``source`` and the line of the first invalid row.
    """
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "term" not in fields:
        raise InvalidInput(f"{source}:1: csv header must contain a 'term' column", source=source)
    reader.fieldnames = fields
    terms: list[Term] = []
    for row in reader:
        where = f"{source}:{reader.line_num}"
        value = (row.get("term") or "").strip()
        if not value or value.startswith("#"):
            continue
        category = (row.get("category") or "").strip() or default_category
        terms.append(Term(_check_term(value, where), category, where))
    return terms


def read_terms(path: str | Path, default_category: str = Category.CUSTOM) -> list[Term]:
    """Read a txt or csv word list from disk (csv when the name ends in ``.csv``).

    Raises:
        InvalidInput: the file is missing, not UTF-8, or has an invalid line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path}: no such file", source=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not valid UTF-8 ({exc.reason})", source=str(path)) from exc
    if path.suffix.lower() == ".csv":
        return parse_csv_terms(text, str(path), default_category)
    return parse_terms(text, str(path), default_category)


def read_phrases(path: str | Path) -> list[str]:
    """Read allow-phrases (same txt format; a category column is ignored)."""
    return [t.text for t in read_terms(path)]


def load_lexicon(
    path: str | Path,
    *,
    name: str | None = None,
    category: str = Category.CUSTOM,
    action: Action = Action.BLOCK,
    severity: int = 3,
    direction: ListDirection = ListDirection.BOTH,
    allow: tuple[str, ...] = (),
    normalizations: Norm = ALL_NORMS,
) -> Lexicon:
    """Build a :class:`Lexicon` from a txt or csv file (see :func:`read_terms`)."""
    path = Path(path)
    return Lexicon(
        name=name or path.stem,
        terms=tuple(read_terms(path, category)),
        category=category,
        action=action,
        severity=severity,
        direction=direction,
        allow=allow,
        normalizations=normalizations,
    )
