"""The inbox filter: parsed from a URL query (UI, API, saved views), applied as SQL.

One definition for every entry point, so a view saved in the UI means the same thing
through the API. Filters only ever narrow ``conversation_scope``; they never widen it.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, or_, select

from crossdesk.db.models import (
    ChannelAccount,
    Contact,
    Conversation,
    ConversationLabel,
    ConversationRead,
)
from crossdesk.domain import ChannelKind
from crossdesk.errors import InvalidInput
from crossdesk.risk.rbac import Principal

STATUSES = ("open", "resolved", "all")
# Query keys in their canonical order (also the keys a saved view may hold).
KEYS = (
    "status",
    "label",
    "platform",
    "account",
    "assignee",
    "team",
    "language",
    "unread",
    "waiting",
)
_ID = re.compile(r"^[0-9a-f]{32}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
_WAITING = re.compile(r"^\s*(\d{1,6})\s*([mhd]?)\s*$")
_UNIT_MINUTES = {"": 1, "m": 1, "h": 60, "d": 1440}
MAX_WAITING_MINUTES = 60 * 24 * 365
MAX_LABELS = 5


def parse_waiting(text: str) -> int:
    """Minutes from ``"45"``, ``"45m"``, ``"2h"`` or ``"3d"`` (1 minute to 1 year)."""
    match = _WAITING.match(text.lower())
    if match is None:
        raise InvalidInput(
            "waiting must be a number of minutes, or a number followed by m, h or d (e.g. 2h)",
            field="waiting",
        )
    minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2)]
    if not 1 <= minutes <= MAX_WAITING_MINUTES:
        raise InvalidInput("waiting must be between 1 minute and 365 days", field="waiting")
    return minutes


def format_waiting(minutes: int) -> str:
    """The shortest exact spelling :func:`parse_waiting` reads back."""
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _one(query: Mapping[str, str | Sequence[str]], key: str) -> str:
    value = query.get(key, "")
    if isinstance(value, str):
        return value.strip()
    values = [v.strip() for v in value if v.strip()]
    if len(values) > 1:
        raise InvalidInput(f"{key} may be given once", field=key)
    return values[0] if values else ""


def _many(query: Mapping[str, str | Sequence[str]], key: str) -> list[str]:
    value = query.get(key, [])
    values = [value] if isinstance(value, str) else list(value)
    return [v.strip() for v in values if v.strip()]


def _id(value: str, key: str, specials: tuple[str, ...] = ()) -> str | None:
    if not value:
        return None
    if value in specials or _ID.match(value):
        return value
    allowed = " or ".join([*(repr(s) for s in specials), "an id of 32 hex characters"])
    raise InvalidInput(f"{key} must be {allowed}", field=key)


@dataclass(frozen=True, slots=True)
class InboxFilter:
    status: str = "open"  # open | resolved | all
    labels: tuple[str, ...] = ()  # label ids; a conversation must carry all of them
    platform: str | None = None  # a channel kind
    account: str | None = None
    assignee: str | None = None  # a user id, "me" or "none"
    team: str | None = None  # a team id or "none"
    language: str | None = None  # the customer's language; "es" also matches "es-MX"
    unread: bool = False  # only conversations with messages the viewer has not read
    waiting: int | None = None  # minutes the customer has waited for a reply, at least

    @classmethod
    def from_query(
        cls, query: Mapping[str, str | Sequence[str]], *, ignore: Sequence[str] = ()
    ) -> "InboxFilter":
        """Validate a query; every error names the parameter. Keys in ``ignore`` (the
        page's own parameters) are skipped; any other unknown key is refused."""
        unknown = sorted(k for k in query if k not in KEYS and k not in ignore)
        if unknown:
            raise InvalidInput(f"unknown filter: {', '.join(unknown)}", field=unknown[0])
        status = _one(query, "status") or "open"
        if status not in STATUSES:
            raise InvalidInput("status must be open, resolved or all", field="status")
        labels = _many(query, "label")
        if len(labels) > MAX_LABELS:
            raise InvalidInput(f"at most {MAX_LABELS} labels at once", field="label")
        label_ids = tuple(dict.fromkeys(i for i in (_id(v, "label") for v in labels) if i))
        platform = _one(query, "platform") or None
        if platform is not None and platform not in {k.value for k in ChannelKind}:
            raise InvalidInput(f"unknown platform {platform!r}", field="platform")
        language = _one(query, "language") or None
        if language is not None and not _LANGUAGE.match(language):
            raise InvalidInput(
                "language must be a language code such as es, pt-BR or zh-Hans", field="language"
            )
        unread = _one(query, "unread").lower()
        if unread not in ("", "0", "1", "true", "false", "on"):
            raise InvalidInput("unread must be true or false", field="unread")
        waiting = _one(query, "waiting")
        return cls(
            status=status,
            labels=label_ids,
            platform=platform,
            account=_id(_one(query, "account"), "account"),
            assignee=_id(_one(query, "assignee"), "assignee", ("me", "none")),
            team=_id(_one(query, "team"), "team", ("none",)),
            language=language,
            unread=unread in ("1", "true", "on"),
            waiting=parse_waiting(waiting) if waiting else None,
        )

    def to_query(self) -> dict[str, str | list[str]]:
        """The canonical query: defaults left out, so equal filters give equal queries."""
        query: dict[str, str | list[str]] = {}
        if self.status != "open":
            query["status"] = self.status
        if self.labels:
            query["label"] = list(self.labels)
        for key in ("platform", "account", "assignee", "team", "language"):
            value = getattr(self, key)
            if value:
                query[key] = value
        if self.unread:
            query["unread"] = "1"
        if self.waiting:
            query["waiting"] = format_waiting(self.waiting)
        return query

    def pairs(self) -> list[tuple[str, str]]:
        """``to_query`` flattened, for urlencode."""
        out: list[tuple[str, str]] = []
        for key, value in self.to_query().items():
            out.extend((key, v) for v in ([value] if isinstance(value, str) else value))
        return out

    @property
    def is_default(self) -> bool:
        return not self.to_query()

    def clauses(self, principal: Principal, now: datetime) -> list[ColumnElement[bool]]:
        """WHERE clauses for a statement over Conversation joined to Contact (for the
        language) and ChannelAccount (for the platform)."""
        out: list[ColumnElement[bool]] = []
        if self.status != "all":
            out.append(Conversation.status == self.status)
        for label_id in self.labels:
            out.append(
                exists().where(
                    ConversationLabel.conversation_id == Conversation.id,
                    ConversationLabel.label_id == label_id,
                    ConversationLabel.removed_at.is_(None),
                )
            )
        if self.platform:
            out.append(ChannelAccount.kind == self.platform)
        if self.account:
            out.append(Conversation.account_id == self.account)
        if self.assignee == "none":
            out.append(Conversation.assignee_id.is_(None))
        elif self.assignee:
            who = principal.user_id if self.assignee == "me" else self.assignee
            out.append(Conversation.assignee_id == who)
        if self.team == "none":
            out.append(Conversation.team_id.is_(None))
        elif self.team:
            out.append(Conversation.team_id == self.team)
        if self.language:
            out.append(
                or_(Contact.language == self.language, Contact.language.like(f"{self.language}-%"))
            )
        if self.unread:
            out.append(unread_clause(principal))
        if self.waiting:
            # The customer wrote last (no reply since) and that was at least X ago.
            out.append(Conversation.last_inbound_at.is_not(None))
            out.append(Conversation.last_message_at <= Conversation.last_inbound_at)
            out.append(Conversation.last_inbound_at <= now - timedelta(minutes=self.waiting))
        return out


def unread_clause(principal: Principal) -> ColumnElement[bool]:
    """The customer wrote after the viewer last read the conversation (or ever, if the
    viewer never opened it). Uses the read marker's primary key."""
    read_up_to_date = exists(
        select(ConversationRead.conversation_id).where(
            ConversationRead.conversation_id == Conversation.id,
            ConversationRead.user_id == principal.user_id,
            ConversationRead.read_at >= Conversation.last_inbound_at,
        )
    )
    return Conversation.last_inbound_at.is_not(None) & ~read_up_to_date
