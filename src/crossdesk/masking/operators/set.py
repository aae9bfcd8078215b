"""Which operator applies to which entity type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from crossdesk.masking.operators.base import Operator
from crossdesk.masking.operators.mask import PartialMask
from crossdesk.masking.operators.redact import Redact
from crossdesk.masking.types import EntityType


def _default_by_type() -> Mapping[EntityType, Operator]:
    # An address has no part that is both readable and safe, so it is redacted whole.
    return MappingProxyType({EntityType.ADDRESS: Redact()})


@dataclass(frozen=True, slots=True)
class Operators:
    """Operator per entity type, with a fallback.

    Attributes:
        default: Used for types not listed in ``by_type``.
        by_type: Per-type overrides.

    Example:
        ``Operators(by_type={EntityType.PHONE: Tokenize(), EntityType.EMAIL: Redact()})``
    """

    default: Operator = field(default_factory=PartialMask)
    by_type: Mapping[EntityType, Operator] = field(default_factory=_default_by_type)

    def for_type(self, type_: EntityType) -> Operator:
        """The operator applied to spans of ``type_``."""
        return self.by_type.get(type_, self.default)
