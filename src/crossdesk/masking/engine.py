"""The masking engine: detect -> resolve overlaps -> apply operators."""

from __future__ import annotations

from collections.abc import Sequence

from crossdesk.masking.config import MaskingConfig
from crossdesk.masking.document import Document
from crossdesk.masking.operators.set import Operators
from crossdesk.masking.operators.tokens import TokenMap
from crossdesk.masking.recognizers import Recognizer, default_recognizers
from crossdesk.masking.resolve import resolve_overlaps
from crossdesk.masking.types import MaskedSpan, MaskedText, PiiSpan


class MaskingEngine:
    """Detects personal data and replaces it. Thread-safe; build one and share it.

    Example:
        >>> engine = MaskingEngine()
        >>> masked = engine.mask("call me on 13812345678", lang="zh")
        >>> masked.text
        'call me on 138****5678'
    """

    def __init__(
        self,
        config: MaskingConfig | None = None,
        recognizers: Sequence[Recognizer] | None = None,
    ) -> None:
        """Build an engine.

        Args:
            config: Entity selection, thresholds, default operators, default region.
            recognizers: Replace the built-in recognizers (tests, custom deployments).
        """
        self.config = config or MaskingConfig()
        chosen = default_recognizers() if recognizers is None else list(recognizers)
        self._recognizers = [r for r in chosen if r.entities & self.config.entities]

    def analyze(
        self, text: str, region: str | None = None, lang: str | None = None
    ) -> list[PiiSpan]:
        """Find personal data in ``text``.

        Args:
            text: Any language, any script.
            region: ISO 3166-1 alpha-2 hint (the contact's country) for national phone formats.
            lang: ISO 639-1 language of the text, if known (guessed from the script if not).

        Returns:
            Non-overlapping spans sorted by start; offsets are Python str indices into ``text``.
        """
        if not text:
            return []
        doc = Document(text, region or self.config.default_region, lang)
        config = self.config
        found = [
            span
            for recognizer in self._recognizers
            for span in recognizer.analyze(doc)
            if span.type in config.entities and span.score >= config.threshold(span.type)
        ]
        return resolve_overlaps(found)

    def apply(
        self,
        text: str,
        spans: Sequence[PiiSpan],
        operators: Operators | None = None,
        tokens: TokenMap | None = None,
    ) -> MaskedText:
        """Replace each span of ``text`` using the operator configured for its type.

        Args:
            text: The original text the spans refer to.
            spans: Non-overlapping spans (as returned by ``analyze``).
            operators: Operators to use; defaults to ``config.operators``.
            tokens: The conversation's token map, required for stable tokens across
                messages; a fresh map is used when omitted.

        Returns:
            The masked text, where each span landed in it, and the newly minted tokens.

        Raises:
            ValueError: A span is out of bounds or overlaps another.
        """
        operators = operators or self.config.operators
        tokens = TokenMap() if tokens is None else tokens
        ordered = sorted(spans, key=lambda s: s.start)
        pieces: list[str] = []
        placed: list[MaskedSpan] = []
        cursor = 0
        length = 0
        for span in ordered:
            if span.start < cursor or span.end > len(text):
                raise ValueError(f"span {span.start}..{span.end} overlaps or is out of bounds")
            gap = text[cursor : span.start]
            pieces.append(gap)
            length += len(gap)
            operator = operators.for_type(span.type)
            replacement = operator.replace(span, text[span.start : span.end], tokens)
            pieces.append(replacement.text)
            placed.append(
                MaskedSpan(
                    span, length, length + len(replacement.text), operator.name, replacement.token
                )
            )
            length += len(replacement.text)
            cursor = span.end
        pieces.append(text[cursor:])
        return MaskedText("".join(pieces), tuple(placed), tokens.drain_new())

    def mask(
        self,
        text: str,
        region: str | None = None,
        lang: str | None = None,
        operators: Operators | None = None,
        tokens: TokenMap | None = None,
    ) -> MaskedText:
        """``analyze`` then ``apply`` in one call."""
        return self.apply(text, self.analyze(text, region, lang), operators, tokens)
