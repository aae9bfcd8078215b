"""The composer's live preview: what the customer will receive, checked before sending.

Runs the outbound pipeline on the draft without storing anything, and on demand translates
the outgoing text back into the agent's language so they can check its meaning.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.send_reply import outbound_draft
from crossdesk.db.models import Contact, Conversation
from crossdesk.pipeline import Draft, Outcome
from crossdesk.pipeline.stages.translate import translating_for_agent
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services


@dataclass(frozen=True, slots=True)
class Preview:
    draft: Draft
    outcome: Outcome
    back_translation: str | None
    back_note: str | None


async def preview_reply(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    text: str,
    *,
    translation_override: str | None = None,
    back_translate: bool = False,
) -> Preview:
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    await session.commit()  # no connection held while engines work (ADR 0003)
    draft = outbound_draft(principal, contact, text.strip())
    draft.translation_override = (translation_override or "").strip() or None
    with translating_for_agent(principal.workspace_id, principal.user_id):
        result = await services.pipelines.outbound.run(draft)
        back: str | None = None
        note: str | None = None
        if back_translate and draft.translation is not None and draft.translation_language:
            outcome = await services.translator.translate(
                draft.translation, draft.translation_language, principal.language
            )
            back, note = outcome.text, outcome.note
    return Preview(draft, result.outcome, back, note)
