"""The guard: word lists compiled into automata, scanning text in both directions."""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import compress

import re2

from crossdesk.errors import InvalidInput
from crossdesk.guard import boundaries, segment
from crossdesk.guard.contacts import contact_view, find_contacts, may_have_contact
from crossdesk.guard.folding import fold_char, is_han, pinyin_of
from crossdesk.guard.lexicon import Action, Category, Lexicon
from crossdesk.guard.matcher import Automaton
from crossdesk.guard.normalize import ALL_NORMS, Norm, Normalized, fold_key, normalize, pinyin_view
from crossdesk.guard.patterns import KIND_NORM, Kind, Pattern, compile_patterns
from crossdesk.guard.policy import decide, dedupe, shadowed
from crossdesk.guard.prefilter import (
    ANCHOR_SCRIPTS,
    ANCHORED,
    FREE,
    SKIP,
    Prefilter,
    fold_view,
    needs_word_start,
    syllable_key,
    syllable_table,
)
from crossdesk.guard.result import GuardResult, Hit

CUE_WINDOW = 16  # characters either side of a weak variant searched for a contact cue
COMMON_WORD_FREQ = 50  # jieba frequency above which a homophone is an ordinary word


@functools.cache
def _cues() -> tuple[str, ...]:
    text = resources.files("crossdesk.guard.packs").joinpath("cues.txt").read_text("utf-8")
    lines = [ln.strip() for ln in text.splitlines()]
    return tuple(fold_key(ln) for ln in lines if ln and not ln.startswith("#"))


@dataclass(frozen=True, slots=True)
class ContactPolicy:
    """How built-in contact rules (<PHONE>, <EMAIL>, <URL>) report.

    Attributes:
        enabled: run the contact rules at all.
        category: category of contact hits.
        action: what a contact hit asks for.
        severity: 1-5.
    """

    enabled: bool = True
    category: str = Category.DIVERSION
    action: Action = Action.BLOCK
    severity: int = 4


