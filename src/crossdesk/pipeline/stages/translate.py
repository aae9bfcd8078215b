"""Translate a message between the customer's and the agent's languages."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from crossdesk.domain import Direction, StageStatus
from crossdesk.pipeline.stage import Draft, Outcome


@dataclass(frozen=True, slots=True)
class TranslationOutcome:
    text: str | None  # None when not translated
    engine: str
    note: str | None = None
    # True when engines were tried and were down or failed (not "no engine for the pair"):
    # an inbound message is then stored as pending and translated later.
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class TranslationContext:
    """Whom the current translation is for: translation memory and usage are per workspace,
    usage also per agent (``user_id``; ``None`` when no agent is involved). The stage sets
    the workspace; an action may set both before running a pipeline."""

    workspace_id: str
    user_id: str | None = None


translating_for: ContextVar[TranslationContext | None] = ContextVar(
    "crossdesk_translating_for", default=None
)


@contextmanager
def translating_for_agent(workspace_id: str, user_id: str) -> Iterator[None]:
    """Attribute the translations made inside the block to an agent (usage per agent)."""
    token = translating_for.set(TranslationContext(workspace_id, user_id))
    try:
        yield
    finally:
        translating_for.reset(token)


class TextTranslator(Protocol):
    async def translate(self, text: str, source: str | None, target: str) -> TranslationOutcome: ...


class NoTranslator:
    """The truthful default: no engine serves any pair, so nothing is translated."""

    async def translate(self, text: str, source: str | None, target: str) -> TranslationOutcome:
        pair = f"{source or '?'}→{target}"
        return TranslationOutcome(None, "null", f"not translated: no engine for {pair}")


class TranslateStage:
    """Translates the tokenized text (personal data never reaches an engine), then puts
    masks back for viewers and, for the customer's copy, the real values."""

    name = "translate"

    def __init__(self, translator: TextTranslator) -> None:
        self._translator = translator

    async def run(self, draft: Draft) -> Outcome:
        target = draft.target_language
        source = draft.language or draft.source_language
        if not target:
            draft.notes[self.name] = "not translated: target language unknown"
            draft.translation_note = draft.notes[self.name]
            return Outcome.CONTINUE
        if draft.translation_override is not None:
            # The agent edited the translation by hand: theirs is what the customer receives.
            draft.translation = draft.translation_override
            draft.outgoing_translation = draft.translation_override
            draft.translation_language = target
            draft.translation_engine = "agent"
            draft.translation_status = StageStatus.TRANSLATED
            draft.translation_note = "edited by the agent"
            draft.notes[self.name] = "translation written by the agent"
            return Outcome.CONTINUE
        if source and same_language(source, target):
            draft.notes[self.name] = "not needed: same language"
            draft.translation_note = "same language"
            return Outcome.CONTINUE
        engine_text = draft.engine_text if draft.engine_text is not None else draft.text
        current = translating_for.get()
        token = None
        if current is None or current.workspace_id != draft.workspace_id:
            token = translating_for.set(TranslationContext(draft.workspace_id))
        try:
            result = await self._translator.translate(engine_text, source, target)
        finally:
            if token is not None:
                translating_for.reset(token)
        draft.translation_engine = result.engine
        draft.translation_note = result.note
        if result.text is None and result.retryable and draft.direction is Direction.INBOUND:
            draft.translation_status = StageStatus.PENDING
            draft.translation_language = target  # the language the worker will translate to
            draft.translation_note = pending_note(result.note)
        elif result.text is None:
            draft.translation_status = StageStatus.NOT_TRANSLATED
        else:
            draft.translation = draft.restore_tokens(result.text, raw=False)
            draft.outgoing_translation = draft.restore_tokens(result.text, raw=True)
            draft.translation_language = target
            draft.translation_status = StageStatus.TRANSLATED
        draft.notes[self.name] = draft.translation_note or f"translated by {result.engine}"
        return Outcome.CONTINUE


def pending_note(reason: str | None) -> str:
    """The note on a message whose translation will be retried (fits the 300-char column)."""
    detail = (reason or "engine unavailable").removeprefix("not translated: ")
    return f"translation pending, retried automatically: {detail}"[:300]


def same_language(a: str, b: str) -> bool:
    return a.split("-")[0].lower() == b.split("-")[0].lower()
