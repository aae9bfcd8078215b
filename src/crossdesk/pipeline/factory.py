"""Assemble the inbound and outbound pipelines from the configured engines."""

from dataclasses import dataclass

from crossdesk.pipeline.runner import Pipeline
from crossdesk.pipeline.stages.guard import GuardCheck, GuardStage
from crossdesk.pipeline.stages.language import DetectLanguageStage, Detector
from crossdesk.pipeline.stages.leak import UntranslatedLeakStage
from crossdesk.pipeline.stages.mask import Masker, MaskStage
from crossdesk.pipeline.stages.translate import NoTranslator, TextTranslator, TranslateStage


@dataclass(frozen=True, slots=True)
class Pipelines:
    inbound: Pipeline
    outbound: Pipeline


def build_pipelines(
    *,
    detector: Detector | None = None,
    guard: GuardCheck | None = None,
    masker: Masker | None = None,
    translator: TextTranslator | None = None,
) -> Pipelines:
    """inbound: detect language → guard → mask → translate (then the action stores it);
    outbound: detect language → guard → mask → translate → guard the translation →
    untranslated-leak check (then store + outbox)."""
    translate = TranslateStage(translator or NoTranslator())
    inbound = Pipeline(
        [DetectLanguageStage(detector), GuardStage(guard), MaskStage(masker), translate]
    )
    outbound = Pipeline(
        [
            # The agent may write in another language than their profile's: detect it, so
            # the engine is asked for the right pair (and a Chinese reply is not passed
            # through an English→Spanish engine unchanged).
            DetectLanguageStage(detector),
            GuardStage(guard),
            MaskStage(masker),
            translate,
            GuardStage(guard, on="translation"),
            UntranslatedLeakStage(detector),
        ]
    )
    return Pipelines(inbound=inbound, outbound=outbound)
