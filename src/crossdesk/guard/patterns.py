"""Compile word lists into matchable patterns: terms and the spellings derived from them.

From each term the compiler derives the keys an evader's spelling normalizes to: the folded
term, an inflection stem, the l/I look-alike spelling, doubled Hanzi ("微微信信"), full pinyin
("weixin"), the pinyin key that homophones and part-pinyin spellings ("威信", "wei信",
"gou东西") share, pinyin initials ("wx") and the
variants listed in ``packs/variants.tsv``. Each key remembers the term it stands for.
"""

from __future__ import annotations

import bisect
import enum
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

from crossdesk.guard.folding import fold_char, is_han, pinyin_of, script_of
from crossdesk.guard.lexicon import Lexicon
from crossdesk.guard.normalize import Norm, _Table, fold_key


class Kind(enum.Enum):
    """How a pattern was derived from its term."""

    TERM = "term"
    STEM = "stem"  # term minus its final vowel; needs an inflection ending
    LOOKALIKE = "lookalike"
    DOUBLED = "doubled"
    PINYIN = "pinyin"  # full pinyin typed in Latin letters
    PINYIN_MIXED = "pinyin-mixed"
    HOMOPHONE = "homophone"  # matched on the pinyin view
    INITIALS = "initials"
    VARIANT = "variant"
    ALLOW = "allow"


# The normalization a derived pattern relies on, checked against the list's switches.
KIND_NORM = {
    Kind.TERM: Norm.NONE,
    Kind.STEM: Norm.NONE,
    Kind.LOOKALIKE: Norm.CONFUSABLES,
    Kind.DOUBLED: Norm.REPEATS,
    Kind.PINYIN: Norm.PINYIN,
    Kind.PINYIN_MIXED: Norm.PINYIN,
    Kind.HOMOPHONE: Norm.PINYIN,
    Kind.INITIALS: Norm.PINYIN,
    Kind.VARIANT: Norm.VARIANTS,
    Kind.ALLOW: Norm.NONE,
}


class Pattern(NamedTuple):
    """One key in an automaton (a named tuple: 150,000 of them are built for a big list).

    Attributes:
        key: the normalized spelling searched for.
        lexicon: index of the list (-1 for the guard-wide allow-phrases).
        term: index of the term in that list (-1 for allow-phrases).
        kind: how the key was derived.
        head: script of the spelling's first letter ("han", "latin", ...).
        tail: script of its last letter.
        breaks: key offsets where the spelling itself has a space (legitimate word gaps).
        min_letters: fewest original letters a match must span (guards collapsed short keys).
        weak: the spelling is an ordinary word too; needs a contact cue.
    """

    key: str
    lexicon: int
    term: int
    kind: Kind
    head: str
    tail: str
    breaks: frozenset[int]
    min_letters: int
    weak: bool = False


# per character: a big list has tens of thousands of terms but few distinct first letters
_script = functools.cache(script_of)


def _scripts(text: str) -> tuple[str, str]:
    if text.isalpha():
        return _script(text[0]), _script(text[-1])
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "other", "other"
    return _script(letters[0]), _script(letters[-1])


_NO_BREAKS: frozenset[int] = frozenset()
_ALL_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")


@functools.lru_cache(maxsize=1 << 16)
def _breaks(text: str) -> frozenset[int]:
    if " " not in text:
        return _NO_BREAKS
    out: set[int] = set()
    key = ""
    for word in text.split():
        if key:
            out.add(len(key))
        key += fold_key(word)
    return frozenset(out)


