"""Detect and mask customers' personal data."""

from dataclasses import dataclass, field
from typing import Any, Protocol

from crossdesk.domain import StageStatus
from crossdesk.pipeline.stage import Draft, Outcome


@dataclass(frozen=True, slots=True)
class MaskResult:
    masked_text: str  # for viewers: readable partial masks
    spans: list[dict[str, Any]]  # offsets into the original and the masked text
    engine_text: str  # for engines: ⟦TYPE_n⟧ tokens in place of the data
    token_masks: dict[str, str] = field(default_factory=dict)
    token_raw: dict[str, str] = field(default_factory=dict)


class Masker(Protocol):
    def mask(self, text: str, region: str | None) -> MaskResult: ...


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
        result = self._masker.mask(draft.text, draft.region_hint)
        draft.masked_text = result.masked_text
        draft.pii_spans = result.spans
        draft.engine_text = result.engine_text
        draft.token_masks = result.token_masks
        draft.token_raw = result.token_raw
        draft.pii_status = StageStatus.MASKED if result.spans else StageStatus.CLEAN
        draft.notes[self.name] = f"{len(result.spans)} item(s) masked"
        return Outcome.CONTINUE
