# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The pre-filter's views built in one compiled pass (see prefilter.py for what they are).

``FastPrefilter.check`` answers what ``Prefilter.may_match_python`` answers, for the same text:
0 (no key can match), 1 (the exact path must look) or -1 (this pass does not handle the text:
the caller runs the Python pre-filter). It reads the message once through the tables of
``view_tables`` (case fold, NFKD, traditional characters, gaps), builds the spaced and gapless
views of every reading (digits as letters, as written, as breaks; words joined across
punctuation) in C buffers, and asks the shared automaton once for all of them. Part-pinyin
spellings, pinyin initials and leet digits inside Hanzi words are checked here too; only the
homophone check calls back into Python, when the syllable automaton finds a key.
``tests/unit/guard/test_fastview.py`` checks that both answer alike.
"""

from libc.stdint cimport int32_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy
from cpython.unicode cimport Py_UNICODE_ISALPHA
from cpython.array cimport array

from crossdesk.guard._automaton cimport KeyAutomaton, Trie, child_of, class_of, step
from crossdesk.guard._unicode cimport (
    PyUnicode_DATA,
    PyUnicode_FromKindAndData,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_READ,
)


cdef enum:
    F_WORD = 1
    F_LETTER = 2
    F_ZW = 4
    F_ALPHA = 8
    F_HAN = 16
    F_INSTANT = 32
    F_GAP = 64  # the gap mapping changes the character
    DEFER_LEN = 255
    SAME_LEN = 254  # the character folds to itself
    MAX_FOLD = 3
    UCS4 = 4
    # answers
    CLEAN = 0
    MAYBE = 1
    UNSURE = -1
    # how a view reads ASCII digits
    D_LEET = 0  # as the letters they imitate, runs of three or more a barrier word
    D_RAW = 1  # as written
    D_SPLIT = 2  # as word breaks
    D_JOINED = 3  # as D_LEET, runs of three or more a gap (the joined words' view)
    MAX_PIECES = 8  # prefilter._MAX_PIECES
    # key modes (prefilter.SKIP / FREE / ANCHORED)
    M_FREE = 0
    M_ANCHORED = 1
    HOMOPHONE_REACH = 8  # prefilter._HOMOPHONE_REACH
    MAX_VIEWS = 5  # leet, raw and split digits; the joined words' two
    STACK_CHARS = 1024  # folded characters of a message held on the stack
    STACK_WORDS = 8192  # 4-byte words of the views' buffers held on the stack

cdef extern from *:
    # compile-time constants (module globals would be read from memory in the hot loops)
    """
    #define FV_REMOVED 0xFFFFFFFFu
    #define FV_NO_LENGTH (1 << 30)
    #define FV_BARRIER 1u
    #define FV_RUN_BREAK 0x1Fu
    """
    const uint32_t REMOVED "FV_REMOVED"
    const int32_t NO_LENGTH "FV_NO_LENGTH"
    const uint32_t BARRIER "FV_BARRIER"
    # a digit in the view reading digits as breaks: ends a word like a space, and letters
    # spelled out one by one (never in a view otherwise: _build maps ASCII controls to spaces)
    const uint32_t RUN_BREAK "FV_RUN_BREAK"


cdef inline bint ascii_lower(uint32_t c) noexcept nogil:
    return 0x61 <= c <= 0x7A


cdef inline bint ascii_digit(uint32_t c) noexcept nogil:
    return 0x30 <= c <= 0x39


cdef inline bint two_byte(uint32_t c) noexcept nogil:
    # a character UTF-8 spells in two bytes: the byte-level regexes of prefilter.py see it
    return 0x80 <= c <= 0x7FF


cdef inline bint ascii_punct(uint32_t c) noexcept nogil:
    # [!-/:-@\[-`{-\x7f], as bit masks over 0-63 and 64-127 (four range tests per character
    # were a measurable share of the scans for joined words)
    if c < 64:
        return (<uint64_t>0xfc00fffe00000000ULL >> c) & 1
    return c < 128 and (<uint64_t>0xf8000001f8000001ULL >> (c - 64)) & 1


cdef inline bint ascii_alnum(uint32_t c) noexcept nogil:
    return (0x30 <= c <= 0x39) or (0x41 <= c <= 0x5A) or (0x61 <= c <= 0x7A)


cdef inline bint soft_gap(uint32_t c) noexcept nogil:
    # prefilter._SOFT_GAPS: ASCII non-alnum except sentence punctuation and line breaks
    return c < 0x80 and not ascii_alnum(c) and c != 0x2C and c != 0x3B and c != 0x3A \
        and c != 0x21 and c != 0x3F and c != 0x0A


cdef inline bint leet_digit(uint32_t c) noexcept nogil:
    # folding.LEET's digits: 0 1 3 4 5 7 (bits 0b10111011 from "0")
    return c - 0x30 < 8 and (0xBB >> (c - 0x30)) & 1


cdef inline bint leet_symbol(uint32_t c) noexcept nogil:
    return c == 0x40 or c == 0x24 or c == 0x21 or c == 0x7C or c == 0x20AC


cdef inline bint edge_symbol(uint32_t c) noexcept nogil:
    return c == 0x40 or c == 0x24 or c == 0x20AC


cdef inline void* _buffer(void* local, size_t local_bytes, size_t need) except NULL:
    """``local`` (a caller's stack array) when ``need`` bytes fit in it, else malloc'd."""
    if need <= local_bytes:
        return local
    cdef void* p = malloc(need)
    if p == NULL:
        raise MemoryError()
    return p


cdef inline void _release(void* p, void* local) noexcept:
    if p != local:
        free(p)


cdef struct ViewPlan:
    # the views to build: source characters, their count, digit reading, Hanzi keys
    int count
    uint32_t* source[MAX_VIEWS]
    Py_ssize_t length[MAX_VIEWS]
    int digits[MAX_VIEWS]
    bint han[MAX_VIEWS]
    bint raw_last  # the last view reads digits as written (searched for the digit keys only)


cdef struct View:
    # one digit reading's spaced and gapless views (prefilter._View)
    uint32_t* combined  # spaced view, "\x00", gapless view
    Py_ssize_t spaced_len, gapless_len, spelled_from, words, kept, runs
    int32_t* literal_len  # per word: characters as written
    uint8_t* literal_word  # per word: 1 when all letters and no Hanzi
    int32_t* gapless_start  # per kept word: where it begins in the gapless view
    int32_t* kept_word  # per kept word: its index among all words
    int32_t* spelled_len  # per spelled-out run: its letters
    bint han  # also the Hanzi-view keys (Chinese text, the first two readings)


cdef struct Scratch:
    # what building a view needs only while it builds (shared by the views of one call)
    uint32_t* text  # the view's characters before splitting
    int32_t* word_start  # per word: its first character in ``text``
    int32_t* word_end


cdef struct Reader:
    # what the first pass carries from one folded character to the next
    uint32_t prev
    uint8_t prev_flags
    bint han, seen_latin, seen_other, symbols_open, prev_symbol, has_digit
    bint leet_open  # in a run of leet digits that follows a letter
    Py_ssize_t m  # characters kept in ``u``


cdef enum:
    GO_ON = 2  # _read's answer when the text may still be clean


cdef inline int _read(Reader* r, uint32_t* u, uint32_t c, uint8_t f, uint32_t o) noexcept:
    """One folded character ``c`` (flags ``f``, gap mapping ``o``): kept in ``u``, or an answer."""
    cdef bint latin, other
    if f & F_INSTANT:
        return MAYBE  # styled letters, rare Hanzi: the exact path decides
    if c == 0x2A and r.prev_flags & F_WORD:
        return MAYBE  # a masked word ("a**")
    # a Latin letter and a Cyrillic/Greek one in one word: look-alikes
    latin = ascii_lower(c)
    other = 0x370 <= c <= 0x4FF
    cdef bint leet = leet_digit(c)
    if r.leet_open and f & F_LETTER:
        # leet digits between two letters are Latin letters for the exact path ("私1下а")
        if r.seen_other:
            return MAYBE
        r.seen_latin = True
    if (latin and r.seen_other) or (other and r.seen_latin):
        return MAYBE
    # (open only right after a letter or another leet digit of the same run)
    r.leet_open = leet and (r.leet_open or (r.prev_flags & F_LETTER) != 0)
    if f & (F_LETTER | F_ZW) or leet:  # (a word runs over leet digits: "a1а")
        r.seen_latin = r.seen_latin or latin
        r.seen_other = r.seen_other or other
    else:
        r.seen_latin = False
        r.seen_other = other
    # leetspeak symbols ("wh@ts@pp"): the Python pass reads them as letters too
    if edge_symbol(c) and r.prev_flags & F_LETTER:
        return UNSURE
    if f & F_LETTER and edge_symbol(r.prev):
        return UNSURE
    if leet_symbol(c):
        r.symbols_open = r.symbols_open if r.prev_symbol else (
            (r.prev_flags & F_WORD) != 0 and r.prev != 0x5F
        )
        r.prev_symbol = True
    else:
        if r.prev_symbol and r.symbols_open and f & F_WORD and c != 0x5F:
            return UNSURE
        r.prev_symbol = False
        r.symbols_open = False
    if f & F_HAN:
        r.han = True
    r.prev = c
    r.prev_flags = f
    if o != REMOVED:
        if o >= 0x10000:
            return UNSURE  # an astral letter kept as a letter: no table for it
        u[r.m] = o
        r.m += 1
        if ascii_digit(o):
            r.has_digit = True
    return GO_ON


cdef inline bint _quiet(const Reader* r) noexcept:
    """No leet run, leet symbol or edge symbol before: a plain letter changes nothing of the
    reader but the previous character (the first pass's fast paths)."""
    return not (r.leet_open or r.prev_symbol or edge_symbol(r.prev))


cdef inline void _keep_plain(Reader* r, uint32_t* u, uint32_t c, uint8_t f) noexcept:
    """``c`` (flags ``f``) kept as it is, as _read ends for a plain letter."""
    r.prev = c
    r.prev_flags = f
    u[r.m] = c
    r.m += 1


cdef struct Keys:
    # an automaton over (a share of) the keys, and how each key may match, by key index
    # (prefilter.Prefilter's modes)
    const Trie* trie
    const int32_t* modes
    const int32_t* han_modes


cdef struct Pinyin:
    # view_tables' pinyin readings: per code point where its letters begin and how many
    const uint32_t* at
    const uint8_t* length
    const uint8_t* letters


cdef Pinyin _pinyin_of(tables, list owners) except *:
    """Pointers into ``tables``' pinyin arrays (``owners`` keeps their buffers alive)."""
    cdef const uint32_t[::1] at = tables.pinyin_at
    cdef const uint8_t[::1] length = tables.pinyin_len
    cdef const uint8_t[::1] letters = tables.pinyin
    owners.extend([at, length, letters])
    cdef Pinyin py
    py.at = &at[0]
    py.length = &length[0]
    py.letters = &letters[0]
    return py


cdef Py_ssize_t _spell(const Pinyin* py, uint32_t c, int32_t unit, uint32_t* spelled,
                       int32_t* units, uint8_t* first, Py_ssize_t size,
                       Py_ssize_t start) noexcept:
    """Append ``c`` spelled in pinyin (itself when it has no reading) at ``spelled[size]``.

    A letter repeating the one before it (from ``start`` on) is dropped: runs collapse across
    characters, as the exact path spells. Returns the new size.
    """
    cdef int count = py.length[c] if c < 0x10000 else 0
    cdef int k
    cdef uint32_t part
    for k in range(count if count else 1):
        part = py.letters[py.at[c] + k] if count else c
        if size > start and spelled[size - 1] == part and Py_UNICODE_ISALPHA(part):
            continue
        spelled[size] = part
        units[size] = unit
        first[size] = k == 0
        size += 1
    return size


cdef void _mark_word_key_starts(uint8_t* marks, list keys, const int32_t[::1] modes,
                                const int32_t[::1] han_modes) except *:
    """Marks the BMP characters some key that must begin a word (ANCHORED) begins with."""
    cdef Py_ssize_t i
    cdef uint32_t c
    for i in range(len(keys)):
        if modes[i] == M_ANCHORED or han_modes[i] == M_ANCHORED:
            c = _first(keys[i])
            if c < 0x10000:
                marks[c] = 1


def free_keys(list keys, list order, modes, han_modes):
    """The indexes in ``order`` of the keys that may match anywhere (FREE in either view) and
    do not begin with a space: the keys ``FastPrefilter`` walks an automaton for.

    (A loop over arrays here: in Python it cost a tenth of a second for 158,000 keys.) Raises
    ValueError for a key that counts letters but does not begin with a space: only the
    whole-word keys (" key ") do, and the compiled pass looks for those from the spaces.
    """
    cdef const int32_t[::1] mode_of = modes
    cdef const int32_t[::1] han_mode_of = han_modes
    cdef list picked = []
    cdef Py_ssize_t i
    for i in range(len(keys)):
        if mode_of[i] > M_ANCHORED and _first(keys[i]) != 0x20:
            raise ValueError(f"key {keys[i]!r} counts letters but does not begin with a space")
    for i in order:
        if (mode_of[i] == M_FREE or han_mode_of[i] == M_FREE) and _first(keys[i]) != 0x20:
            picked.append(i)
    return picked


cdef inline uint32_t _first(str key) noexcept:
    return PyUnicode_READ(PyUnicode_KIND(key), PyUnicode_DATA(key), 0)


cdef class FastPrefilter:
    """Compiled twin of ``Prefilter.may_match_python`` (see the module docstring)."""

    # raw pointers into the tables (``owners`` keeps their buffers alive): a memoryview
    # per access or per call would cost more than the work
    cdef const uint8_t* fold_len
    cdef const uint32_t* fold
    cdef const uint8_t* flags
    cdef const uint32_t* gap
    cdef const uint32_t* syllable
    # the keys (searched by descents from the places where a word begins) and those that
    # may match anywhere (searched by an automaton walk); see _views_hit
    cdef Keys keys
    cdef Keys free
    cdef Keys digits  # the keys holding an ASCII digit: searched in the digits-as-written view
    cdef bint has_keys, has_digit_keys
    cdef Py_ssize_t digit_reach  # the longest key holding a digit
    # where a run of digits meets another character in those keys (spaces taken out): pairs
    # of code points as (first << 32 | second), ascending; see _written_digits_needed
    cdef uint64_t* digit_edges
    cdef Py_ssize_t digit_edge_count
    cdef bint digits_alone  # a key holding a digit has nothing else (spaces taken out)
    cdef uint8_t* word_key_start  # per BMP code point: some ANCHORED key begins with it
    cdef list owners
    cdef uint32_t leet[10]
    cdef KeyAutomaton syllables  # syllable spellings of the Hanzi terms
    # per syllable key: the Hanzi terms it spells, as characters term_chars[term_at[k]:
    # term_at[k + 1]], one term after another
    cdef const uint32_t* term_chars
    cdef const int32_t* term_at
    cdef KeyAutomaton homophones
    cdef object initials
    cdef Pinyin pinyin
    cdef object astral
    cdef object python  # the Python pre-filter, for texts this pass does not handle
    cdef dict astral_cache

    def __init__(self, tables, KeyAutomaton keys, KeyAutomaton free, KeyAutomaton digits,
                 modes, han_modes, leet_digits, KeyAutomaton syllables, syllable_terms,
                 KeyAutomaton homophones, initials, astral, python):
        cdef const uint8_t[::1] fold_len = tables.fold_len
        cdef const uint32_t[::1] fold = tables.fold
        cdef const uint8_t[::1] flag_table = tables.flags
        cdef const uint32_t[::1] gap = tables.gap
        cdef const uint32_t[::1] syllable = tables.syllable
        cdef const int32_t[::1] key_modes = modes
        cdef const int32_t[::1] key_han_modes = han_modes
        self.owners = [fold_len, fold, flag_table, gap, syllable, keys, free, digits,
                       key_modes, key_han_modes]
        self.pinyin = _pinyin_of(tables, self.owners)
        self.fold_len = &fold_len[0]
        self.fold = &fold[0]
        self.flags = &flag_table[0]
        self.gap = &gap[0]
        self.syllable = &syllable[0]
        self.has_keys = keys is not None and free is not None
        if self.has_keys:
            self.keys.trie = &keys.trie
            self.free.trie = &free.trie
            self.keys.modes = self.free.modes = &key_modes[0] if len(modes) else NULL
            self.keys.han_modes = self.free.han_modes = (
                &key_han_modes[0] if len(han_modes) else NULL
            )
            self.has_digit_keys = digits is not None
            if self.has_digit_keys:
                self.digits = self.keys
                self.digits.trie = &digits.trie
                self.digit_reach = max([digits.trie.key_length[i] for i in digits._order])
                self._keep_digit_edges([digits._keys[i] for i in digits._order])
            self.word_key_start = <uint8_t*>calloc(0x10000, 1)
            if self.word_key_start == NULL:
                raise MemoryError()
            _mark_word_key_starts(self.word_key_start, keys._keys, key_modes, key_han_modes)

        for d in range(10):
            self.leet[d] = ord(leet_digits[d])
        self.syllables = syllables
        if syllables is not None:
            self._keep_terms(syllable_terms)
        self.homophones = homophones
        self.initials = initials
        self.astral = astral
        self.python = python
        self.astral_cache = {}

    def __dealloc__(self):
        free(self.word_key_start)
        free(self.digit_edges)

    cdef void _keep_digit_edges(self, list keys) except *:
        cdef set edges = set()
        cdef str key
        cdef Py_ssize_t j, n
        cdef bint alone
        for key in keys:
            key = key.replace(" ", "")
            n = len(key)
            alone = True
            for j in range(n):
                if not ("0" <= key[j] <= "9"):
                    alone = False
                    continue
                if j > 0 and not ("0" <= key[j - 1] <= "9"):
                    edges.add((<uint64_t>ord(key[j - 1]) << 32) | <uint64_t>ord(key[j]))
                if j + 1 < n and not ("0" <= key[j + 1] <= "9"):
                    edges.add((<uint64_t>ord(key[j]) << 32) | <uint64_t>ord(key[j + 1]))
            self.digits_alone = self.digits_alone or alone
        cdef list ordered = sorted(edges)
        self.digit_edge_count = len(ordered)
        self.digit_edges = <uint64_t*>malloc((len(ordered) + 1) * sizeof(uint64_t))
        if self.digit_edges == NULL:
            raise MemoryError()
        for j in range(len(ordered)):
            self.digit_edges[j] = ordered[j]

    cdef bint _digit_edge(self, uint32_t a, uint32_t b) noexcept:
        """Some key holding a digit has ``a`` then ``b`` where a run of its digits begins or
        ends (a binary search of digit_edges)."""
        cdef uint64_t pair = (<uint64_t>a << 32) | b
        cdef Py_ssize_t lo = 0, hi = self.digit_edge_count, mid
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.digit_edges[mid] < pair:
                lo = mid + 1
            else:
                hi = mid
        return lo < self.digit_edge_count and self.digit_edges[lo] == pair

    cdef bint _written_digits_needed(self, uint32_t* u, Py_ssize_t m, bint spelled) noexcept:
        """The view reading digits as written could hold a hit (``u``: the folded text;
        ``spelled``: the view reading them as letters has letters spelled out one by one).

        Only where a key holding a digit occurs, or in letters spelled out one by one
        (_written_digits_hit), which that view has only if the one reading digits as letters
        has them too (its one-letter words are the same, in the same order, with leet
        digits read as letters between them). A key holding a digit occurs only if, in ``u``
        with its gaps taken out (the view's words are those characters, repeated letters
        collapsed, which keeps every pair of neighbours), a run of digits meets a character
        the way a run of the key's digits meets it: the view's run begins or ends with the
        key's there.
        """
        cdef Py_ssize_t i
        cdef uint32_t c, prev = 0, last = 0
        cdef bint in_run = False
        if spelled:
            return True
        if not self.has_digit_keys:
            return False
        if self.digits_alone:
            return True
        for i in range(m):
            c = u[i]
            if _written_gap(c):
                continue
            if 0x41 <= c <= 0x5A:
                c += 0x20  # (as _build reads it)
            if ascii_digit(c):
                if not in_run and prev and self._digit_edge(prev, c):
                    return True
                in_run = True
                last = c
            else:
                if in_run and self._digit_edge(last, c):
                    return True
                in_run = False
            prev = c
        return False

    cdef void _keep_terms(self, list syllable_terms) except *:
        chars = array("I", [ord(c) for terms in syllable_terms for term in terms for c in term])
        at = array("i", [0])
        total = 0
        for terms in syllable_terms:
            total += sum(len(term) for term in terms)
            at.append(total)
        chars.append(0)  # (never read: keeps the buffer non-empty)
        cdef const uint32_t[::1] char_view = chars
        cdef const int32_t[::1] at_view = at
        self.owners.extend([char_view, at_view])
        self.term_chars = &char_view[0]
        self.term_at = &at_view[0]

    cdef object _astral_info(self, uint32_t cp):
        key = <int>cp
        info = self.astral_cache.get(key, self)
        if info is self:
            if len(self.astral_cache) >= 65536:
                self.astral_cache.clear()
            info = self.astral(key)
            self.astral_cache[key] = info
        return info

    def may_match(self, str text):
        """``Prefilter.may_match``: this pass's answer, the Python pre-filter's when unsure."""
        cdef int answer = self._answer(text)
        if answer >= 0:
            return answer == 1
        return self.python(text)

    def check(self, str text):
        """0: no key can match; 1: the exact path must look; -1: ask the Python pre-filter."""
        return self._answer(text)

    cdef int _answer(self, str text) except -2:
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
        # chat messages are short: their folded text fits on the stack (no malloc per call,
        # and nothing shared between calls, which may run in several threads at once)
        cdef uint32_t local[STACK_CHARS]
        if MAX_FOLD * n + 1 <= STACK_CHARS:
            return self._check(text, n, local)
        cdef uint32_t* u = <uint32_t*>malloc((MAX_FOLD * n + 1) * sizeof(uint32_t))
        if u == NULL:
            raise MemoryError()
        try:
            return self._check(text, n, u)
        finally:
            free(u)

    cdef int _check(self, str text, Py_ssize_t n, uint32_t* u) except -2:
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef Py_ssize_t i
        cdef int k, count, answer
        cdef uint32_t cp, c
        cdef uint8_t f
        cdef Reader r
        r.prev = 0
        r.prev_flags = 0
        r.han = r.seen_latin = r.seen_other = r.symbols_open = r.prev_symbol = False
        r.leet_open = False
        r.has_digit = False
        r.m = 0
        for i in range(n):
            cp = PyUnicode_READ(kind, data, i)
            if ascii_lower(cp) and not r.seen_other and _quiet(&r):
                # most characters of Latin text: what _read does for them, without the
                # tests that cannot fire (kept as they are, a Latin letter in the word)
                r.seen_latin = True
                _keep_plain(&r, u, cp, self.flags[cp])
                continue
            if cp == BARRIER:
                return UNSURE
            if cp < 0x10000:
                count = self.fold_len[cp]
                if count == SAME_LEN:  # most characters: no need to read the big tables
                    f = self.flags[cp]
                    if f & F_HAN and not f & (F_INSTANT | F_GAP) and _quiet(&r):
                        # most characters of Chinese text, as _read takes them (a letter of
                        # no script it compares, kept as it is)
                        r.han = True
                        _keep_plain(&r, u, cp, f)
                        continue
                    answer = _read(&r, u, cp, f, self.gap[cp] if f & F_GAP else cp)
                    if answer != GO_ON:
                        return answer
                    continue
                if count == DEFER_LEN:
                    return UNSURE
                for k in range(count):
                    c = self.fold[cp * MAX_FOLD + k]
                    answer = _read(&r, u, c, self.flags[c], self.gap[c])
                    if answer != GO_ON:
                        return answer
            else:
                info = self._astral_info(cp)
                if info is None:
                    return UNSURE
                for k in range(len(info)):
                    answer = _read(&r, u, info[k][0], info[k][1], info[k][2])
                    if answer != GO_ON:
                        return answer
        cdef Py_ssize_t m = r.m
        cdef bint han = r.han
        cdef bint has_digit = r.has_digit
        if self._all_views_hit(u, m, han, has_digit):
            return MAYBE
        if not han:
            return CLEAN
        if self.syllables is not None and self._homophone_hit(u, m):
            return MAYBE
        return MAYBE if self._han_latin_hit(u, m) else CLEAN

    cdef int _joined_spans(self, uint32_t* u, Py_ssize_t m, uint32_t* local,
                           uint32_t** out, Py_ssize_t* out_size) except -1:
        """The words with punctuation inside, joined ("غ-بي", "w.a"), for their views.

        Every run of up to eight consecutive pieces of such a word is a word of its own
        (prefilter._joined_spans), in the views of ``Prefilter._joined_hit``. Sets ``out`` to
        a buffer of ``out_size`` characters, left NULL when there is none: ``local`` (the
        caller's, STACK_CHARS long) when they fit, else malloc'd (the caller frees it).
        """
        cdef Py_ssize_t cap = 0, size = 0, i, j, k, a, b, first, npieces
        cdef int32_t pieces_local[STACK_CHARS]
        cdef int32_t* piece_at = <int32_t*>_buffer(
            pieces_local, STACK_CHARS * sizeof(int32_t), (2 * m + 2) * sizeof(int32_t)
        )
        cdef int32_t* piece_end = piece_at + m + 1
        cdef uint32_t* spans = NULL
        try:
            # a joined word begins at a piece after an ASCII character other than [a-z0-9]
            npieces = 0
            i = 0
            while i < m:
                if not _piece(u[i]) or (i > 0 and (u[i - 1] >= 0x80 or ascii_lower(u[i - 1])
                                                   or ascii_digit(u[i - 1]))):
                    i += 1
                    continue
                first = npieces
                j = i
                while j < m and _piece(u[j]):
                    j += 1
                piece_at[npieces] = <int32_t>i
                piece_end[npieces] = <int32_t>j
                npieces += 1
                while True:
                    k = j
                    while k < m and ascii_punct(u[k]):
                        k += 1
                    if k == j or k == m or not _piece(u[k]):
                        break
                    a = k
                    while k < m and _piece(u[k]):
                        k += 1
                    piece_at[npieces] = <int32_t>a
                    piece_end[npieces] = <int32_t>k
                    npieces += 1
                    j = k
                if npieces - first < 2:
                    npieces = first  # no punctuation inside: not a joined word
                else:
                    for a in range(first, npieces):
                        for b in range(a + 1, min(npieces, a + MAX_PIECES) + 1):
                            cap += piece_end[b - 1] - piece_at[a] + 1
                    piece_at[npieces] = -1  # ends this word's pieces
                    piece_end[npieces] = -1
                    npieces += 1
                i = j
            if cap == 0:
                return 0
            spans = <uint32_t*>_buffer(local, STACK_CHARS * sizeof(uint32_t),
                                       (cap + 1) * sizeof(uint32_t))
            first = 0
            while first < npieces:
                last = first
                while piece_at[last] >= 0:
                    last += 1
                for a in range(first, last):
                    for b in range(a + 1, min(last, a + MAX_PIECES) + 1):
                        for k in range(a, b):
                            for i in range(piece_at[k], piece_end[k]):
                                spans[size] = u[i]
                                size += 1
                        spans[size] = 0x20
                        size += 1
                first = last + 1
            out[0] = spans
            out_size[0] = size
            spans = NULL  # the caller's now
            return 0
        finally:
            _release(piece_at, pieces_local)
            if spans != NULL:
                _release(spans, local)

    cdef bint _homophone_hit(self, uint32_t* u, Py_ssize_t m) except -1:
        """Hanzi as written, soft gaps removed: a homophone of a term (威信 for 微信)?"""
        cdef uint32_t local[STACK_CHARS]
        cdef uint32_t* soft = <uint32_t*>_buffer(
            local, STACK_CHARS * sizeof(uint32_t), (2 * m + 1) * sizeof(uint32_t)
        )
        cdef uint32_t* spelled = soft + m
        cdef Py_ssize_t i, j = 0
        cdef uint32_t c, s
        try:
            for i in range(m):
                c = u[i]
                if soft_gap(c):
                    continue
                soft[j] = c
                s = self.syllable[c] if c < 0x10000 else 0
                spelled[j] = s if s else c
                j += 1
            return self._reads_like_term(soft, spelled, j)
        finally:
            _release(soft, local)

    cdef bint _reads_like_term(self, const uint32_t* soft, const uint32_t* spelled,
                               Py_ssize_t n) noexcept:
        """A window reads like a term (same syllables) and keeps enough of its characters:
        at least one, and all but one (or half, for terms of four or more)."""
        cdef const Trie* t = &self.syllables.trie
        cdef int32_t s = 0, o, ki, length, kept, a, x
        cdef Py_ssize_t end
        for end in range(1, n + 1):
            s = step(t, s, spelled[end - 1])
            o = t.state[s].out
            while o >= 0:
                ki = t.key[o]
                length = t.key_length[ki]
                a = self.term_at[ki]
                while a < self.term_at[ki + 1]:  # each term this key spells
                    kept = 0
                    for x in range(length):
                        kept += soft[end - length + x] == self.term_chars[a + x]
                    if kept and length - kept <= max(1, length // 2):
                        return True
                    a += length
                o = t.state[t.state[o].fail].out
        return False

    cdef bint _han_latin_hit(self, uint32_t* u, Py_ssize_t m) except -1:
        """Latin letters or leet digits in Chinese text: part-pinyin spellings and initials.

        Works on the text as written with ASCII gaps removed (``Prefilter._han_latin``).
        """
        cdef uint32_t local[STACK_CHARS]
        cdef uint32_t* written = <uint32_t*>_buffer(
            local, STACK_CHARS * sizeof(uint32_t), (m + 1) * sizeof(uint32_t)
        )
        cdef Py_ssize_t i, j = 0
        cdef uint32_t c
        cdef bint latin = False
        try:
            for i in range(m):
                c = u[i]
                if c < 0x80 and not ascii_alnum(c):
                    continue
                if 0x41 <= c <= 0x5A:
                    c += 0x20
                latin = latin or ascii_lower(c)
                written[j] = c
                j += 1
            if not latin and not self._leet_runs(written, j, NULL):
                return False
            return self._pinyin_hit(written, j)
        finally:
            _release(written, local)

    cdef bint _pinyin_hit(self, uint32_t* w, Py_ssize_t n) except -1:
        """Part-pinyin spellings ("wei信") and pinyin initials; then leet digits read as letters."""
        cdef int32_t* runs = <int32_t*>malloc((2 * n + 2) * sizeof(int32_t))
        cdef uint32_t* leet = NULL
        cdef Py_ssize_t i = 0, lo, nruns = 0, touching = 0, k, j
        if runs == NULL:
            raise MemoryError()
        try:
            # every Latin run, those touching a Hanzi first
            for k in range(2):
                i = 0
                while i < n:
                    if not ascii_lower(w[i]):
                        i += 1
                        continue
                    lo = i
                    while i < n and ascii_lower(w[i]):
                        i += 1
                    if ((lo > 0 and self._han(w[lo - 1])) or (i < n and self._han(w[i]))) == (k == 0):
                        runs[2 * nruns] = <int32_t>lo
                        runs[2 * nruns + 1] = <int32_t>i
                        nruns += 1
                if k == 0:
                    touching = nruns
            if self.homophones is not None and self._part_pinyin(w, n, runs, touching):
                return True
            if self.initials and self._initials_hit(w, runs, nruns):
                return True
            # leet digits between letters ("私1聊"): read as letters, only their runs are new
            nruns = self._leet_runs(w, n, runs)
            if nruns == 0:
                return False
            leet = <uint32_t*>malloc((n + 1) * sizeof(uint32_t))
            if leet == NULL:
                raise MemoryError()
            memcpy(leet, w, n * sizeof(uint32_t))
            for i in range(nruns):
                j = runs[2 * i]
                while j < n and ascii_digit(w[j]):
                    leet[j] = self.leet[w[j] - 0x30]
                    j += 1
            k = 0
            for i in range(nruns):  # each leet digit's Latin run, once
                lo = runs[2 * i]
                j = lo + 1
                while lo > 0 and ascii_lower(leet[lo - 1]):
                    lo -= 1
                while j < n and ascii_lower(leet[j]):
                    j += 1
                if k and runs[2 * (k - 1)] == lo:
                    continue
                runs[2 * k] = <int32_t>lo
                runs[2 * k + 1] = <int32_t>j
                k += 1
            if k and self.homophones is not None and self._part_pinyin(leet, n, runs, k):
                return True
            return bool(k) and bool(self.initials) and self._initials_hit(leet, runs, k)
        finally:
            free(runs)
            free(leet)

    cdef inline bint _han(self, uint32_t c) noexcept:
        return c < 0x10000 and self.flags[c] & F_HAN

    cdef inline bint _letter(self, uint32_t c) noexcept:
        return ascii_lower(c) or (0x80 <= c < 0x10000 and self.flags[c] & F_LETTER)

    cdef bint _part_pinyin(self, uint32_t* w, Py_ssize_t n, int32_t* runs,
                           Py_ssize_t nruns) except -1:
        """A homophone key spelled by whole characters, Latin letters and Hanzi both in it.

        Each Latin run in ``runs`` (lo, hi pairs) is spelled in pinyin with up to eight
        characters either side (runs of a letter collapsed across characters, as the exact
        path spells); the windows are searched in one call, separated by a character no key
        holds (Prefilter._part_pinyin).
        """
        cdef Py_ssize_t r, lo, hi, a, b, idx, start, size = 0, cap = 1
        cdef Py_ssize_t ps, pe
        cdef const Trie* t
        cdef int32_t s, o
        for r in range(nruns):
            cap += (runs[2 * r + 1] + 2 * HOMOPHONE_REACH - runs[2 * r]) * 6 + 1
        if nruns == 0:
            return False
        cdef uint32_t* spelled = <uint32_t*>malloc((cap + 1) * sizeof(uint32_t))
        cdef int32_t* unit = <int32_t*>malloc((cap + 1) * sizeof(int32_t))
        cdef uint8_t* first = <uint8_t*>malloc(cap + 1)
        if spelled == NULL or unit == NULL or first == NULL:
            free(spelled)
            free(unit)
            free(first)
            raise MemoryError()
        try:
            for r in range(nruns):
                lo = runs[2 * r]
                hi = runs[2 * r + 1]
                a = max(0, lo - HOMOPHONE_REACH)
                b = min(n, hi + HOMOPHONE_REACH)
                start = size
                for idx in range(a, b):
                    size = _spell(&self.pinyin, w[idx], <int32_t>idx, spelled, unit, first, size,
                                  start)
                spelled[size] = 0  # a window ends: no key holds this character
                unit[size] = -1
                first[size] = 1
                size += 1
            t = &self.homophones.trie
            s = 0
            for pe in range(1, size + 1):
                s = step(t, s, spelled[pe - 1])
                o = t.state[s].out
                while o >= 0:
                    ps = pe - t.key_length[t.key[o]]
                    if first[ps] and first[pe] and self._mixed(w, unit[ps], unit[pe - 1] + 1):
                        return True
                    o = t.state[t.state[o].fail].out
            return False
        finally:
            free(spelled)
            free(unit)
            free(first)

    cdef bint _mixed(self, uint32_t* w, Py_ssize_t a, Py_ssize_t b) noexcept:
        """w[a:b] holds a Hanzi and a Latin letter."""
        cdef bint han = False, latin = False
        cdef Py_ssize_t k
        for k in range(a, b):
            han = han or self._han(w[k])
            latin = latin or ascii_lower(w[k])
        return han and latin

    cdef bint _initials_hit(self, uint32_t* w, int32_t* runs, Py_ssize_t nruns) except -1:
        """Pinyin initials ("wx", "cnm") as Latin tokens of two to eight letters."""
        cdef Py_ssize_t r, p, hi, size, k, kept
        cdef uint32_t collapsed[8]
        for r in range(nruns):
            p = runs[2 * r]
            hi = runs[2 * r + 1]
            while hi - p >= 2:  # as re.findall("[a-z]{2,8}") cuts a run
                size = min(8, hi - p)
                if PyUnicode_FromKindAndData(UCS4, w + p, size) in self.initials:
                    return True
                kept = 0
                for k in range(size):
                    if kept and collapsed[kept - 1] == w[p + k]:
                        continue
                    collapsed[kept] = w[p + k]
                    kept += 1
                if kept != size and (
                    PyUnicode_FromKindAndData(UCS4, collapsed, kept) in self.initials
                ):
                    return True
                p += size
        return False

    cdef bint _leet_run(self, uint32_t* w, Py_ssize_t n, Py_ssize_t i, Py_ssize_t j) noexcept:
        """w[i:j], a whole digit run, is one or two leet digits between two letters."""
        cdef Py_ssize_t k
        if j - i > 2 or i == 0 or j >= n or not self._letter(w[i - 1]) or not self._letter(w[j]):
            return False
        for k in range(i, j):
            if w[k] not in (0x30, 0x31, 0x33, 0x34, 0x35, 0x37):
                return False
        return True

    cdef Py_ssize_t _leet_runs(self, uint32_t* w, Py_ssize_t n, int32_t* starts) noexcept:
        """The runs of one or two leet digits between two letters (prefilter._LEET_DIGIT_RUN).

        Their starts go to every other slot of ``starts`` (the caller's run pairs); with
        ``starts`` NULL, only whether there is one (1 or 0).
        """
        cdef Py_ssize_t i = 0, j, count = 0
        while i < n:
            if not ascii_digit(w[i]):
                i += 1
                continue
            j = i
            while j < n and ascii_digit(w[j]):
                j += 1
            if self._leet_run(w, n, i, j):
                if starts == NULL:
                    return 1
                starts[2 * count] = <int32_t>i
                count += 1
            i = j
        return count


    cdef bint _all_views_hit(self, uint32_t* u, Py_ssize_t m, bint han,
                             bint has_digit) except -1:
        """A key occurs in a view of the message where the exact path could accept it.

        The views: one per digit reading of the text (the raw and split readings only when
        they can differ from the leet one) and those of the joined words.
        """
        if not self.has_keys:
            return False
        cdef ViewPlan plan
        cdef uint32_t spans_local[STACK_CHARS]
        cdef uint32_t* spans = NULL
        cdef Py_ssize_t spans_len = 0
        plan.count = 0
        _plan(&plan, u, m, D_LEET, han)
        if has_digit and _letter_digit(u, m):
            _plan(&plan, u, m, D_SPLIT, False)
        try:
            if _joined(u, m):
                self._joined_spans(u, m, spans_local, &spans, &spans_len)
                if spans != NULL:
                    _plan(&plan, spans, spans_len, D_JOINED, False)
                    if has_digit:
                        _plan(&plan, spans, spans_len, D_SPLIT, False)
            # keys with digits (handles such as "ab12") match the digits as written: that
            # view is searched for them only, and for every key in its spelled-out runs
            # (Prefilter._digit_keys); planned last
            plan.raw_last = has_digit
            if plan.raw_last:
                _plan(&plan, u, m, D_RAW, han)
            return self._views_hit(&plan)
        finally:
            _release(spans, spans_local)

    cdef bint _views_hit(self, ViewPlan* plan) except -1:
        """Builds the planned views one after another in one buffer and searches them.

        The buffer lives on the stack for chat-sized messages: nothing is shared between
        calls, which may run in several threads at once. The keys are searched three ways,
        each reaching a share of them where the exact path could accept it
        (Prefilter._free_keys): descents through the trie of all keys from the spaces of the
        spaced views (keys that begin with a space) and from the places of the gapless views
        where a word may begin (keys that must begin one); an automaton walk for the keys
        that may match anywhere. The view reading digits as written (planned last) is walked
        with the automaton of the keys holding a digit instead. Whatever a search meets is
        judged by ``_key_hit`` alone.
        """
        cdef View views[MAX_VIEWS]
        cdef Scratch scratch
        cdef Py_ssize_t size = 0, widest = 0, cap, at = 0, i
        cdef int count = plan.count
        for i in range(count):
            cap = plan.length[i] + 4
            widest = max(widest, cap)
            size += _text_words(cap) + 4 * cap + (cap + 3) // 4
        size += 3 * widest  # the scratch
        cdef uint32_t local[STACK_WORDS]
        cdef uint32_t* block = local
        cdef uint32_t* cursor
        if size > STACK_WORDS:
            block = <uint32_t*>malloc(size * sizeof(uint32_t))
            if block == NULL:
                raise MemoryError()
        try:
            # the views' text first (contiguous: searched as one string), then their tables
            cursor = block
            for i in range(count):
                cursor += _text_words(plan.length[i] + 4)
            scratch.text = cursor
            scratch.word_start = <int32_t*>(cursor + widest)
            scratch.word_end = scratch.word_start + widest
            cursor += 3 * widest
            for i in range(count):
                if plan.raw_last and i == count - 1 and not self._written_digits_needed(
                        plan.source[i], plan.length[i], views[0].runs > 0):
                    plan.raw_last = False  # (that view could hold no hit: not built)
                    count -= 1
                    break
                cap = plan.length[i] + 4
                views[i].combined = block + at
                views[i].literal_len = <int32_t*>cursor
                views[i].gapless_start = views[i].literal_len + cap
                views[i].kept_word = views[i].gapless_start + cap
                views[i].spelled_len = views[i].kept_word + cap
                views[i].literal_word = <uint8_t*>(views[i].spelled_len + cap)
                cursor += 4 * cap + (cap + 3) // 4
                _build(&views[i], &scratch, plan.source[i], plan.length[i], plan.digits[i],
                       self.leet, self.flags)
                views[i].han = plan.han[i]
                at += views[i].spaced_len + 1 + views[i].gapless_len
                block[at] = 0  # no key holds it: a match never spans two views
                at += 1
            if plan.raw_last:
                count -= 1
                if self._written_digits_hit(&views[count]):
                    return True
            return (self._spaced_hit(views, count) or self._free_hit(views, count)
                    or self._anchored_hit(views, count))
        finally:
            if block != local:
                free(block)

    cdef bint _written_digits_hit(self, View* v) noexcept:
        """The view reading digits as written: the keys holding a digit anywhere, every key
        in its spelled-out runs (Prefilter._digit_keys, Prefilter._spelled_hit)."""
        if self.has_digit_keys and self._digit_keys_hit(v):
            return True
        return v.runs > 0 and (self._space_descents(v, v.spelled_from - 1)
                               or _walk_hit(&self.free, v, v.spelled_from, v.spaced_len))

    cdef bint _digit_keys_hit(self, View* v) noexcept:
        """A key holding a digit occurs in ``v`` where the exact path could accept it.

        Such a key lies within ``digit_reach`` characters of a digit of the view, so only
        those stretches are walked (merged where they overlap): most of a view is letters.
        """
        cdef Py_ssize_t n = v.spaced_len + 1 + v.gapless_len, reach = self.digit_reach
        cdef Py_ssize_t p, lo = 0, hi = 0  # the stretch not walked yet: [lo, hi)
        for p in range(n):
            if not ascii_digit(v.combined[p]):
                continue
            if p - reach + 1 > hi:
                if hi > lo and _walk_hit(&self.digits, v, lo, hi):
                    return True
                lo = p - reach + 1
            hi = min(p + reach, n)
        return hi > lo and _walk_hit(&self.digits, v, lo, hi)

    cdef bint _spaced_hit(self, View* views, int count) noexcept:
        """A key beginning with a space (a word start of the spaced view): a descent from each
        space of the spaced views (their words, then their spelled-out runs)."""
        cdef int i
        for i in range(count):
            if self._space_descents(&views[i], 0):
                return True
        return False

    cdef bint _space_descents(self, View* v, Py_ssize_t lo) noexcept:
        """A descent from each space of ``v``'s spaced view from ``lo`` on finds a key."""
        cdef Py_ssize_t p
        for p in range(lo, v.spaced_len):
            if v.combined[p] == 0x20 and _descent_hit(&self.keys, v, v.combined, p,
                                                      v.spaced_len, 0):
                return True
        return False

    cdef bint _free_hit(self, View* views, int count) noexcept:
        """A key that may match anywhere: an automaton walk over the gapless views and the
        spelled-out runs.

        Every other place of the spaced view is covered: a key without a space that occurs
        in one of its words occurs in the same word of the gapless view.
        """
        cdef View* v
        cdef int i
        for i in range(count):
            v = &views[i]
            if _walk_hit(&self.free, v, v.spelled_from, v.spaced_len):
                return True
            if _walk_hit(&self.free, v, v.spaced_len + 1, v.spaced_len + 1 + v.gapless_len):
                return True
        return False

    cdef bint _anchored_hit(self, View* views, int count) noexcept:
        """A key that must begin a word: a descent from each place of the gapless views where
        the exact path could see a word begin (every place of a word not all letters)."""
        cdef Py_ssize_t w, a, b, p, cut
        cdef View* v
        cdef uint32_t c
        cdef int i
        for i in range(count):
            v = &views[i]
            cut = v.spaced_len + 1
            for w in range(v.kept):
                a = v.gapless_start[w]
                b = v.gapless_start[w + 1] if w + 1 < v.kept else v.gapless_len
                if v.literal_word[v.kept_word[w]]:
                    b = a + 1
                for p in range(a, b):
                    c = v.combined[cut + p]
                    # (a descent from elsewhere meets only keys the walk of _free_hit finds)
                    if (c >= 0x10000 or self.word_key_start[c]) and _descent_hit(
                            &self.keys, v, v.combined + cut, p, v.gapless_len, cut):
                        return True
        return False


cdef bint _walk_hit(const Keys* keys, View* v, Py_ssize_t lo, Py_ssize_t hi) noexcept:
    """A key of ``keys`` occurs in ``v.combined[lo:hi]`` where the exact path could accept it."""
    cdef const Trie* t = keys.trie
    cdef int32_t s = 0, o, ki
    cdef Py_ssize_t end
    for end in range(lo + 1, hi + 1):
        s = step(t, s, v.combined[end - 1])
        o = t.state[s].out
        while o >= 0:
            ki = t.key[o]
            if _key_hit(v, keys.modes[ki], keys.han_modes[ki], end - t.key_length[ki]):
                return True
            o = t.state[t.state[o].fail].out
    return False


cdef bint _descent_hit(const Keys* keys, View* v, uint32_t* text, Py_ssize_t p,
                       Py_ssize_t limit, Py_ssize_t offset) noexcept:
    """A key of ``keys`` begins at ``text[p]`` (and ends by ``limit``) where the exact path
    could accept it; ``offset``: where ``text`` begins in the view."""
    cdef const Trie* t = keys.trie
    cdef uint16_t k = class_of(t, text[p])
    cdef int32_t s = t.root_next[k] if k else 0, ki
    cdef Py_ssize_t e = p + 1
    while s > 0:
        # (a key ends at s when s is its own output: the record is read anyway, the key
        # array only then)
        if t.state[s].out == s:
            ki = t.key[s]
            if _key_hit(v, keys.modes[ki], keys.han_modes[ki], offset + p):
                return True
        if e >= limit:
            return False
        k = class_of(t, text[e])
        if k == 0:
            return False
        s = child_of(t, s, k)
        e += 1
    return False


cdef bint _key_hit(View* v, int32_t mode, int32_t han_mode, Py_ssize_t start) noexcept:
    """A key matching at ``start`` of view ``v`` is where the exact path could accept it.

    ``mode``, ``han_mode``: the key's (prefilter.Prefilter's modes).
    """
    cdef Py_ssize_t cut = v.spaced_len + 1
    if mode == M_FREE:
        return True
    if start < cut:
        return mode > M_ANCHORED and _word_length(v, start) >= mode
    if mode == M_ANCHORED and _starts_word(v, start - cut):
        return True
    if v.han:
        return han_mode == M_FREE or (han_mode == M_ANCHORED and _starts_word(v, start - cut))
    return False


cdef inline void _plan(ViewPlan* plan, uint32_t* source, Py_ssize_t length, int digits,
                       bint han) noexcept:
    plan.source[plan.count] = source
    plan.length[plan.count] = length
    plan.digits[plan.count] = digits
    plan.han[plan.count] = han
    plan.count += 1


cdef inline Py_ssize_t _text_words(Py_ssize_t cap) noexcept:
    # a view's spaced and gapless text never exceeds this (and its "\x00" separator)
    return 4 * cap + 9


cdef bint _letter_digit(uint32_t* u, Py_ssize_t m) noexcept:
    """A digit run of one or two touching a letter (prefilter._LETTER_DIGIT, runs >= 3 barred)."""
    cdef Py_ssize_t i = 0, j
    while i < m:
        if not ascii_digit(u[i]):
            i += 1
            continue
        j = i
        while j < m and ascii_digit(u[j]):
            j += 1
        if j - i <= 2:
            if i > 0 and (ascii_lower(u[i - 1]) or two_byte(u[i - 1])):
                return True
            if j < m and (ascii_lower(u[j]) or two_byte(u[j])):
                return True
        i = j
    return False


cdef inline bint _written_gap(uint32_t c) noexcept:
    """``c`` of the folded text is a gap in the view reading digits as written (_build)."""
    return c < 0x80 and not ascii_lower(c) and not ascii_digit(c) and not (0x41 <= c <= 0x5A)


cdef inline bint _piece(uint32_t c) noexcept:
    return ascii_lower(c) or ascii_digit(c) or two_byte(c)


cdef bint _joined(uint32_t* u, Py_ssize_t m) noexcept:
    """Punctuation between two word pieces ("w.a", "غ-بي"): prefilter._JOINED."""
    cdef Py_ssize_t i = 0, j
    while i < m:
        if not ascii_punct(u[i]) or i == 0 or not _piece(u[i - 1]):
            i += 1
            continue
        j = i
        while j < m and ascii_punct(u[j]):
            j += 1
        if j < m and _piece(u[j]):
            return True
        i = j
    return False


cdef void _build(View* v, Scratch* s, uint32_t* u, Py_ssize_t m, int digits, uint32_t* leet,
                 const uint8_t* flags) noexcept:
    """Fills ``v`` with the views of ``u[:m]`` read with ``digits``."""
    cdef Py_ssize_t i, j, w, pos
    cdef uint32_t c, lit_c, last
    cdef uint32_t* text = s.text
    cdef int32_t* word_start = s.word_start
    cdef int32_t* word_end = s.word_end
    # 1. the view's characters (ASCII folded, gaps to spaces, digits read per ``digits``),
    #    split into words as they come, with what the word checks need from each as written
    cdef Words words
    words.t = 0
    words.open = False
    words.literal = False
    v.words = 0
    i = 0
    while i < m:
        c = u[i]
        lit_c = c
        if c < 0x80:
            if ascii_digit(c):
                if digits == D_LEET or digits == D_JOINED:
                    j = i
                    while j < m and ascii_digit(u[j]):
                        j += 1
                    if j - i >= 3:
                        i = j
                        _emit(v, s, &words, 0x20, 0x20, flags)
                        if digits == D_LEET:  # an order number: a word no key holds
                            _emit(v, s, &words, BARRIER, BARRIER, flags)
                            _emit(v, s, &words, 0x20, 0x20, flags)
                        continue
                    c = leet[c - 0x30]
                elif digits == D_SPLIT:
                    # a break, which also ends letters spelled out one by one ("غ ب ي 3 x"
                    # spells "غبي"), as in the exact path
                    c = lit_c = RUN_BREAK
            elif 0x41 <= c <= 0x5A:
                c = lit_c = c + 0x20
            elif not ascii_lower(c) and c != BARRIER:
                c = lit_c = 0x20
        _emit(v, s, &words, c, lit_c, flags)
        i += 1
    _emit(v, s, &words, 0x20, 0x20, flags)  # closes the last word
    # 3. the spaced view: " " + folded words joined by spaces + " "
    cdef uint32_t* out = v.combined
    pos = 0
    out[pos] = 0x20
    pos += 1
    for w in range(v.words):
        pos = _fold_into(out, pos, text, word_start[w], word_end[w], 0)
        out[pos] = 0x20
        pos += 1
    if v.words == 0:
        out[pos] = 0x20
        pos += 1
    v.spelled_from = pos
    # 4. letters spelled out one by one ("s e x"): each run of two or more, as one word
    v.runs = 0
    cdef Py_ssize_t run_first = -1
    cdef bint single
    for w in range(v.words + 1):
        single = w < v.words and _single_letter(text, word_start[w], word_end[w], flags)
        if single and run_first >= 0 and _broken(text, word_end[w - 1], word_start[w]):
            pos = _add_run(v, out, pos, text, word_start, run_first, w)
            run_first = -1
        if single:
            if run_first < 0:
                run_first = w
            continue
        if run_first >= 0:
            pos = _add_run(v, out, pos, text, word_start, run_first, w)
        run_first = -1
    v.spaced_len = pos
    out[pos] = 0
    pos += 1
    # 5. the gapless view: the folded words joined, a letter spelled out twice in a row
    #    ("s a p p") kept once
    v.kept = 0
    cdef uint32_t last_single = 0
    cdef Py_ssize_t before
    for w in range(v.words):
        before = pos
        pos = _fold_into(out, pos, text, word_start[w], word_end[w], 0)
        if pos - before == 1:
            if out[before] == last_single:
                pos = before
                continue
            last_single = out[before]
        else:
            last_single = 0
        v.gapless_start[v.kept] = <int32_t>(before - v.spaced_len - 1)
        v.kept_word[v.kept] = <int32_t>w
        v.kept += 1
    v.gapless_len = pos - v.spaced_len - 1


cdef inline bint _broken(const uint32_t* text, Py_ssize_t a, Py_ssize_t b) noexcept:
    """A digit read as a break lies between two words (text[a:b])."""
    while a < b:
        if text[a] == RUN_BREAK:
            return True
        a += 1
    return False


cdef Py_ssize_t _add_run(View* v, uint32_t* out, Py_ssize_t pos, const uint32_t* text,
                         const int32_t* word_start, Py_ssize_t first, Py_ssize_t stop) noexcept:
    """Appends the letters of one-letter words [first, stop) as one word, when two or more
    (a letter spelled out twice in a row kept once); the new end of ``out``."""
    cdef uint32_t c, last = 0
    cdef Py_ssize_t i
    if stop - first < 2:
        return pos
    for i in range(first, stop):
        c = text[word_start[i]]
        if c == last and (ascii_lower(c) or two_byte(c)):
            continue
        out[pos] = c
        pos += 1
        last = c
    out[pos] = 0x20
    v.spelled_len[v.runs] = <int32_t>(stop - first)
    v.runs += 1
    return pos + 1


cdef struct Words:
    # the first pass of _build: characters written, a word open, its letters as written
    Py_ssize_t t
    bint open
    bint literal


cdef inline void _emit(View* v, Scratch* s, Words* words, uint32_t c, uint32_t lit_c,
                       const uint8_t* flags) noexcept:
    """Appends ``c`` (``lit_c`` as written) to the view's text; a space (or RUN_BREAK) ends a
    word."""
    cdef Py_ssize_t t = words.t
    if c == 0x20 or c == RUN_BREAK:
        if words.open:
            s.word_end[v.words] = <int32_t>t
            v.literal_len[v.words] = <int32_t>(t - s.word_start[v.words])
            v.literal_word[v.words] = words.literal
            v.words += 1
            words.open = False
    else:
        if not words.open:
            s.word_start[v.words] = <int32_t>t
            words.open = True
            words.literal = True
        # the word as written (digits as digits) is all letters and holds no Hanzi
        if lit_c < 0x80:
            words.literal = words.literal and ascii_lower(lit_c)
        else:
            words.literal = words.literal and lit_c < 0x10000 and (
                flags[lit_c] & (F_ALPHA | F_HAN)) == F_ALPHA
    s.text[t] = c
    words.t = t + 1


cdef inline bint _single_letter(uint32_t* text, Py_ssize_t i, Py_ssize_t j,
                                const uint8_t* flags) noexcept:
    if j - i != 1:
        return False
    cdef uint32_t c = text[i]
    return ascii_lower(c) or (0x80 <= c < 0x10000 and flags[c] & F_ALPHA)


cdef int32_t _word_length(View* v, Py_ssize_t pos) noexcept:
    """Characters of the spaced view's word after the space at ``pos`` (as written)."""
    cdef Py_ssize_t k, index = 0
    cdef uint32_t* out = v.combined
    if pos >= v.spelled_from - 1:
        for k in range(v.spelled_from - 1, pos):
            if out[k] == 0x20:
                index += 1
        return v.spelled_len[index] if index < v.runs else NO_LENGTH
    for k in range(pos):
        if out[k] == 0x20:
            index += 1
    if index >= v.words:
        return NO_LENGTH
    return v.literal_len[index] if v.literal_len[index] > 1 else NO_LENGTH


cdef bint _starts_word(View* v, Py_ssize_t pos) noexcept:
    """The exact path could see a word start at ``pos`` of the gapless view."""
    cdef Py_ssize_t lo = 0, hi = v.kept, mid
    while hi - lo > 1:  # the last kept word beginning at or before pos
        mid = (lo + hi) // 2
        if v.gapless_start[mid] <= pos:
            lo = mid
        else:
            hi = mid
    if v.gapless_start[lo] == pos:
        return True
    return not v.literal_word[v.kept_word[lo]]


cdef Py_ssize_t _fold_into(uint32_t* out, Py_ssize_t pos, uint32_t* text, Py_ssize_t i,
                           Py_ssize_t j, uint32_t last) noexcept:
    """Copy text[i:j] to out[pos:], repeated letters (Latin, two-byte scripts) collapsed."""
    cdef uint32_t c
    cdef Py_ssize_t k
    for k in range(i, j):
        c = text[k]
        if c == last and (ascii_lower(c) or two_byte(c)):
            continue
        out[pos] = c
        pos += 1
        last = c
    return pos


cdef class PinyinSpeller:
    """``normalize.pinyin_view`` in one compiled pass over the tables of ``view_tables``."""

    cdef Pinyin pinyin
    cdef list owners

    def __init__(self, tables):
        self.owners = []
        self.pinyin = _pinyin_of(tables, self.owners)

    def spell(self, str text):
        """(spelled text, units, unit starts), or None for a Hanzi the tables lack."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef uint32_t* spelled = <uint32_t*>malloc((6 * n + 1) * sizeof(uint32_t))
        cdef int32_t* units = <int32_t*>malloc((6 * n + 1) * sizeof(int32_t))
        cdef uint8_t* first = <uint8_t*>malloc(6 * n + 1)
        cdef Py_ssize_t idx, size = 0, k
        cdef uint32_t cp
        if spelled == NULL or units == NULL or first == NULL:
            free(spelled)
            free(units)
            free(first)
            raise MemoryError()
        try:
            for idx in range(n):
                cp = PyUnicode_READ(kind, data, idx)
                if 0xF900 <= cp <= 0xFAFF or cp >= 0x20000:
                    return None  # compatibility and rare Hanzi: pypinyin spells them
                size = _spell(&self.pinyin, cp, <int32_t>idx, spelled, units, first, size, 0)
            return (
                PyUnicode_FromKindAndData(UCS4, spelled, size),
                tuple([units[k] for k in range(size)]),
                tuple([first[k] == 1 for k in range(size)]),
            )
        finally:
            free(spelled)
            free(units)
            free(first)