@functools.cache
def variant_table() -> dict[str, list[tuple[str, bool]]]:
    """Folded canonical term → [(variant spelling, weak)] from ``packs/variants.tsv``."""
    text = resources.files("crossdesk.guard.packs").joinpath("variants.tsv").read_text("utf-8")
    table: dict[str, list[tuple[str, bool]]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        canonical, variant, strength = line.split("\t")
        table.setdefault(fold_key(canonical), []).append((variant, strength.strip() == "weak"))
    return table


_VOWELS = frozenset("aeiouаеиоуыэюяьй")


def _letters(spelled: str) -> int:
    if spelled.isalpha() and len(spelled) <= 3:
        return len(spelled)
    folded = "".join(map(fold_char, spelled))
    if folded.isalpha():
        return len(folded)
    return sum(1 for ch in folded if ch.isalpha())


# Patterns are built with tuple.__new__: the named tuple's generated __new__ is a Python-level
# function call, a measurable share of compiling 150,000 patterns.
_new = tuple.__new__


def _pattern(
    key: str, lex: int, term: int, kind: Kind, spelled: str, weak: bool = False
) -> Pattern:
    head, tail = _scripts(spelled)
    # a short key may be a collapsed run ("qq" → "q", "هييي" → "هي"): a match must span at
    # least as many letters as the spelling had
    full = _letters(spelled)
    least = full if len(key) <= 3 or full - len(key) >= 2 else 0
    return _new(Pattern, (key, lex, term, kind, head, tail, _breaks(spelled), least, weak))


def _min_letters(key: str, letters: int) -> int:
    return letters if len(key) <= 3 or letters - len(key) >= 2 else 0


def _derive_han(text: str, key: str, lex: int, term: int, norms: int) -> list[Pattern]:
    """Patterns of an all-Hanzi term, built directly (half of a big list is Hanzi: the
    generic path's per-spelling script and letter counts are the build's main cost)."""
    n = len(key)  # every folded character is one Hanzi letter
    breaks = _breaks(text) if " " in text else _NO_BREAKS
    # min_letters: a key of three or fewer characters, or one that lost two letters or more
    # to collapsing, must span as many letters as its spelling (see _pattern)
    out = [_new(Pattern, (key, lex, term, _TERM, "han", "han", breaks, n if n <= 3 else 0, False))]
    if norms & _REPEATS and 2 <= n <= 4:
        doubled = key.translate(_DOUBLED_CHARS)
        out.append(_new(Pattern, (doubled, lex, term, _DOUBLED, "han", "han", breaks, 0, False)))
    if norms & _PINYIN:
        initials = key.translate(_PINYIN_INITIALS)
        if _NO_READING not in initials:
            full = _collapse(key.translate(_PINYIN_READINGS))
            f = len(full)
            out.append(
                _new(Pattern, (full, lex, term, _PINYIN_KIND, "latin", "latin", _NO_BREAKS,
                               f if f <= 3 else 0, False))
            )  # fmt: skip
            out.append(
                _new(Pattern, (full, lex, term, _HOMOPHONE, "han", "han", breaks,
                               n if f <= 3 or n - f >= 2 else 0, False))
            )  # fmt: skip
            if n >= 2:
                out.append(
                    _new(Pattern, (initials, lex, term, _INITIALS, "latin", "latin", _NO_BREAKS,
                                   n if n <= 3 else 0, False))
                )  # fmt: skip
    return out


# str.translate tables for _derive_han, filled on first sight of each character: doubled,
# pinyin reading, first letter of the reading (_NO_READING for a character without one)
_NO_READING = "\x00"
_DOUBLED_CHARS = _Table(lambda ch: ch + ch)
_PINYIN_READINGS = _Table(pinyin_of)
_PINYIN_INITIALS = _Table(lambda ch: pinyin_of(ch)[:1] or _NO_READING)


_TERM, _DOUBLED, _PINYIN_KIND = Kind.TERM, Kind.DOUBLED, Kind.PINYIN
_HOMOPHONE, _INITIALS = Kind.HOMOPHONE, Kind.INITIALS
_STEM, _LOOKALIKE, _VARIANT = Kind.STEM, Kind.LOOKALIKE, Kind.VARIANT


_REPEATS, _PINYIN = int(Norm.REPEATS), int(Norm.PINYIN)
_VARIANTS, _CONFUSABLES = int(Norm.VARIANTS), int(Norm.CONFUSABLES)


def derive(text: str, lex: int, term: int, norms: Norm | int) -> list[Pattern]:
    """All patterns for one term (the term itself first)."""
    # plain ints: IntFlag arithmetic costs a Python call per operation
    return _derive(text, fold_key(text), lex, term, int(norms))


def _derive(text: str, key: str, lex: int, term: int, norms: int) -> list[Pattern]:
    """:func:`derive` with the term's folded key already computed."""
    all_han = bool(key) and _ALL_HAN.fullmatch(key) is not None
    if all_han and not (norms & _VARIANTS and key in variant_table()):
        return _derive_han(text, key, lex, term, norms)
    if not all_han and key and _ALL_HAN.search(key) is None:
        return _derive_plain(text, key, lex, term, norms)
    return list(_derive_generic(text, key, lex, term, norms, all_han))


def _derive_plain(text: str, key: str, lex: int, term: int, norms: int) -> list[Pattern]:
    """Patterns of a term without Hanzi (Latin, Cyrillic, Arabic...), built directly.

    The same patterns as :func:`_derive_generic`: the term's script, letter count and breaks
    are computed once and shared by the look-alike pattern (same spelling, same key length).
    """
    head, tail = _scripts(text)
    letters = _letters(text)
    breaks = _breaks(text)
    n = len(key)
    least = letters if n <= 3 or letters - n >= 2 else 0
    out = [_new(Pattern, (key, lex, term, _TERM, head, tail, breaks, least, False))]
    if n >= 4:
        if key[-1] in _VOWELS:
            out.append(_pattern(key[:-1], lex, term, _STEM, text[:-1]))
        if norms & _CONFUSABLES and 0 < key.count("l") <= 2 and key.isalpha():
            lookalike = key.replace("l", "i")
            out.append(_new(Pattern, (lookalike, lex, term, _LOOKALIKE, head, tail, breaks, least,
                                      False)))  # fmt: skip
    if norms & _VARIANTS:
        for variant, weak in variant_table().get(key, ()):
            vkey = fold_key(variant)
            if vkey and vkey != key:
                out.append(_pattern(vkey, lex, term, _VARIANT, variant, weak))
    return out


def _derive_generic(
    text: str, key: str, lex: int, term: int, norms: int, all_han: bool
) -> Iterable[Pattern]:
    """:func:`derive` for any term: the definition the direct paths above must equal."""
    yield _pattern(key, lex, term, Kind.TERM, text)
    han_only = all_han or not key
    if _ALL_HAN.search(key) is None:
        if len(key) >= 4 and key[-1] in _VOWELS:
            yield _pattern(key[:-1], lex, term, Kind.STEM, text[:-1])
        if norms & _CONFUSABLES and key.isalpha() and len(key) >= 4 and 0 < key.count("l") <= 2:
            yield _pattern(key.replace("l", "i"), lex, term, Kind.LOOKALIKE, text)
    if han_only and norms & _REPEATS and 2 <= len(key) <= 4:
        yield _pattern("".join(ch * 2 for ch in key), lex, term, Kind.DOUBLED, text)
    if han_only and norms & _PINYIN:
        syllables = [pinyin_of(ch) for ch in key]
        if all(syllables):
            full = _collapse("".join(syllables))
            yield _pattern(full, lex, term, Kind.PINYIN, full)
            yield _pattern(full, lex, term, Kind.HOMOPHONE, text)
            if len(key) >= 2:
                initials = "".join(s[0] for s in syllables)
                yield _pattern(initials, lex, term, Kind.INITIALS, initials)
    if norms & _VARIANTS:
        for variant, weak in variant_table().get(key, ()):
            vkey = fold_key(variant)
            if vkey and vkey != key:
                yield _pattern(vkey, lex, term, Kind.VARIANT, variant, weak)


def _collapse(text: str) -> str:
    """Letter runs collapsed (pinyin spellings: ASCII letters)."""
    if text.isascii():
        return _ASCII_RUNS.sub(r"\1", text) if _ASCII_RUNS.search(text) else text
    out: list[str] = []
    for ch in text:
        if out and out[-1] == ch and ch.isalpha() and not is_han(ch):
            continue
        out.append(ch)
    return "".join(out)


_ASCII_RUNS = re.compile(r"([a-zA-Z])\1+")


@dataclass(frozen=True, slots=True)
class PatternSet:
    """All patterns of a guard, grouped by the automaton that searches them.

    Attributes:
        main: keys searched on the normalized text, with their patterns.
        homophones: keys searched on the pinyin view.
        initials: pinyin initials → patterns, checked on whole Latin tokens.
    """

    main: dict[str, list[Pattern]]
    homophones: dict[str, list[Pattern]]
    initials: dict[str, list[Pattern]]


def _shadowed_variant(pattern: Pattern, canonical: str, sorted_keys: list[str]) -> bool:
    """A variant that is, or begins, a listed term of its own script reports as that term.

    With both "whatsapp" and "واتساب" listed, "واتس اب" (a variant of whatsapp) must report
    only the Arabic term, not both.
    """
    i = bisect.bisect_left(sorted_keys, pattern.key)
    if i < len(sorted_keys) and sorted_keys[i] == pattern.key:
        return True
    if pattern.head == _scripts(canonical)[0]:
        return False
    return i < len(sorted_keys) and sorted_keys[i].startswith(pattern.key)


def compile_patterns(lexicons: Sequence[Lexicon], allow: Sequence[str]) -> PatternSet:
    """Derive every pattern of ``lexicons`` and the guard-wide ``allow`` phrases."""
    main: dict[str, list[Pattern]] = {}
    homophones: dict[str, list[Pattern]] = {}
    initials: dict[str, list[Pattern]] = {}
    # A variant that is itself a listed term (ватсап for whatsapp) reports as that term only.
    texts = [[t.text for t in lexicon.terms] for lexicon in lexicons]
    keys = [list(map(fold_key, lexicon_texts)) for lexicon_texts in texts]
    term_keys = sorted(set().union(*keys))
    for li, lexicon in enumerate(lexicons):
        norms = int(lexicon.normalizations)
        for ti, (text, key) in enumerate(zip(texts[li], keys[li], strict=True)):
            for pattern in _derive(text, key, li, ti, norms):
                kind = pattern.kind
                if kind is _HOMOPHONE:
                    target = homophones
                elif kind is _INITIALS:
                    target = initials
                elif not pattern.key or (
                    kind is _VARIANT and _shadowed_variant(pattern, text, term_keys)
                ):
                    continue
                else:
                    target = main
                group = target.get(pattern.key)
                if group is None:
                    target[pattern.key] = [pattern]
                else:
                    group.append(pattern)
        for phrase in lexicon.allow:
            allow_pattern = _pattern(fold_key(phrase), li, -1, Kind.ALLOW, phrase)
            main.setdefault(allow_pattern.key, []).append(allow_pattern)
    for phrase in allow:
        allow_pattern = _pattern(fold_key(phrase), -1, -1, Kind.ALLOW, phrase)
        main.setdefault(allow_pattern.key, []).append(allow_pattern)
    return PatternSet(main, homophones, initials)
