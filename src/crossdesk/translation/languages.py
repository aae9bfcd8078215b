"""Language codes: crossdesk uses ISO 639-1, with ``zh-Hans``/``zh-Hant`` for Chinese.

Providers map these to their own codes; this module holds the shared tables.
"""

from __future__ import annotations

UNDETERMINED = "und"
AUTO = "auto"

NAMES: dict[str, str] = {
    "ar": "Arabic",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "ms": "Malay",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sv": "Swedish",
    "th": "Thai",
    "tl": "Filipino",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh-Hans": "Simplified Chinese",
    "zh-Hant": "Traditional Chinese",
}

_ALIASES = {
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-hans": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant": "zh-Hant",
    "iw": "he",
    "in": "id",
    "nb": "no",
    "fil": "tl",
}


def normalize(code: str) -> str:
    """Return crossdesk's form of a language code (``ZH-CN`` → ``zh-Hans``, ``PT-BR`` → ``pt``).

    Raises:
        ValueError: ``code`` is empty or not a plausible language tag.
    """
    raw = code.strip().replace("_", "-")
    lowered = raw.lower()
    if not lowered or not all(part.isalnum() for part in lowered.split("-")):
        raise ValueError(f"not a language code: {code!r}")
    if lowered in (AUTO, UNDETERMINED):
        return lowered
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    return lowered.split("-")[0]


def base(code: str) -> str:
    """The language without script or region: ``zh-Hans`` → ``zh``."""
    return code.split("-")[0].lower()


def name(code: str) -> str:
    """An English language name for prompts (falls back to the code)."""
    return NAMES.get(code, code)
