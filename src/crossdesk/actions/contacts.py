"""Contact profiles: identities, notes, custom attributes, merging contacts into one
person (and back), and the duplicate-lead signal.

A person is the set of contacts sharing ``person_id``; it equals the id of the contact
whose profile survives the merge (the "survivor"). Merging changes only ``person_id``:
both rows stay, so an unmerge restores exactly what was there.
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.inbox_extras import labels_by_contact, labels_by_conversation
from crossdesk.db.models import (
    ChannelAccount,
    Contact,
    ContactProfile,
    Conversation,
    Label,
    User,
)
from crossdesk.db.repositories import ConversationRow
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal, conversation_scope
from crossdesk.services import Services

MAX_ATTRIBUTES = 30
MAX_ATTRIBUTE_VALUE = 500
MAX_NOTES = 4000
ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
HISTORY_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Identity:
    contact: Contact
    account: ChannelAccount
    labels: tuple[Label, ...] = ()


@dataclass(frozen=True, slots=True)
class AlsoWriting:
    """Another account the same person writes to (same person_id or platform identity)."""

    account: ChannelAccount
    contact_id: str
    same_person: bool  # merged; otherwise the same platform identity on another account


@dataclass(slots=True)
class PersonProfile:
    contact: Contact  # the one asked for
    survivor: Contact  # whose notes and attributes are the person's
    identities: list[Identity]
    profile: ContactProfile | None
    merged_profiles: list[tuple[Contact, ContactProfile]]  # kept from merged contacts
    conversations: list[ConversationRow]
    also_writing: list[AlsoWriting]
    labels: tuple[Label, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ContactChanges:
    """None leaves a field unchanged; "" clears language or country."""

    notes: str | None = None
    attributes: Mapping[str, str] | None = None
    language: str | None = None
    country: str | None = None


def validate_attributes(attributes: Mapping[str, Any]) -> dict[str, str]:
    """Custom attributes: up to 30 keys of lower-case letters, digits and underscores
    (starting with a letter, 40 at most), each a text of at most 500 characters."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidInput(f"at most {MAX_ATTRIBUTES} custom attributes", field="attributes")
    clean: dict[str, str] = {}
    for key, value in attributes.items():
        if not isinstance(key, str) or not ATTRIBUTE_KEY.match(key):
            raise InvalidInput(
                f"attribute name {str(key)[:40]!r} must start with a-z and use only a-z, "
                "0-9 and _ (40 characters at most)",
                field="attributes",
            )
        if not isinstance(value, str):
            raise InvalidInput(f"attribute {key!r} must be a text", field="attributes")
        value = value.strip()
        if len(value) > MAX_ATTRIBUTE_VALUE:
            raise InvalidInput(
                f"attribute {key!r} is longer than {MAX_ATTRIBUTE_VALUE} characters",
                field="attributes",
            )
        if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value):
            raise InvalidInput(
                f"attribute {key!r} may not contain control characters or line breaks",
                field="attributes",
            )
        if value:
            clean[key] = value
    return clean


def _visible_conversation(principal: Principal, contact_ids: Any) -> Any:
    return exists().where(Conversation.contact_id.in_(contact_ids), conversation_scope(principal))


async def person_contacts(session: AsyncSession, contact: Contact) -> list[Contact]:
    """The contact and every contact merged with it, oldest first."""
    if contact.person_id is None:
        return [contact]
    rows = await session.scalars(
        select(Contact)
        .where(Contact.workspace_id == contact.workspace_id, Contact.person_id == contact.person_id)
        .order_by(Contact.created_at, Contact.id)
    )
    return list(rows.all())


async def load_visible_contact(
    session: AsyncSession, principal: Principal, contact_id: str
) -> Contact:
    """A contact the caller may see: one of the person's conversations is in their scope.
    Otherwise NotFound (never say it exists)."""
    contact = await session.scalar(
        select(Contact).where(
            Contact.id == contact_id, Contact.workspace_id == principal.workspace_id
        )
    )
    if contact is None:
        raise NotFound("no such contact")
    ids = [c.id for c in await person_contacts(session, contact)]
    if not await session.scalar(select(_visible_conversation(principal, ids))):
        raise NotFound("no such contact")
    return contact


