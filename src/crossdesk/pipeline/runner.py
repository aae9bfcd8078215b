"""Runs stages in order and records which ran."""

import logging
from dataclasses import dataclass

from crossdesk.pipeline.stage import Draft, Outcome, Stage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PipelineResult:
    draft: Draft
    outcome: Outcome
    ran: tuple[str, ...]


class Pipeline:
    """An ordered list of stages for one direction."""

    def __init__(self, stages: list[Stage]) -> None:
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate stage names in {names}")
        self.stages = stages

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    async def run(self, draft: Draft) -> PipelineResult:
        ran: list[str] = []
        for stage in self.stages:
            outcome = await stage.run(draft)
            ran.append(stage.name)
            if outcome is not Outcome.CONTINUE:
                logger.info("pipeline stopped at stage %s: %s", stage.name, outcome.value)
                for later in self.stages[len(ran) :]:
                    draft.notes.setdefault(later.name, f"not run: stopped at {stage.name}")
                return PipelineResult(draft, outcome, tuple(ran))
        return PipelineResult(draft, Outcome.CONTINUE, tuple(ran))