class Guard:
    """Scan text against word lists, allow-phrases, regex rules and contact rules.

    A guard is immutable once built; to reload lists, build a new one and swap the reference
    (building 50,000 terms takes about 1.5-2 s of CPU; see docs/guard.md).

    Args:
        lexicons: the word lists.
        allow: allow-phrases applying to every list.
        contacts: the built-in contact rules' policy.
    """

    def __init__(
        self,
        lexicons: Sequence[Lexicon],
        allow: Sequence[str] = (),
        contacts: ContactPolicy | None = None,
    ) -> None:
        self.lexicons = tuple(lexicons)
        self.allow = tuple(allow)
        self.contacts = contacts or ContactPolicy()
        with _gc_paused():
            self._compile()

    def _compile(self) -> None:
        patterns = compile_patterns(self.lexicons, self.allow)
        self._main_keys = list(patterns.main)
        self._main_patterns = list(patterns.main.values())
        self._homo_keys = list(patterns.homophones)
        self._homo_patterns = list(patterns.homophones.values())
        self._homo = Automaton(self._homo_keys) if self._homo_keys else None
        self._initials = patterns.initials
        # One automaton for the exact path's keys and the pre-filter's (most are the same
        # strings): entries of _keyed are the exact path's patterns (None: pre-filter key).
        # Short exact-only keys ("wa", "q") would match almost every message in the
        # pre-filter's views, so they get a small automaton of their own.
        view, han = _prefilter_keys(self._main_keys, self._main_patterns)
        main_keys, groups = self._main_keys, self._main_patterns
        is_short = [len(k) <= 3 and k not in view and k not in han for k in main_keys]
        is_long = [not s for s in is_short]
        short = list(compress(main_keys, is_short))
        self._short_patterns: list[list[Pattern]] = list(compress(groups, is_short))
        keys = list(compress(main_keys, is_long))
        self._keyed: list[list[Pattern] | None] = list(compress(groups, is_long))
        # pre-filter keys that are no exact key follow, the view's first, then the Hanzi view's
        known = set(keys)
        only_view = [k for k in view if k not in known]
        known.update(only_view)
        only_han = [k for k in han if k not in known]
        keys += only_view + only_han
        self._keyed += [None] * (len(only_view) + len(only_han))
        self._main = Automaton(keys)
        self._short = Automaton(short)
        modes = [view.get(k, SKIP) for k in keys]
        han_modes = [han.get(k, SKIP) for k in keys]
        self._prefilter = Prefilter(
            self._main,
            modes,
            han_modes,
            self._syllable_keys(),
            self._homo,
            frozenset(self._initials),
        )
        self._rules = [
            (li, rule, _compile_rule(lexicon.name, rule.name, rule.pattern))
            for li, lexicon in enumerate(self.lexicons)
            for rule in lexicon.rules
        ]
        self._gates_by: dict[str | None, tuple[list[bool], Callable[[str], bool] | None]] = {
            d: self._gates(d) for d in (None, "inbound", "outbound")
        }

    def _gates(self, direction: str | None) -> tuple[list[bool], Callable[[str], bool] | None]:
        """(which lexicons apply, the pre-filter's gate or None when none applies)."""
        active = [lx.applies_to(direction) for lx in self.lexicons]
        return active, self._prefilter.gate if True in active else None

    def _syllable_keys(self) -> dict[str, list[str]]:
        """Syllable spelling → the Hanzi terms homophones of it may stand for (pre-filter)."""
        out: dict[str, list[str]] = {}
        texts = [[t.text for t in lexicon.terms] for lexicon in self.lexicons]
        for group in self._homo_patterns:
            for p in group:
                key = fold_key(texts[p.lexicon][p.term])
                syllables = syllable_key(key)
                spelled = out.get(syllables)
                if spelled is None:
                    out[syllables] = [key]
                else:
                    spelled.append(key)
        return out

    @property
    def pattern_count(self) -> int:
        """Number of distinct keys in the automata."""
        return len(self._main_keys) + len(self._homo_keys) + len(self._initials)

    def scan(self, text: str, direction: str | None = None) -> GuardResult:
        """Find every hit in ``text``.

        Args:
            text: the message as typed or received.
            direction: "inbound" or "outbound" (lists apply by their direction); None for all.

        Returns:
            Hits with offsets into ``text`` and the most severe action.
        """
        gates = self._gates_by.get(direction)
        active, may_match = gates if gates is not None else self._gates(direction)
        terms = may_match is not None and may_match(text)
        contacts = self.contacts.enabled and may_have_contact(text)
        if not (terms or contacts or self._rules):
            return _CLEAN  # most messages: both compiled gates said no
        return self._scan(text, active, terms, contacts)

    def scan_many(self, texts: Sequence[str], direction: str | None = None) -> list[GuardResult]:
        """:meth:`scan` for each of ``texts``, in order.

        (Testing groups of joined texts first was slower than the compiled per-message
        gates on the benchmark corpus, so each text is scanned on its own.)
        """
        return [self.scan(text, direction) for text in texts]

    def _scan(self, text: str, active: list[bool], terms: bool, contacts: bool) -> GuardResult:
        hits: list[Hit] = []
        if terms:
            hits.extend(self._scan_terms(text, active))
        if contacts:
            for name, start, end in find_contacts(text, gated=True):
                c = self.contacts
                hits.append(
                    Hit(name, "contacts", c.category, c.action, c.severity, start, end,
                        text[start:end], "contact")
                )  # fmt: skip
        if self._rules:
            view = contact_view(text)
            for li, rule, compiled in self._rules:
                if not active[li]:
                    continue
                lx = self.lexicons[li]
                for m in compiled.finditer(view):
                    if m.end() > m.start():
                        hits.append(
                            Hit(rule.name, lx.name, rule.category, lx.action, lx.severity,
                                m.start(), m.end(), text[m.start():m.end()], "rule", lx.version)
                        )  # fmt: skip
        if not hits:
            return _CLEAN
        final = tuple(dedupe(hits))
        return GuardResult(final, decide(final))

    # -- the exact path -------------------------------------------------------------------

    def _scan_terms(self, text: str, active: list[bool]) -> list[Hit]:
        norm = normalize(text)
        has_han = _HAN_CHAR.search(norm.text) is not None
        found: list[tuple[Pattern, int, int]] = []
        allowed: dict[int, list[tuple[int, int]]] = {}
        keyed, short = self._keyed, self._short_patterns
        matches = [(keyed[ki], ns, ne) for ki, ns, ne in self._main.find(norm.text)]
        matches += [(short[ki], ns, ne) for ki, ns, ne in self._short.find(norm.text)]
        for group, ns, ne in matches:
            if group is None:
                continue  # a pre-filter key only
            for p in group:
                if p.lexicon >= 0 and not active[p.lexicon]:
                    continue
                if self._verify(text, norm, ns, ne, p, has_han):
                    if p.kind is _ALLOW:
                        allowed.setdefault(p.lexicon, []).append(norm.span(ns, ne))
                    else:
                        found.append((p, ns, ne))
        if self._homo is not None and has_han and self._may_be_homophone(norm.text):
            found.extend(self._homophones(text, norm, active))
        if self._initials and has_han:
            found.extend(self._initial_hits(text, norm, active))
        hits = self._mask_hits(text, active) if "*" in text else []
        for p, ns, ne in found:
            start, end = norm.span(ns, ne)
            if allowed and shadowed(start, end, allowed.get(-1, []) + allowed.get(p.lexicon, [])):
                continue
            lx = self.lexicons[p.lexicon]
            term = lx.terms[p.term]
            hits.append(
                Hit(term.text, lx.name, term.category, lx.action, lx.severity, start, end,
                    text[start:end], _VIA[p.kind], lx.version)
            )  # fmt: skip
        return hits

    def _allowed_norms(self, p: Pattern, norm: Normalized, ns: int, ne: int) -> bool:
        if p.lexicon < 0:
            return True
        refused = _refused_norms(self.lexicons[p.lexicon].normalizations)
        if not refused:
            return True  # the list allows every normalization (the default): nothing to ask
        return not (norm.needed_bits(ns, ne) | _KIND_NORM_BITS[p.kind]) & refused

    def _verify(
        self, text: str, norm: Normalized, ns: int, ne: int, p: Pattern, has_han: bool
    ) -> bool:
        start, end = norm.span(ns, ne)
        if ns > 0 and norm.starts[ns - 1] == start:
            return False  # begins inside the expansion of one character
        if not self._allowed_norms(p, norm, ns, ne):
            return False
        if p.min_letters and sum(1 for ch in text[start:end] if fold_char(ch)) < p.min_letters:
            return False
        if p.kind is Kind.PINYIN and not (has_han or len(p.key) >= 6):
            return False
        if not (
            boundaries.word_start_ok(text, start, p)
            and boundaries.word_end_ok(text, end, p, p.key[-1])
            and boundaries.gaps_ok(text, norm, ns, ne, p)
            and boundaries.scripts_ok(text, start, end, p)
            and boundaries.spelled_run_ok(text, start, end, p)
        ):
            return False
        if p.weak and not _has_cue(text, start, end):
            return False
        listed = p.kind in (Kind.TERM, Kind.DOUBLED)
        return not (p.head == "han" and p.tail == "han" and _crosses(norm, ns, ne, None, listed))

    def _homophones(
        self, text: str, norm: Normalized, active: list[bool]
    ) -> list[tuple[Pattern, int, int]]:
        assert self._homo is not None
        view = pinyin_view(norm)
        out = []
        for ki, ps, pe in self._homo.find(view.text):
            if not view.unit_start[ps] or (pe < len(view.text) and not view.unit_start[pe]):
                continue
            ns, ne = view.units[ps], view.units[pe - 1] + 1
            window = norm.text[ns:ne]
            for p in self._homo_patterns[ki]:
                if not active[p.lexicon] or not self._allowed_norms(p, norm, ns, ne):
                    continue
                if self._homophone_ok(text, norm, ns, ne, window, p):
                    out.append((p, ns, ne))
        return out

    def _homophone_ok(
        self, text: str, norm: Normalized, ns: int, ne: int, window: str, p: Pattern
    ) -> bool:
        key = fold_key(self.lexicons[p.lexicon].terms[p.term].text)
        if window == key or not any(is_han(ch) for ch in window):
            return False  # exact and all-Latin spellings are the main automaton's job
        start, end = norm.span(ns, ne)
        latin = [ch for ch in window if ch.isascii() and ch.isalpha()]
        if latin:
            if window[0].isascii() and not boundaries.word_start_ok(text, start, _LATIN_HEAD):
                return False
            return not (window[-1].isascii() and boundaries.tail_of(text, end))
        if len(window) != len(key):
            return False
        kept = sum(1 for a, b in zip(window, key, strict=True) if a == b)
        # a homophone changes some characters, not all, and at most half of a longer term
        # ("寄到台" is not "几到太"); each changed character reads like the one it replaces
        if not kept or len(key) - kept > max(1, len(key) // 2):
            return False
        if any(pinyin_of(a) != pinyin_of(b) for a, b in zip(window, key, strict=True) if a != b):
            return False
        if not boundaries.gaps_ok(text, norm, ns, ne, p):
            return False
        common = all(is_han(ch) for ch in window) and (
            segment.word_frequency(window) >= COMMON_WORD_FREQ
        )
        if common and not _has_cue(text, start, end):
            return False
        return not _crosses(norm, ns, ne, key)

    @functools.cached_property
    def _masks(self) -> dict[tuple[int, str], list[tuple[str, int, int]]]:
        return _mask_index(self.lexicons)

    def _mask_index(self) -> dict[tuple[int, str], list[tuple[str, int, int]]]:
        """Built on the first masked word only: most guards never need it."""
        return self._masks

    def _mask_hits(self, text: str, active: list[bool]) -> list[Hit]:
        """Words with letters masked by ``*`` ("a**hole", "бл*дь") against same-length terms."""
        hits = []
        for m in _MASKED.finditer(text):
            word = m.group()
            letters = [fold_char(ch) if ch != "*" else "*" for ch in word]
            if any(len(x) != 1 for x in letters):
                continue
            stars = letters.count("*")
            if stars > 2 or len(letters) - stars < max(2, stars * 2) or letters[0] == "*":
                continue
            for spelled, li, ti in self._mask_index().get((len(letters), letters[0]), ()):
                lx = self.lexicons[li]
                ok = all(a == "*" or a == b for a, b in zip(letters, spelled, strict=True))
                if ok and active[li] and lx.normalizations & Norm.LEET:
                    term = lx.terms[ti]
                    hits.append(
                        Hit(term.text, lx.name, term.category, lx.action, lx.severity,
                            m.start(), m.end(), word, "mask", lx.version)
                    )  # fmt: skip
        return hits

    def _initial_hits(
        self, text: str, norm: Normalized, active: list[bool]
    ) -> list[tuple[Pattern, int, int]]:
        out = []
        for m in _LATIN_RUN.finditer(norm.text):
            group = self._initials.get(m.group())
            if not group:
                continue
            i, j = m.span()
            start, end = norm.span(i, j)
            standalone = boundaries.word_start_ok(text, start, _LATIN_HEAD) and not (
                boundaries.tail_of(text, end)
            )
            for p in group if standalone else ():
                if (
                    active[p.lexicon]
                    and self._allowed_norms(p, norm, i, j)
                    and (not p.weak or _has_cue(text, start, end))
                ):
                    out.append((p, i, j))
        return out

    def _may_be_homophone(self, normalized: str) -> bool:
        """Cheap exact gate for :meth:`_homophones` (it spells the whole text in pinyin).

        An all-Hanzi (or digit) homophone reads syllable by syllable like its term, so its
        syllable spelling is a syllable key; a part-pinyin one has a Latin letter touching a
        Hanzi or digit.
        """
        if _LATIN_TOUCHES_HAN.search(normalized):
            return True
        syllables = self._prefilter.syllables
        return syllables is not None and syllables.any(normalized.translate(syllable_table()))


@functools.cache
def _refused_norms(allowed: Norm) -> int:
    """The normalization bits a list switched off (plain int: see :meth:`Guard._allowed_norms`)."""
    return int(ALL_NORMS) & ~int(allowed)


_KIND_NORM_BITS = {kind: int(norms) for kind, norms in KIND_NORM.items()}
_VIA = {kind: kind.value for kind in Kind}  # (an enum's .value is a slow property)

_HAN_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN_RUN = re.compile(r"[a-z]+")
_HAN_OR_DIGIT = r"[0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
# (or a Hanzi outside the syllable table's blocks: then the gate says yes)
_LATIN_TOUCHES_HAN = re.compile(
    f"[a-z]{_HAN_OR_DIGIT}|{_HAN_OR_DIGIT}[a-z]|[\U00020000-\U0002fa1f]"
)


_CLEAN = GuardResult((), None)


# a word with at least one masking star inside or at its end, bounded by non-letters
_MASKED = re.compile(r"(?<![^\W\d_])[^\W\d_][^\W\d_*]*\*[^\W\d_*]*\**[^\W\d_]*(?![^\W\d_*])")


def _mask_index(lexicons: Sequence[Lexicon]) -> dict[tuple[int, str], list[tuple[str, int, int]]]:
    """(length, first letter) → (unfolded-run spelling, list, term) for masked-word lookups."""
    index: dict[tuple[int, str], list[tuple[str, int, int]]] = {}
    for li, lexicon in enumerate(lexicons):
        for ti, term in enumerate(lexicon.terms):
            spelled = "".join(fold_char(ch) for ch in term.text)
            if len(spelled) >= 4 and spelled.isalpha() and not any(is_han(c) for c in spelled):
                index.setdefault((len(spelled), spelled[0]), []).append((spelled, li, ti))
    return index


_LATIN_HEAD = Pattern("", -1, -1, Kind.TERM, "latin", "latin", frozenset(), 0)


def _prefilter_keys(
    keys: list[str], groups: list[list[Pattern]]
) -> tuple[dict[str, int], dict[str, int]]:
    """The pre-filter's keys: (view key → mode, Hanzi-view key → mode); see Prefilter."""
    view: dict[str, int] = {}  # pre-filter key → how it may match (prefilter._FREE...)
    han: dict[str, int] = {}
    endings: dict[str, list[str]] = {}  # script → its stem endings, folded

    def add(target: dict[str, int], vkey: str, mode: int) -> None:
        # a key shared by several terms matches as freely as the freest of them
        # (a new key goes in at the end: the automaton's key order follows insertion)
        old = target.get(vkey)
        if old is None or mode < old:
            target[vkey] = mode

    for key, group in zip(keys, groups, strict=True):
        summary = _summary(group)
        if summary is None:
            continue  # allow-phrases only
        weak, pinyin, stem, stem_only, anchored, least = summary
        vkey = fold_view(key)
        if not vkey:
            continue
        mode = ANCHORED if anchored else FREE
        if stem_only:
            # a stem only matches with one of its script's endings ("сук" + "ой"): the
            # pre-filter looks for stem + ending, not for every word that begins with the stem
            script = group[0].tail
            folded = endings.get(script)
            if folded is None:
                # a run across the junction collapses ("й" folds to "и": fold the endings)
                folded = endings[script] = [
                    fold_key(e) for e in boundaries.STEM_ENDINGS.get(script, ())
                ]
            if folded:
                word_start = needs_word_start(key, weak, pinyin)
                for e in folded:
                    if not e:
                        continue
                    sp = vkey + (e[1:] if e[0] == vkey[-1] else e)
                    add(view, sp, mode)
                    if word_start:
                        add(han, sp, mode)
                continue
        if needs_word_start(key, weak, pinyin):
            add(han, vkey, mode)
            # short keys and pinyin must be a whole word ("wa", not "warranty"); longer weak
            # variants may take an ending ("телегу")
            whole = pinyin or (len(key) <= boundaries.SHORT_KEY and not stem)
            # a whole-word key collapsed from a longer spelling needs that many letters
            need = least if whole and least > len(vkey) else FREE
            add(view, " " + vkey + (" " if whole else ""), need)
        elif vkey not in view or mode < view[vkey]:  # (most keys: add() inlined)
            view[vkey] = mode
    return view, han


def _summary(group: list[Pattern]) -> tuple[bool, bool, bool, bool, bool, int] | None:
    """(weak, pinyin, stem, stem only, anchored, fewest letters) over a key's listed patterns.

    None when the key stands for allow-phrases only. Stem only: every pattern is a stem or
    an allow-phrase, and at least one is a stem.
    """
    if len(group) == 1:  # most keys: one term's one spelling
        p = group[0]
        kind = p.kind
        if kind is _ALLOW:
            return None
        stem = kind is _STEM
        return p.weak, kind is _PINYIN, stem, stem, p.head in ANCHOR_SCRIPTS, p.min_letters
    weak = pinyin = stem = listed = False
    stem_only = anchored = True
    least = 1 << 30
    for p in group:
        kind = p.kind
        if kind is _ALLOW:
            continue
        listed = True
        weak = weak or p.weak
        pinyin = pinyin or kind is _PINYIN
        stem = stem or kind is _STEM
        stem_only = stem_only and kind is _STEM
        anchored = anchored and p.head in ANCHOR_SCRIPTS
        least = min(least, p.min_letters)
    if not listed:
        return None
    return weak, pinyin, stem, stem and stem_only, anchored, least


_ALLOW, _PINYIN, _STEM = Kind.ALLOW, Kind.PINYIN, Kind.STEM


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Cyclic garbage collection paused while a guard compiles.

    Compiling a big list allocates a few hundred thousand containers that all stay alive;
    the collector's full passes over them found nothing to free and cost up to a third of
    the build. The previous setting comes back afterwards (objects that do become garbage are
    collected at the next pass as usual).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _has_cue(text: str, start: int, end: int) -> bool:
    around = (
        fold_key(text[max(0, start - CUE_WINDOW) : start])
        + "|"
        + fold_key(text[end : end + CUE_WINDOW])
    )
    return any(cue and cue in around for cue in _cues())


def _crosses(
    norm: Normalized, ns: int, ne: int, term: str | None = None, listed: bool = False
) -> bool:
    """Jieba says a word straddles the Hanzi hit [ns, ne) of the normalized text."""
    s = norm.text
    c0 = ns
    while c0 > 0 and ns - c0 < 4 and is_han(s[c0 - 1]):
        c0 -= 1
    c1 = ne
    while c1 < len(s) and c1 - ne < 4 and is_han(s[c1]):
        c1 += 1
    if c0 == ns and c1 == ne:
        return False
    return segment.crosses_word(s[c0:c1], ns - c0, ne - c0, term, listed)


def _compile_rule(lexicon: str, name: str, pattern: str) -> re2._Regexp[str]:
    try:
        return re2.compile("(?i)" + pattern)
    except re2.error as exc:
        raise InvalidInput(
            f"lexicon {lexicon!r}: rule {name!r} is not a valid RE2 pattern: {exc}",
            lexicon=lexicon,
            rule=name,
        ) from exc