async def also_writing_to(session: AsyncSession, contact: Contact) -> list[AlsoWriting]:
    """Other accounts this person writes to: contacts merged with this one, or with the
    same platform identity (e.g. one WhatsApp number) on another account of the platform."""
    own_kind = (
        select(ChannelAccount.kind).where(ChannelAccount.id == contact.account_id).scalar_subquery()
    )
    same_identity = and_(
        Contact.platform_user_id == contact.platform_user_id, ChannelAccount.kind == own_kind
    )
    match = (
        or_(Contact.person_id == contact.person_id, same_identity)
        if contact.person_id
        else same_identity
    )
    rows = await session.execute(
        select(Contact, ChannelAccount)
        .join(ChannelAccount, ChannelAccount.id == Contact.account_id)
        .where(
            Contact.workspace_id == contact.workspace_id,
            Contact.id != contact.id,
            Contact.account_id != contact.account_id,
            match,
        )
        .order_by(ChannelAccount.name, Contact.id)
    )
    seen: dict[str, AlsoWriting] = {}
    for other, account in rows:
        same_person = contact.person_id is not None and other.person_id == contact.person_id
        if account.id not in seen or same_person:
            seen[account.id] = AlsoWriting(account, other.id, same_person)
    return list(seen.values())


async def history(
    session: AsyncSession, principal: Principal, contact_ids: Sequence[str]
) -> list[ConversationRow]:
    """The person's conversations on every account, newest first, within the caller's
    scope (archived and resolved ones included)."""
    rows = await session.execute(
        select(Conversation, Contact, ChannelAccount, User.display_name)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(ChannelAccount, ChannelAccount.id == Conversation.account_id)
        .outerjoin(User, User.id == Conversation.assignee_id)
        .where(Conversation.contact_id.in_(contact_ids), conversation_scope(principal))
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(HISTORY_LIMIT)
    )
    found = [ConversationRow(r[0], r[1], r[2], r[3]) for r in rows]
    labels = await labels_by_conversation(session, [r.conversation.id for r in found])
    return [
        ConversationRow(
            r.conversation,
            r.contact,
            r.account,
            r.assignee_name,
            labels=labels.get(r.conversation.id, ()),
        )
        for r in found
    ]


async def load_profile(
    session: AsyncSession, principal: Principal, contact: Contact
) -> PersonProfile:
    members = await person_contacts(session, contact)
    survivor = next((c for c in members if c.id == contact.person_id), contact)
    ids = [c.id for c in members]
    accounts = {
        a.id: a
        for a in (
            await session.scalars(
                select(ChannelAccount).where(ChannelAccount.id.in_({c.account_id for c in members}))
            )
        ).all()
    }
    labels = await labels_by_contact(session, ids)
    profiles = {
        p.contact_id: p
        for p in (
            await session.scalars(select(ContactProfile).where(ContactProfile.contact_id.in_(ids)))
        ).all()
    }
    merged_profiles = [
        (c, profiles[c.id])
        for c in members
        if c.id != survivor.id
        and c.id in profiles
        and (profiles[c.id].notes or profiles[c.id].attributes)
    ]
    return PersonProfile(
        contact=contact,
        survivor=survivor,
        identities=[Identity(c, accounts[c.account_id], labels.get(c.id, ())) for c in members],
        profile=profiles.get(survivor.id),
        merged_profiles=merged_profiles,
        conversations=await history(session, principal, ids),
        also_writing=await also_writing_to(session, survivor),
        labels=labels.get(survivor.id, ()),
    )


async def update_contact(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    contact: Contact,
    changes: ContactChanges,
    actor: audit.Actor,
) -> ContactProfile:
    """Edit the person's profile (kept on the survivor). Notes and attribute values are
    masked like message bodies: colleagues paste phone numbers and addresses into them."""
    if not principal.can(Permission.CONTACT_EDIT):
        raise PermissionDenied("your role may not edit contacts")
    members = await person_contacts(session, contact)
    survivor = next((c for c in members if c.id == contact.person_id), contact)
    profile = await session.get(ContactProfile, survivor.id)
    if profile is None:
        profile = ContactProfile(
            contact_id=survivor.id, workspace_id=survivor.workspace_id, notes="", attributes={}
        )
        session.add(profile)
    changed: list[str] = []
    if changes.notes is not None:
        notes = changes.notes.strip()
        if len(notes) > MAX_NOTES:
            raise InvalidInput(f"notes are longer than {MAX_NOTES} characters", field="notes")
        masked = services.masker.mask(notes, None).masked_text if notes else ""
        if masked != profile.notes:
            profile.notes = masked
            changed.append("notes")
    if changes.attributes is not None:
        attributes = {
            key: services.masker.mask(value, None).masked_text
            for key, value in validate_attributes(changes.attributes).items()
        }
        if attributes != profile.attributes:
            profile.attributes = attributes
            changed.append("attributes")
    if changes.language is not None:
        language = changes.language.strip() or None
        if language is not None and not LANGUAGE.match(language):
            raise InvalidInput(
                "language must be a language code such as es, pt-BR or zh-Hans", field="language"
            )
        # The customer's language drives translation in every conversation of the person.
        for member in members:
            if member.language != language:
                member.language = language
                if "language" not in changed:
                    changed.append("language")
    if changes.country is not None:
        country = changes.country.strip().upper() or None
        if country is not None and not COUNTRY.match(country):
            raise InvalidInput(
                "country must be a two-letter code such as ES or BR", field="country"
            )
        for member in members:
            if member.country != country:
                member.country = country
                if "country" not in changed:
                    changed.append("country")
    if changed:
        profile.updated_at = utcnow()
        profile.updated_by = principal.user_id
        # The field names only: the values are the customer's data.
        await audit.record(
            session,
            principal.workspace_id,
            "contact.update",
            actor,
            target_type="contact",
            target_id=survivor.id,
            data={"fields": changed},
        )
    await commit(session)
    return profile


