"""Refuse an outbound reply that would reach the customer in the wrong language."""

from crossdesk.domain import Direction
from crossdesk.pipeline.stage import Draft, Outcome
from crossdesk.pipeline.stages.language import Detector
from crossdesk.pipeline.stages.translate import same_language


class UntranslatedLeakStage:
    """The untranslated-leak check: a reply that was not translated, written in a language
    other than the customer's, is halted unless the agent chose to send it as written.

    A reply too short to tell ("ok", "👍") is let through; without a detector the agent's
    language is assumed.
    """

    name = "untranslated_leak"

    def __init__(self, detector: Detector | None) -> None:
        self._detector = detector

    async def run(self, draft: Draft) -> Outcome:
        if draft.direction is not Direction.OUTBOUND:
            return Outcome.CONTINUE
        customer = draft.target_language
        if draft.translation is not None or not customer:
            draft.notes[self.name] = "not needed"
            return Outcome.CONTINUE
        written_in = draft.source_language
        if self._detector is not None:
            written_in, _score = self._detector(draft.text, None)
        if written_in is None:
            draft.notes[self.name] = "too short to tell its language"
            return Outcome.CONTINUE
        if same_language(written_in, customer):
            draft.notes[self.name] = "the reply is already in the customer's language"
            return Outcome.CONTINUE
        if draft.allow_untranslated:
            draft.notes[self.name] = f"sent untranslated ({written_in}) at the agent's request"
            return Outcome.CONTINUE
        draft.halted_by = self.name
        draft.halt_reason = (
            f"this reply is in {written_in} and could not be translated to {customer} "
            f"({draft.translation_note or 'no engine'}); the customer would not understand it. "
            "Write it in the customer's language, or tick 'send as written'."
        )
        return Outcome.HALT
