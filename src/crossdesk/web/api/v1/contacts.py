"""Contact profiles: read, edit, label, merge and unmerge."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from crossdesk.actions.contact_export import export_contacts
from crossdesk.actions.contacts import (
    ContactChanges,
    PersonProfile,
    load_profile,
    load_visible_contact,
    merge_contacts,
    search_contacts,
    unmerge_contact,
    update_contact,
)
from crossdesk.actions.labels import label_contact
from crossdesk.actions.reports import csv_lines
from crossdesk.db.inbox_extras import labels_by_contact
from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import (
    AccountOut,
    ConversationOut,
    LabelOut,
    StrictInput,
    redacted_id,
)
from crossdesk.web.deps import Reader, ServicesDep, SessionDep, actor_of, require

router = APIRouter(prefix="/contacts", tags=["contacts"])
Editor = Annotated[Principal, Depends(require(Permission.CONTACT_EDIT))]
Merger = Annotated[Principal, Depends(require(Permission.CONTACT_MERGE))]
Exporter = Annotated[Principal, Depends(require(Permission.EXPORT))]


class IdentityOut(BaseModel):
    contact_id: str
    display_name: str
    platform_user_id: str  # redacted unless the caller holds pii.reveal
    account: AccountOut
    language: str | None
    country: str | None
    labels: list[LabelOut]
    first_seen: datetime


class AlsoWritingOut(BaseModel):
    account: AccountOut
    contact_id: str
    same_person: bool


class ProfileOut(BaseModel):
    id: str
    person_id: str | None
    survivor_id: str
    display_name: str
    language: str | None
    country: str | None
    notes: str
    attributes: dict[str, str]
    labels: list[LabelOut]
    identities: list[IdentityOut]
    also_writing_to: list[AlsoWritingOut]
    conversations: list[ConversationOut]

    @classmethod
    def of(cls, p: PersonProfile, *, reveal_ids: bool) -> "ProfileOut":
        def label_list(labels: tuple[object, ...]) -> list[LabelOut]:
            return [LabelOut.model_validate(x, from_attributes=True) for x in labels]

        return cls(
            id=p.contact.id,
            person_id=p.contact.person_id,
            survivor_id=p.survivor.id,
            display_name=p.survivor.display_name,
            language=p.survivor.language,
            country=p.survivor.country,
            notes=p.profile.notes if p.profile else "",
            attributes=dict(p.profile.attributes) if p.profile else {},
            labels=label_list(p.labels),
            identities=[
                IdentityOut(
                    contact_id=i.contact.id,
                    display_name=i.contact.display_name,
                    platform_user_id=(
                        i.contact.platform_user_id
                        if reveal_ids
                        else redacted_id(i.contact.platform_user_id)
                    ),
                    account=AccountOut(id=i.account.id, name=i.account.name, kind=i.account.kind),
                    language=i.contact.language,
                    country=i.contact.country,
                    labels=label_list(i.labels),
                    first_seen=i.contact.created_at,
                )
                for i in p.identities
            ],
            also_writing_to=[
                AlsoWritingOut(
                    account=AccountOut(id=a.account.id, name=a.account.name, kind=a.account.kind),
                    contact_id=a.contact_id,
                    same_person=a.same_person,
                )
                for a in p.also_writing
            ],
            conversations=[ConversationOut.of(r, reveal_ids=reveal_ids) for r in p.conversations],
        )


class ContactListItem(BaseModel):
    id: str
    display_name: str
    person_id: str | None
    account: AccountOut


class ContactPatch(StrictInput):
    notes: Annotated[str | None, Field(max_length=4000)] = None
    attributes: dict[str, str] | None = None
    language: Annotated[str | None, Field(max_length=16)] = None
    country: Annotated[str | None, Field(max_length=2)] = None


class MergeIn(StrictInput):
    contact_id: Annotated[str, Field(min_length=1, max_length=32)]


async def _profile(session: SessionDep, principal: Principal, contact_id: str) -> ProfileOut:
    contact = await load_visible_contact(session, principal, contact_id)
    profile = await load_profile(session, principal, contact)
    return ProfileOut.of(profile, reveal_ids=principal.can(Permission.PII_REVEAL))


@router.get("", response_model=list[ContactListItem])
async def list_contacts(
    principal: Reader,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ContactListItem]:
    """Contacts the caller may see (one of their conversations is in scope) whose name
    contains ``q``: how to find the id to merge."""
    found = await search_contacts(session, principal, q, limit=limit)
    return [
        ContactListItem(
            id=c.id,
            display_name=c.display_name,
            person_id=c.person_id,
            account=AccountOut(id=a.id, name=a.name, kind=a.kind),
        )
        for c, a in found
    ]


@router.get("/export.csv")
async def export_contacts_csv(
    request: Request, principal: Exporter, services: ServicesDep
) -> StreamingResponse:
    """Every contact with a conversation in the caller's scope, as agents see them (masked);
    audited with the number of contacts (risk rule ``export-many-contacts``)."""
    rows = await export_contacts(services, principal, actor_of(request, principal))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="crossdesk-contacts-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/{contact_id}", response_model=ProfileOut)
async def get_contact(contact_id: str, principal: Reader, session: SessionDep) -> ProfileOut:
    """The person behind the contact: every identity, the profile, the duplicate-lead
    signal and the conversations the caller may see."""
    return await _profile(session, principal, contact_id)


@router.patch("/{contact_id}", response_model=ProfileOut)
async def patch_contact(
    contact_id: str,
    body: ContactPatch,
    request: Request,
    principal: Editor,
    services: ServicesDep,
    session: SessionDep,
) -> ProfileOut:
    contact = await load_visible_contact(session, principal, contact_id)
    changes = ContactChanges(
        notes=body.notes,
        attributes=body.attributes,
        language=body.language,
        country=body.country,
    )
    await update_contact(
        services, session, principal, contact, changes, actor_of(request, principal)
    )
    return await _profile(session, principal, contact_id)


async def _label(
    contact_id: str,
    label_id: str,
    on: bool,
    request: Request,
    principal: Principal,
    session: SessionDep,
) -> list[LabelOut]:
    contact = await load_visible_contact(session, principal, contact_id)
    await label_contact(session, principal, contact, label_id, on, actor_of(request, principal))
    labels = await labels_by_contact(session, [contact_id])
    return [LabelOut.model_validate(x, from_attributes=True) for x in labels.get(contact_id, ())]


@router.put("/{contact_id}/labels/{label_id}", response_model=list[LabelOut])
async def put_contact_label(
    contact_id: str, label_id: str, request: Request, principal: Editor, session: SessionDep
) -> list[LabelOut]:
    return await _label(contact_id, label_id, True, request, principal, session)


@router.delete("/{contact_id}/labels/{label_id}", response_model=list[LabelOut])
async def delete_contact_label(
    contact_id: str, label_id: str, request: Request, principal: Editor, session: SessionDep
) -> list[LabelOut]:
    return await _label(contact_id, label_id, False, request, principal, session)


@router.post("/{contact_id}/merge", response_model=ProfileOut)
async def post_merge(
    contact_id: str, body: MergeIn, request: Request, principal: Merger, session: SessionDep
) -> ProfileOut:
    """Merge ``body.contact_id`` into this contact (whose profile survives); both rows
    stay and the merge is audited with both ids."""
    await merge_contacts(
        session, principal, contact_id, body.contact_id, actor_of(request, principal)
    )
    return await _profile(session, principal, contact_id)


@router.post("/{contact_id}/unmerge", response_model=ProfileOut)
async def post_unmerge(
    contact_id: str, request: Request, principal: Merger, session: SessionDep
) -> ProfileOut:
    """Take this contact out of its person again (audited)."""
    await unmerge_contact(session, principal, contact_id, actor_of(request, principal))
    return await _profile(session, principal, contact_id)