async def merge_contacts(
    session: AsyncSession,
    principal: Principal,
    target_id: str,
    source_id: str,
    actor: audit.Actor,
) -> str:
    """Make ``source`` (and anyone already merged with it) the same person as ``target``,
    whose profile survives. Returns the person id."""
    if not principal.can(Permission.CONTACT_MERGE):
        raise PermissionDenied("your role may not merge contacts")
    if target_id == source_id:
        raise InvalidInput("a contact cannot be merged with itself", field="contact_id")
    target = await load_visible_contact(session, principal, target_id)
    source = await load_visible_contact(session, principal, source_id)
    target_members = await person_contacts(session, target)
    source_members = await person_contacts(session, source)
    if {c.id for c in target_members} & {c.id for c in source_members}:
        raise Conflict("these contacts are already the same person", field="contact_id")
    person_id = target.person_id or target.id
    previous = {c.id: c.person_id for c in target_members + source_members}
    for member in target_members + source_members:
        member.person_id = person_id
    await audit.record(
        session,
        principal.workspace_id,
        "contact.merge",
        actor,
        target_type="contact",
        target_id=target.id,
        data={
            "target": target.id,
            "source": source.id,
            "person_id": person_id,
            "contacts": sorted(previous),
            "previous_person_ids": previous,
        },
    )
    await commit(session)
    return person_id


async def unmerge_contact(
    session: AsyncSession, principal: Principal, contact_id: str, actor: audit.Actor
) -> list[str]:
    """Take one contact out of its person again. If it was the survivor, the oldest
    remaining contact becomes the survivor; a person of one is no person. Returns the
    ids of the contacts that remain together."""
    if not principal.can(Permission.CONTACT_MERGE):
        raise PermissionDenied("your role may not unmerge contacts")
    contact = await load_visible_contact(session, principal, contact_id)
    if contact.person_id is None:
        raise InvalidInput("this contact is not merged with another", field="contact_id")
    old_person = contact.person_id
    remaining = [c for c in await person_contacts(session, contact) if c.id != contact.id]
    contact.person_id = None
    new_person: str | None = old_person
    if len(remaining) <= 1:
        new_person = None
    elif old_person == contact.id:
        new_person = remaining[0].id
    for member in remaining:
        member.person_id = new_person
    await audit.record(
        session,
        principal.workspace_id,
        "contact.unmerge",
        actor,
        target_type="contact",
        target_id=contact.id,
        data={
            "contact": contact.id,
            "person_id": old_person,
            "remaining": [c.id for c in remaining],
            "new_person_id": new_person,
        },
    )
    await commit(session)
    return [c.id for c in remaining]


async def search_contacts(
    session: AsyncSession,
    principal: Principal,
    query: str,
    *,
    exclude_person_of: Contact | None = None,
    limit: int = 20,
) -> list[tuple[Contact, ChannelAccount]]:
    """Contacts the caller may see whose (masked) name contains ``query``."""
    query = query.strip()
    if len(query) > 100:
        raise InvalidInput("search for at most 100 characters", field="q")
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = (
        select(Contact, ChannelAccount)
        .join(ChannelAccount, ChannelAccount.id == Contact.account_id)
        .where(
            Contact.workspace_id == principal.workspace_id,
            exists().where(Conversation.contact_id == Contact.id, conversation_scope(principal)),
        )
        .order_by(Contact.display_name, Contact.id)
        .limit(limit)
    )
    if query:
        statement = statement.where(
            func.lower(Contact.display_name).like(f"%{escaped.lower()}%", escape="\\")
        )
    if exclude_person_of is not None:
        ids = [c.id for c in await person_contacts(session, exclude_person_of)]
        statement = statement.where(Contact.id.not_in(ids))
    return [(c, a) for c, a in (await session.execute(statement)).all()]
