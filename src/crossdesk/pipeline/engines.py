"""Adapters from the engines (guard, masking, translation) to the stage seams.

The stages depend on small protocols; this module is the one place that knows both
the engines' APIs and the stages' needs.
"""

import dataclasses

from crossdesk.masking import MaskingEngine
from crossdesk.pipeline.stages.language import Detector
from crossdesk.pipeline.stages.mask import MaskResult
from crossdesk.pipeline.stages.translate import TranslationOutcome, same_language, translating_for
from crossdesk.pipeline.translation_store import TranslationStore
from crossdesk.translation import (
    CacheKey,
    LanguageDetector,
    LanguagePair,
    Router,
    TranslationRequest,
    languages,
    protect,
)
from crossdesk.translation.types import EMPTY_GLOSSARY

MEMORY_ENGINE = "memory"
MEMORY_NOTE = "from the translation memory: an agent's earlier correction of this text"
QUOTA_NOTE = "monthly translation quota reached: third-party engines skipped"


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
    """The translation router behind the translate stage. Text reaching it is masked.

    With a ``store`` (the database side: cache rows, translation memory, usage, quota), an
    agent's earlier correction of the same text and pair wins over the engines, the cache
    survives restarts, characters are counted, and a workspace over its monthly quota is
    limited to self-hosted engines.
    """

    def __init__(self, router: Router, store: TranslationStore | None = None) -> None:
        self._router = router
        self._store = store

    @property
    def store(self) -> TranslationStore | None:
        return self._store

    @property
    def router(self) -> Router:
        """The engines themselves (the side-by-side comparison calls them one by one)."""
        return self._router

    async def translate(self, text: str, source: str | None, target: str) -> TranslationOutcome:
        request = TranslationRequest(text, target=target, source=source, current_language=source)
        context = translating_for.get()
        over_quota = False
        if self._store is not None:
            keys: list[CacheKey] = []
            memory_key: tuple[str, str, str] | None = None
            if source:
                src, tgt = languages.normalize(source), languages.normalize(target)
                placeholder_form = protect(text).text
                keys = [
                    CacheKey(e.name, e.model, src, tgt, EMPTY_GLOSSARY.version, placeholder_form)
                    for e in self._router.chain(LanguagePair(src, tgt))
                ]
                memory_key = (src, tgt, text)
            prepared = await self._store.prepare(keys, context, memory_key)
            if prepared.memory is not None:
                self._store.used_memory(prepared.memory)
                await self._store.save()
                return TranslationOutcome(prepared.memory.translation, MEMORY_ENGINE, MEMORY_NOTE)
            if prepared.over_quota:
                over_quota = True
                request = dataclasses.replace(request, self_hosted_only=True)
        [result] = await self._router.translate([request])
        if self._store is not None:
            self._store.count(result, context)
            await self._store.save()
        if not result.ok:
            # Engines tried and down/failed (attempts made) can be retried later; "no engine
            # for the pair" (no attempts) cannot. Engines skipped for the quota can: the
            # translation worker retries once the month turns or the quota is raised.
            reason = f"{result.reason}; {QUOTA_NOTE}" if over_quota else result.reason
            return TranslationOutcome(
                None,
                result.engine or "null",
                reason,
                retryable=bool(result.attempts) or over_quota,
            )
        if result.text.strip() == text.strip() and source and not same_language(source, target):
            # Rule-based engines pass words they do not know through unchanged.
            unchanged = f"not translated: {result.engine} returned the text unchanged"
            return TranslationOutcome(None, result.engine, unchanged)
        review = "machine translation for reading: review before relying on it"
        note = review if result.needs_review else None
        if over_quota:
            note = f"{note}; {QUOTA_NOTE}" if note else QUOTA_NOTE
        return TranslationOutcome(result.text, result.engine, note)
