"""Values and protocols shared by the translation engine.

Two seams:

* :class:`Engine` is what a provider implements: placeholder-form texts in, translated texts
  out, one list per call, raising :class:`~crossdesk.translation.errors.EngineError` when the
  whole batch failed.
* :class:`Translator` is what callers (pipeline, CLI) use: requests in, one
  :class:`TranslationResult` per request out, never raising for engine trouble. The
  :class:`~crossdesk.translation.router.Router` and the
  :class:`~crossdesk.translation.providers.null.NullTranslator` implement it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class Status(enum.StrEnum):
    """How a translation ended."""

    OK = "ok"
    """Translated, and every protected span came back exactly once."""
    UNAVAILABLE = "unavailable"
    """No engine could be reached or none serves the pair: text unchanged, try again later."""
    FAILED = "failed"
    """Engines answered but the result could not be trusted (lost placeholders, refused)."""


@dataclass(frozen=True, slots=True)
class LanguagePair:
    """A source and target language code (ISO 639-1, ``zh-Hans``/``zh-Hant`` for Chinese).

    ``source`` may be ``"auto"`` when the caller does not know it.
    """

    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.source}→{self.target}"


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    """A term that must survive translation.

    Args:
        text: the term as it appears in the source text (a product or brand name).
        translation: the fixed rendering in the target language; ``None`` keeps ``text`` as is.
    """

    text: str
    translation: str | None = None


@dataclass(frozen=True, slots=True)
class Glossary:
    """A workspace's protected terms for one target language, with a version for cache keys."""

    terms: tuple[GlossaryTerm, ...] = ()
    version: str = "0"


EMPTY_GLOSSARY = Glossary()


@dataclass(frozen=True, slots=True)
class TranslationRequest:
    """One text to translate.

    Args:
        text: the text, already masked (personal data replaced by masking tokens).
        target: the language wanted.
        source: the language of ``text``; ``None`` lets the router detect it.
        glossary: protected terms (per workspace and target language).
        self_hosted_only: "never send text to third-party engines" for this account.
        current_language: the conversation's known language, the fallback for detection.
    """

    text: str
    target: str
    source: str | None = None
    glossary: Glossary = EMPTY_GLOSSARY
    self_hosted_only: bool = False
    current_language: str | None = None


@dataclass(frozen=True, slots=True)
class TranslationResult:
    """The outcome for one request.

    ``text`` is the translation when ``status`` is ``ok`` and the original text otherwise, so a
    caller can always show ``text``; ``reason`` then says ``"not translated: ..."``.
    """

    text: str
    status: Status
    engine: str
    source: str
    target: str
    model: str = ""
    reason: str = ""
    placeholders_ok: bool = True
    cached: bool = False
    needs_review: bool = False
    characters: int = 0
    attempts: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


@runtime_checkable
class Translator(Protocol):
    """Batch of requests in, one result per request out, in order. Never raises for engines."""

    async def translate(self, requests: Sequence[TranslationRequest]) -> list[TranslationResult]:
        """Translate ``requests``; results are in the same order."""
        ...


class Engine(Protocol):
    """A translation provider behind one HTTP API.

    Attributes:
        name: the engine's configured name (``deepseek``, ``deepl``, ``apertium`` ...).
        model: the model or API version, part of cache keys.
        self_hosted: True when text stays on the company's own machines.
        gist: True when output is gist quality and outgoing text needs an agent's review.
        max_batch: most texts sent in one call.
    """

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def self_hosted(self) -> bool: ...

    @property
    def gist(self) -> bool: ...

    @property
    def max_batch(self) -> int: ...

    def supports(self, pair: LanguagePair) -> bool:
        """Whether this engine can translate ``pair`` (``source`` may be ``"auto"``)."""
        ...

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        """Translate placeholder-form ``texts``; one output per input, in order.

        Raises:
            EngineError: the whole batch failed.
        """
        ...
