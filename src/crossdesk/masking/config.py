"""Typed configuration of the masking engine (built by the caller, not read from settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from crossdesk.masking.operators.set import Operators
from crossdesk.masking.types import EntityType


@dataclass(frozen=True, slots=True)
class MaskingConfig:
    """What to detect and how to replace it.

    Attributes:
        entities: Entity types to report; others are dropped after detection.
        min_score: Spans scoring below this are dropped.
        min_score_by_type: Per-type thresholds overriding ``min_score``.
        operators: Default operators used by ``MaskingEngine.apply``.
        default_region: Region hint used when ``analyze`` gets none.
    """

    entities: frozenset[EntityType] = frozenset(EntityType)
    min_score: float = 0.5
    min_score_by_type: Mapping[EntityType, float] = field(
        default_factory=lambda: MappingProxyType({})
    )
    operators: Operators = field(default_factory=Operators)
    default_region: str | None = None

    def threshold(self, type_: EntityType) -> float:
        """The score a span of ``type_`` needs to be kept."""
        return self.min_score_by_type.get(type_, self.min_score)
