"""Detect and mask customers' personal data."""

from typing import Any, Protocol

from crossdesk.domain import StageStatus
from crossdesk.pipeline.stage import Draft, Outcome


class Masker(Protocol):
    """What the stage needs from the masking engine: masked text and span dicts."""

    def mask(self, text: str, region: str | None) -> tuple[str, list[dict[str, Any]]]: ...


class MaskStage:
    name = "mask"

    def __init__(self, masker: Masker | None) -> None:
        self._masker = masker

    async def run(self, draft: Draft) -> Outcome:
        if self._masker is None:
            draft.masked_text = None
            draft.pii_status = StageStatus.NOT_MASKED
            draft.notes[self.name] = "not checked: no masking engine configured"
            return Outcome.CONTINUE
        masked, spans = self._masker.mask(draft.text, draft.region_hint)
        draft.masked_text = masked
        draft.pii_spans = spans
        draft.pii_status = StageStatus.MASKED if spans else StageStatus.CLEAN
        draft.notes[self.name] = f"{len(spans)} item(s) masked"
        return Outcome.CONTINUE
