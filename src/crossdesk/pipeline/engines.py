"""Adapters from the engines (guard, masking, translation) to the stage seams.

The stages depend on small protocols; this module is the one place that knows both
the engines' APIs and the stages' needs.
"""

from crossdesk.masking import MaskingEngine
from crossdesk.pipeline.stages.language import Detector
from crossdesk.pipeline.stages.mask import MaskResult
from crossdesk.pipeline.stages.translate import TranslationOutcome, same_language
from crossdesk.translation import LanguageDetector, Router, TranslationRequest


def language_detector(detector: LanguageDetector) -> Detector:
    """Language ID with the conversation's language as fallback; None when undecided."""

    def detect(text: str, current: str | None) -> tuple[str | None, float]:
        detection = detector.detect(text, current=current)
        if detection.method in ("fallback", "none") or detection.lang == "und":
            return None, detection.score
        return detection.lang, detection.score

    return detect


class MaskingAdapter:
    """Masks personal data with the engine's default operators (readable partial masks),
    and builds the tokenized form that translation engines receive."""

    def __init__(self, engine: MaskingEngine) -> None:
        self._engine = engine

    def mask(self, text: str, region: str | None) -> MaskResult:
        masked = self._engine.mask(text, region=region)
        token_masks: dict[str, str] = {}
        token_raw: dict[str, str] = {}
        pieces: list[str] = []
        cursor = 0
        counters: dict[str, int] = {}
        for s in masked.spans:
            kind = s.span.type.value
            counters[kind] = counters.get(kind, 0) + 1
            token = f"⟦{kind}_{counters[kind]}⟧"
            token_masks[token] = masked.text[s.start : s.end]
            token_raw[token] = text[s.span.start : s.span.end]
            pieces.append(text[cursor : s.span.start])
            pieces.append(token)
            cursor = s.span.end
        pieces.append(text[cursor:])
        spans = [
            {
                "type": s.span.type.value,
                "sub": s.span.sub,
                "start": s.span.start,
                "end": s.span.end,
                "masked_start": s.start,
                "masked_end": s.end,
                "operator": s.operator,
            }
            for s in masked.spans
        ]
        return MaskResult(masked.text, spans, "".join(pieces), token_masks, token_raw)


class RouterTranslator:
    """The translation router behind the translate stage. Text reaching it is masked."""

    def __init__(self, router: Router) -> None:
        self._router = router

    async def translate(self, text: str, source: str | None, target: str) -> TranslationOutcome:
        [result] = await self._router.translate(
            [TranslationRequest(text, target=target, source=source, current_language=source)]
        )
        if not result.ok:
            return TranslationOutcome(None, result.engine or "null", result.reason)
        if result.text.strip() == text.strip() and source and not same_language(source, target):
            # Rule-based engines pass words they do not know through unchanged.
            unchanged = f"not translated: {result.engine} returned the text unchanged"
            return TranslationOutcome(None, result.engine, unchanged)
        review = "machine translation for reading: review before relying on it"
        return TranslationOutcome(
            result.text, result.engine, review if result.needs_review else None
        )
