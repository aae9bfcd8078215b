"""Detect the language of a message."""

from collections.abc import Callable

from crossdesk.domain import StageStatus
from crossdesk.pipeline.stage import Draft, Outcome

# text, current language → (language or None when undecided, confidence)
Detector = Callable[[str, str | None], tuple[str | None, float]]


class DetectLanguageStage:
    """Uses a detector when one is configured; otherwise keeps the known language and
    says it was not detected."""

    name = "detect_language"

    def __init__(self, detector: Detector | None = None) -> None:
        self._detector = detector

    async def run(self, draft: Draft) -> Outcome:
        if self._detector is None:
            draft.language = draft.source_language
            draft.language_status = StageStatus.NOT_DETECTED
            draft.notes[self.name] = "no language detector configured; kept the known language"
            return Outcome.CONTINUE
        language, confidence = self._detector(draft.text, draft.source_language)
        if language is None:
            draft.language = draft.source_language
            draft.language_status = StageStatus.NOT_DETECTED
            draft.notes[self.name] = "undecided; kept the conversation's language"
        else:
            draft.language = language
            draft.language_status = StageStatus.DETECTED
            draft.notes[self.name] = f"{language} ({confidence:.2f})"
        return Outcome.CONTINUE
