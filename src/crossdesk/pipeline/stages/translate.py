"""Translate a message between the customer's and the agent's languages."""

from dataclasses import dataclass
from typing import Protocol

from crossdesk.domain import StageStatus
from crossdesk.pipeline.stage import Draft, Outcome


@dataclass(frozen=True, slots=True)
class TranslationOutcome:
    text: str | None  # None when not translated
    engine: str
    note: str | None = None


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
        result = await self._translator.translate(engine_text, source, target)
        draft.translation_engine = result.engine
        draft.translation_note = result.note
        if result.text is None:
            draft.translation_status = StageStatus.NOT_TRANSLATED
        else:
            draft.translation = draft.restore_tokens(result.text, raw=False)
            draft.outgoing_translation = draft.restore_tokens(result.text, raw=True)
            draft.translation_language = target
            draft.translation_status = StageStatus.TRANSLATED
        draft.notes[self.name] = result.note or f"translated by {result.engine}"
        return Outcome.CONTINUE


def same_language(a: str, b: str) -> bool:
    return a.split("-")[0].lower() == b.split("-")[0].lower()
