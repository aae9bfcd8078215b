"""The message pipeline: named stages run in order on every message, both ways."""

from crossdesk.pipeline.runner import Pipeline, PipelineResult
from crossdesk.pipeline.stage import Draft, Outcome, Stage

__all__ = ["Draft", "Outcome", "Pipeline", "PipelineResult", "Stage"]
