"""The contact profile page: identities, profile, labels, history, merge and unmerge."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.contacts import (
    ContactChanges,
    load_profile,
    load_visible_contact,
    merge_contacts,
    search_contacts,
    unmerge_contact,
    update_contact,
)
from crossdesk.actions.labels import label_contact, list_labels
from crossdesk.db.inbox_extras import labels_by_contact
from crossdesk.db.models import Contact
from crossdesk.db.repositories import views_for
from crossdesk.domain import Permission
from crossdesk.errors import CrossdeskError, InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import redacted_id
from crossdesk.web.deps import Reader, ServicesDep, SessionDep, actor_of, require
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/contacts", include_in_schema=False)
Editor = Annotated[Principal, Depends(require(Permission.CONTACT_EDIT))]
Merger = Annotated[Principal, Depends(require(Permission.CONTACT_MERGE))]
_ID = re.compile(r"^[0-9a-f]{32}$")
_LINE = re.compile(r"^\s*([^:=]+?)\s*[:=]\s*(.*?)\s*$")


def parse_attribute_lines(text: str) -> dict[str, str]:
    """``key: value`` (or ``key = value``) per line, as typed in the profile form."""
    attributes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise InvalidInput(
                f"line {number} of the attributes needs the form name: value", field="attributes"
            )
        attributes[match.group(1)] = match.group(2)
    return attributes


async def _context(
    session: AsyncSession, principal: Principal, contact: Contact, **extra: Any
) -> dict[str, Any]:
    profile = await load_profile(session, principal, contact)
    reveal = principal.can(Permission.PII_REVEAL)
    attributes = dict(profile.profile.attributes) if profile.profile else {}
    return {
        "p": profile,
        "shown_ids": {
            i.contact.id: i.contact.platform_user_id
            if reveal
            else redacted_id(i.contact.platform_user_id)
            for i in profile.identities
        },
        "attribute_text": "\n".join(f"{k}: {v}" for k, v in attributes.items()),
        "all_labels": await list_labels(session, principal.workspace_id),
        "can_edit": principal.can(Permission.CONTACT_EDIT),
        "can_merge": principal.can(Permission.CONTACT_MERGE),
        "inbox_tab": views_for(principal)[-1].value,  # the widest tab they may open
        "error": None,
        **extra,
    }


@router.get("/{contact_id}")
async def contact_page(
    contact_id: str, request: Request, principal: Reader, session: SessionDep
) -> HTMLResponse:
    contact = await load_visible_contact(session, principal, contact_id)
    return render(request, "contact.html", await _context(session, principal, contact))


@router.post("/{contact_id}")
async def contact_save(
    contact_id: str,
    request: Request,
    principal: Editor,
    services: ServicesDep,
    session: SessionDep,
    notes: Annotated[str, Form(max_length=8000)] = "",
    attributes: Annotated[str, Form(max_length=20000)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    contact = await load_visible_contact(session, principal, contact_id)
    try:
        changes = ContactChanges(
            notes=notes,
            attributes=parse_attribute_lines(attributes),
            language=language,
            country=country,
        )
        await update_contact(
            services, session, principal, contact, changes, actor_of(request, principal)
        )
    except CrossdeskError as exc:
        await session.rollback()
        contact = await load_visible_contact(session, principal, contact_id)
        context = await _context(session, principal, contact, error=exc.message)
        return render(request, "contact.html", context, status_code=exc.http_status)
    return RedirectResponse(f"/ui/contacts/{contact_id}", status_code=303)


@router.post("/{contact_id}/labels")
async def contact_labels(
    contact_id: str,
    request: Request,
    principal: Editor,
    session: SessionDep,
    label_id: Annotated[str, Form(max_length=32)],
    on: Annotated[bool, Form()] = True,
) -> HTMLResponse:
    contact = await load_visible_contact(session, principal, contact_id)
    error, status = None, 200
    if label_id:
        try:
            await label_contact(
                session, principal, contact, label_id, on, actor_of(request, principal)
            )
        except CrossdeskError as exc:
            error, status = exc.message, exc.http_status
    labels = await labels_by_contact(session, [contact.id])
    context = {
        "contact_id": contact.id,
        "labels": labels.get(contact.id, ()),
        "all_labels": await list_labels(session, principal.workspace_id),
        "can_edit": True,
        "label_error": error,
    }
    return render(request, "_labels_contact.html", context, status_code=status)


@router.get("/{contact_id}/merge-candidates")
async def merge_candidates(
    contact_id: str,
    request: Request,
    principal: Merger,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """Contacts the supervisor may see that could be the same person."""
    contact = await load_visible_contact(session, principal, contact_id)
    found = await search_contacts(session, principal, q, exclude_person_of=contact)
    context = {"contact": contact, "candidates": found, "q": q}
    return render(request, "contact_candidates.html", context)


@router.post("/{contact_id}/merge")
async def merge(
    contact_id: str,
    request: Request,
    principal: Merger,
    session: SessionDep,
    other_id: Annotated[str, Form(max_length=32)],
) -> Response:
    """Merge ``other_id`` into this contact, whose profile survives."""
    try:
        await merge_contacts(session, principal, contact_id, other_id, actor_of(request, principal))
    except CrossdeskError as exc:
        await session.rollback()
        contact = await load_visible_contact(session, principal, contact_id)
        context = await _context(session, principal, contact, error=exc.message)
        return render(request, "contact.html", context, status_code=exc.http_status)
    return RedirectResponse(f"/ui/contacts/{contact_id}", status_code=303)


@router.post("/{contact_id}/unmerge")
async def unmerge(
    contact_id: str,
    request: Request,
    principal: Merger,
    session: SessionDep,
    back: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Take this identity out of the person; back to the profile it was shown on."""
    await unmerge_contact(session, principal, contact_id, actor_of(request, principal))
    target = back if _ID.match(back) else contact_id
    return RedirectResponse(f"/ui/contacts/{target}", status_code=303)
