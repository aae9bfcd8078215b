"""Engine behaviour: overlap resolution, thresholds, entity selection, offsets."""

from __future__ import annotations

from collections.abc import Iterator

from crossdesk.masking import EntityType, MaskingConfig, MaskingEngine, PiiSpan
from crossdesk.masking.document import Document
from crossdesk.masking.resolve import resolve_overlaps

E = EntityType


class _Fixed:
    """A recognizer double that reports fixed spans."""

    name = "fixed"
    entities = frozenset(EntityType)

    def __init__(self, spans: list[PiiSpan]) -> None:
        self.spans = spans

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        yield from self.spans


def test_longest_span_wins() -> None:
    spans = [PiiSpan(E.PHONE, 0, 10, 0.9), PiiSpan(E.URL, 0, 16, 0.5)]
    assert resolve_overlaps(spans) == [spans[1]]


def test_more_specific_type_wins_on_equal_length() -> None:
    a, b = PiiSpan(E.PHONE, 2, 11, 1.0), PiiSpan(E.NATIONAL_ID, 2, 11, 0.8)
    assert resolve_overlaps([a, b]) == [b]
    assert resolve_overlaps([b, a]) == [b]


def test_resolution_is_order_independent() -> None:
    spans = [
        PiiSpan(E.PHONE, 0, 5, 0.9),
        PiiSpan(E.HANDLE, 4, 9, 0.9),
        PiiSpan(E.EMAIL, 8, 12, 0.9),
        PiiSpan(E.IP, 20, 30, 0.9),
    ]
    assert resolve_overlaps(spans) == resolve_overlaps(list(reversed(spans)))
    assert [s.type for s in resolve_overlaps(spans)] == [E.PHONE, E.EMAIL, E.IP]


def test_threshold_and_entity_selection() -> None:
    spans = [PiiSpan(E.PHONE, 0, 3, 0.4), PiiSpan(E.EMAIL, 4, 7, 0.9), PiiSpan(E.IP, 8, 9, 0.9)]
    config = MaskingConfig(entities=frozenset({E.PHONE, E.EMAIL}), min_score=0.5)
    engine = MaskingEngine(config, recognizers=[_Fixed(spans)])
    assert engine.analyze("0123456789") == [spans[1]]
    lenient = MaskingConfig(min_score_by_type={E.PHONE: 0.3})
    assert MaskingEngine(lenient, [_Fixed(spans)]).analyze("0123456789") == spans


def test_masked_positions_point_at_replacements() -> None:
    engine = MaskingEngine()
    text = "📦 tel 13812345678, mail ana@ex.com, 谢谢"
    out = engine.mask(text, lang="zh")
    assert [out.text[m.start : m.end] for m in out.spans] == ["138****5678", "a***@ex.com"]
    assert [text[m.span.start : m.span.end] for m in out.spans] == ["13812345678", "ana@ex.com"]


def test_empty_text() -> None:
    assert MaskingEngine().analyze("") == []
    assert MaskingEngine().mask("").text == ""


def test_default_region_from_config() -> None:
    engine = MaskingEngine(MaskingConfig(default_region="NL"))
    assert [s.sub for s in engine.analyze("bel 0201234567")] == ["NL"]
