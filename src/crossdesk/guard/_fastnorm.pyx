# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled twin of ``normalize._normalize_fast`` (the exact path's normalizer).

Same steps, same answers (tests/unit/guard/test_fastnorm.py holds them to the Python one):
each character gets its class and fold (``normalize._class_and_fold``: a letter class per
script, leet digit or symbol, kept other, invisible or visible gap, or "folds to several");
leetspeak tokens are read like ``normalize._token_leet`` and their leet characters replaced;
a word mixing Latin, Cyrillic or Greek letters, or a character folding to several, sends the
text to the reference normalizer (the answer None); runs of a repeated letter collapse like
``normalize._collapse_runs``. What the Python version did in ten passes over the text (two
translations, regexes, ``compress`` maps), this does in one walk plus one per leet token and
per repeated run.

Classes and folds are asked of Python once per BMP code point and kept in two flat arrays,
filled as characters are first seen (an entry's two writes follow each other with the GIL
held, so another thread never reads half of one); characters above the BMP are asked each
time.
"""

from cpython.list cimport PyList_GET_ITEM
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.unicode cimport Py_UNICODE_ISALPHA, Py_UNICODE_ISDIGIT
from libc.stdint cimport uint8_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from crossdesk.guard._unicode cimport (
    PyUnicode_DATA,
    PyUnicode_FromKindAndData,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_READ,
)

cdef enum:
    BMP = 0x10000
    STACK_CHARS = 1024
    SHARED_INTS = 4096  # offsets up to this share prebuilt int objects (chat messages)
    UNKNOWN = 0  # a class not asked yet

# the class characters of normalize._class_and_fold, as bytes
cdef enum:
    C_LATIN = 0x61  # a
    C_CYRILLIC = 0x63  # c
    C_GREEK = 0x67  # g
    C_LETTER = 0x68  # h (Hanzi, Arabic...)
    C_KEPT = 0x39  # 9 (digits and other kept characters)
    C_LEET_DIGIT = 0x44  # D
    C_LEET_SYMBOL = 0x53  # S (a gap unless read as a letter)
    C_INVISIBLE = 0x69  # i
    C_GAP = 0x20  # " "
    C_MULTI = 0x4D  # M (folds to several characters: the reference decides)


cdef inline bint _is_letter_class(uint8_t c) noexcept nogil:
    return c == C_LATIN or c == C_CYRILLIC or c == C_GREEK or c == C_LETTER


cdef inline bint _in_token(uint8_t c) noexcept nogil:
    # normalize._LEET_TOKEN's [acghDS]
    return _is_letter_class(c) or c == C_LEET_DIGIT or c == C_LEET_SYMBOL


cdef inline bint _in_word(uint8_t c) noexcept nogil:
    # normalize._MIXED_WORD's [acghi]
    return _is_letter_class(c) or c == C_INVISIBLE


cdef inline bint _kept(uint8_t c) noexcept nogil:
    # normalize._KEEP: everything but gaps
    return not (c == C_GAP or c == C_INVISIBLE or c == C_LEET_SYMBOL)


cdef inline bint _is_han(uint32_t c) noexcept nogil:
    # folding.is_han
    return (0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF or 0xF900 <= c <= 0xFAFF
            or 0x20000 <= c <= 0x2FA1F)


cdef inline bint _collapses(uint32_t c) noexcept:
    # normalize._REPEAT's letter, as _collapse_runs keeps it: alphabetic, not a Hanzi
    return Py_UNICODE_ISALPHA(c) and not _is_han(c)


cdef class FastNormalizer:
    """``normalize(text)`` returns the Normalized of ``_normalize_fast`` or None.

    Args:
        class_and_fold: code point -> class character + folded character ("\\0": a gap),
            ``normalize._CLASS_AND_FOLD.__getitem__``.
        leet: leet character -> the letter it stands for (folding.LEET).
        leet_edge: leet characters that may stand for a letter at a word's edge.
        normalized: the Normalized class (called with the normalize._normalize_fast fields).
    """

    cdef object class_and_fold
    cdef dict leet
    cdef frozenset leet_edge
    cdef object normalized
    cdef uint8_t* classes  # per BMP code point (UNKNOWN until asked)
    cdef uint32_t* folds  # per BMP code point (0: a gap)
    cdef list ints
    cdef frozenset empty

    def __cinit__(self):
        self.classes = <uint8_t*>malloc(BMP)
        self.folds = <uint32_t*>malloc(BMP * sizeof(uint32_t))
        if self.classes == NULL or self.folds == NULL:
            raise MemoryError()
        memset(self.classes, UNKNOWN, BMP)

    def __init__(self, class_and_fold, dict leet, frozenset leet_edge, normalized):
        for ch, letter in leet.items():
            if len(ch) != 1 or len(letter) != 1:
                raise ValueError(f"leet entries must be single characters: {ch!r} -> {letter!r}")
        self.class_and_fold = class_and_fold
        self.leet = leet
        self.leet_edge = leet_edge
        self.normalized = normalized
        self.ints = list(range(SHARED_INTS + 1))
        self.empty = frozenset()

    def __dealloc__(self):
        free(self.classes)
        free(self.folds)

    cdef int _ask(self, uint32_t cp, uint8_t* cls, uint32_t* fold) except -1:
        """Class and fold of ``cp`` from Python (cached for the BMP)."""
        cdef str both = self.class_and_fold(cp)
        if len(both) != 2:
            raise ValueError(f"class_and_fold({cp:#x}) gave {both!r}: want two characters")
        cls[0] = <uint8_t>ord(both[0])
        fold[0] = ord(both[1])
        if cp < BMP:
            self.folds[cp] = fold[0]
            self.classes[cp] = cls[0]
        return 0

    cdef inline int _lookup(self, uint32_t cp, uint8_t* cls, uint32_t* fold) except -1:
        if cp < BMP:
            cls[0] = self.classes[cp]
            if cls[0] != UNKNOWN:
                fold[0] = self.folds[cp]
                return 0
        return self._ask(cp, cls, fold)

    cdef object _int(self, Py_ssize_t value):
        if value <= SHARED_INTS:
            return <object>PyList_GET_ITEM(self.ints, value)
        return value

    def normalize(self, str text):
        """The Normalized of ``text``, or None when the reference normalizer must decide."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
        # four uint32_t and one byte per character (see _normalize)
        cdef uint32_t local[STACK_CHARS * 5]
        cdef uint32_t* block = local
        if n > STACK_CHARS:
            block = <uint32_t*>malloc(n * 5 * sizeof(uint32_t))
            if block == NULL:
                raise MemoryError()
        try:
            return self._normalize(text, n, block)
        finally:
            if block != local:
                free(block)

    cdef object _normalize(self, str text, Py_ssize_t n, uint32_t* block):
        # per original character: code point, fold, class; per unit: start, end (in place of
        # the original arrays' tail, units never outnumber characters)
        cdef uint32_t* cps = block
        cdef uint32_t* folds = block + n
        cdef uint32_t* starts = block + 2 * n
        cdef uint32_t* ends = block + 3 * n
        cdef uint8_t* cls = <uint8_t*>(block + 4 * n)
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef Py_ssize_t i
        cdef uint32_t cp
        cdef bint leet_chars = False
        for i in range(n):
            cp = PyUnicode_READ(kind, data, i)
            cps[i] = cp
            self._lookup(cp, &cls[i], &folds[i])
            if cls[i] == C_MULTI:
                return None
            if cls[i] == C_LEET_DIGIT or cls[i] == C_LEET_SYMBOL:
                leet_chars = True
        cdef object leet = self.empty
        if leet_chars:
            leet = self._read_leet(cps, folds, cls, n)
        if self._mixed_scripts(cls, n):
            return None
        # the kept units
        cdef Py_ssize_t m = 0
        for i in range(n):
            if _kept(cls[i]):
                starts[m] = i
                ends[m] = i + 1
                folds[m] = folds[i]  # (m <= i: the fold of i is read before it is overwritten)
                m += 1
        cdef object reps = self.empty
        cdef Py_ssize_t k = 1
        while k < m:
            if folds[k] == folds[k - 1] and _collapses(folds[k]):
                reps = self._collapse_runs(folds, starts, ends, cls, &m, n)
                break
            k += 1
        return self.normalized(
            PyUnicode_FromKindAndData(4, folds, m),
            self._offsets(starts, m),
            self._offsets(ends, m),
            None,
            text,
            reps,
            leet,
        )

    cdef tuple _offsets(self, uint32_t* values, Py_ssize_t m):
        cdef tuple out = PyTuple_New(m)
        cdef Py_ssize_t k
        cdef object value
        for k in range(m):
            value = self._int(values[k])
            Py_INCREF(value)
            PyTuple_SET_ITEM(out, k, value)
        return out

    cdef object _read_leet(self, uint32_t* cps, uint32_t* folds, uint8_t* cls, Py_ssize_t n):
        """Leet characters read as letters (normalize._token_leet over _LEET_TOKEN's tokens),
        replaced in ``cps``/``folds``/``cls`` by the letter's; their positions."""
        cdef list marked = []
        cdef Py_ssize_t i = 0, j, k, letters, leets, first, last, run, longest
        while i < n:
            if not _in_token(cls[i]):
                i += 1
                continue
            j = i
            letters = leets = run = longest = 0
            first = last = -1
            while j < n and _in_token(cls[j]):
                if _is_letter_class(cls[j]):
                    letters += 1
                    if first < 0:
                        first = j
                    last = j
                else:
                    leets += 1
                # _token_leet's longest isdigit run (which also covers _DIGIT_RUN, \d{3})
                run = run + 1 if Py_UNICODE_ISDIGIT(cps[j]) else 0
                longest = max(longest, run)
                j += 1
            if leets and letters >= 2 and letters > leets and longest <= 2:
                for k in range(i, j):
                    if _is_letter_class(cls[k]):
                        continue
                    if (first < k < last) or (
                            (k == i or k == j - 1) and chr(cps[k]) in self.leet_edge):
                        marked.append(k)
            i = j
        if not marked:
            return self.empty
        cdef str letter
        for k in marked:
            letter = self.leet[chr(cps[k])]
            cps[k] = ord(letter)
            self._lookup(cps[k], &cls[k], &folds[k])
        return frozenset(marked)

    cdef bint _mixed_scripts(self, uint8_t* cls, Py_ssize_t n) noexcept:
        """A word (letters and invisible gaps) mixing Latin, Cyrillic or Greek letters
        (normalize._MIXED_WORD)."""
        cdef Py_ssize_t i = 0
        cdef bint latin, cyrillic, greek
        while i < n:
            if not _in_word(cls[i]):
                i += 1
                continue
            latin = cyrillic = greek = False
            while i < n and _in_word(cls[i]):
                latin = latin or cls[i] == C_LATIN
                cyrillic = cyrillic or cls[i] == C_CYRILLIC
                greek = greek or cls[i] == C_GREEK
                i += 1
            if latin + cyrillic + greek >= 2:
                return True
        return False

    cdef object _collapse_runs(self, uint32_t* folds, uint32_t* starts, uint32_t* ends,
                               uint8_t* cls, Py_ssize_t* count, Py_ssize_t n):
        """Collapse repeated letters like normalize._collapse_runs, compacting the units in
        place; the collapsed units' new indexes."""
        cdef Py_ssize_t m = count[0], first = 0, stop, k, i, last_start, previous, out = 0
        cdef list reps = []
        cdef bint alone
        while first < m:
            stop = first + 1
            while stop < m and folds[stop] == folds[first]:
                stop += 1
            if stop - first < 2 or not _collapses(folds[first]):
                for k in range(first, stop):
                    _move(folds, starts, ends, k, out)
                    out += 1
                first = stop
                continue
            if starts[stop - 1] - starts[first] == stop - 1 - first:
                # most runs ("will", "good"): adjacent characters, all fold into the first
                _move(folds, starts, ends, first, out)
                ends[out] = ends[stop - 1]
                reps.append(out)
                out += 1
                first = stop
                continue
            # gaps inside the run: only one-letter pieces collapse ("s a p p", not "is shit")
            _move(folds, starts, ends, first, out)
            last_start = previous = starts[first]  # (of the unit the run collapses into)
            for k in range(first + 1, stop):
                i = starts[k]
                alone = i == previous + 1 or (
                    _single(cls, last_start, n) and (i + 1 >= n or not _kept(cls[i + 1])))
                previous = i
                if alone:
                    ends[out] = i + 1
                    if not reps or reps[len(reps) - 1] != out:
                        reps.append(out)
                else:
                    last_start = i
                    out += 1
                    _move(folds, starts, ends, k, out)
            out += 1
            first = stop
        count[0] = out
        return frozenset(reps) if reps else self.empty


cdef inline void _move(uint32_t* folds, uint32_t* starts, uint32_t* ends, Py_ssize_t src,
                       Py_ssize_t dst) noexcept:
    if src != dst:
        folds[dst] = folds[src]
        starts[dst] = starts[src]
        ends[dst] = ends[src]


cdef inline bint _single(uint8_t* cls, Py_ssize_t i, Py_ssize_t n) noexcept:
    """Original character ``i`` is a one-letter piece: no kept character on either side."""
    return (i == 0 or not _kept(cls[i - 1])) and (i + 1 >= n or not _kept(cls[i + 1]))
