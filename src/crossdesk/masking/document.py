"""The per-text analysis context handed to every recognizer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from crossdesk.masking.text import fold, fold_letter_o

_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """``functools.cached_property`` without its lock.

    Python 3.11's version takes one class-wide lock on every first access, a measurable cost
    when each message builds a fresh ``Document``, and a point of contention between threads.
    The derived values are pure functions of the text, so two threads computing one at the
    same moment get equal results and either may win.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.attrname = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[_T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object, owner: type | None = None) -> _T | cached_property[_T]:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.attrname] = value
        return value


# Regions worth trying for national-format phone numbers, by message language. The contact's
# country (region hint) always goes first; these follow.
LANG_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB", "CA", "AU", "IN", "SG", "NG", "IE", "NZ", "ZA", "PH"),
    "zh": ("CN", "HK", "TW", "SG", "MO"),
    "ja": ("JP",),
    "ko": ("KR",),
    "es": ("ES", "MX", "AR", "CO", "CL", "PE", "US"),
    "pt": ("BR", "PT"),
    "fr": ("FR", "BE", "CH", "CA", "MA", "DZ", "TN"),
    "de": ("DE", "AT", "CH"),
    "it": ("IT", "CH"),
    "nl": ("NL", "BE"),
    "pl": ("PL",),
    "ru": ("RU", "KZ", "BY", "UA"),
    "uk": ("UA",),
    "tr": ("TR",),
    "ar": ("SA", "AE", "EG", "MA", "KW", "QA", "JO", "IQ", "DZ"),
    "th": ("TH",),
    "vi": ("VN",),
    "id": ("ID",),
    "ms": ("MY",),
    "hi": ("IN",),
}

_SCRIPT_LANGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
)

_DIGIT = re.compile(r"[0-9]")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")

# Tried last, when neither the hint nor the language names the region.
FALLBACK_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "ES", "BR", "MX", "IN", "CN", "RU")


@dataclass
class Document:
    """A text prepared once for all recognizers (derived forms computed lazily, once).

    Attributes:
        text: The original text; all offsets refer to it.
        region: ISO 3166 region hint (the contact's country), upper case, if known.
        lang: ISO 639-1 language of the message, if known.
    """

    text: str
    region: str | None = None
    lang: str | None = None

    @cached_property
    def folded(self) -> str:
        """Full-width forms, foreign digits and dashes folded to ASCII (same length)."""
        return fold(self.text)

    @cached_property
    def numeric(self) -> str:
        """``folded`` with the letter O used as a zero inside numbers turned into 0."""
        return fold_letter_o(self.folded)

    @cached_property
    def lower(self) -> str:
        """``folded`` in lower case (``str.lower`` keeps lengths for the scripts we use)."""
        low = self.folded.lower()
        # A few characters (e.g. "İ") grow when lowered; fall back to a per-char map then.
        if len(low) != len(self.folded):
            low = "".join(ch.lower()[:1] for ch in self.folded)
        return low

    @cached_property
    def has_digit(self) -> bool:
        """Whether any digit appears (most recognizers need one).

        Read from ``folded``: ``numeric`` only turns letters O into zeros inside runs that
        already hold a digit, so it has a digit exactly when ``folded`` has one.
        """
        return _DIGIT.search(self.folded) is not None

    @cached_property
    def has_cjk(self) -> bool:
        """Whether Chinese, Japanese or Korean characters appear."""
        return _CJK.search(self.text) is not None

    @cached_property
    def langs(self) -> tuple[str, ...]:
        """The given language, else languages guessed from the scripts present."""
        if self.lang:
            return (self.lang.split("-")[0].lower(),)
        guessed = tuple(lang for pattern, lang in _SCRIPT_LANGS if pattern.search(self.text))
        return guessed

    @cached_property
    def regions(self) -> tuple[str, ...]:
        """Regions to try for national phone formats, most likely first."""
        ordered: list[str] = []
        if self.region:
            ordered.append(self.region.upper())
        for lang in self.langs:
            ordered.extend(LANG_REGIONS.get(lang, ()))
        return tuple(dict.fromkeys(ordered))
