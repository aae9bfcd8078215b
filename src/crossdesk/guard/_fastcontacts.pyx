# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled gate for the contact rules (crossdesk.guard.contacts.find_contacts).

``may_have_contact(text)`` walks the text's code points once, in C, over the same one-to-one
fold as ``contact_view`` (handed over by contacts.py as a table), and answers False only when
find_contacts can find nothing. It replays the phone pass exactly: number words spelled as a
digit and spaces (RE2 ``\\b`` semantics), the ``_PHONE_RE`` matches (runs of 7 to 17 digits
with up to 3 separators between digits, an optional "+"), and every rule of ``_phone_ok``
(glued ends, order cue, ISBN, digit counts, phone cue). For e-mails and links it checks what
the patterns need around the rare trigger characters ("@", "at", ":", "/"): a local part, a
domain label and a dot after it; a known scheme before "://"; a known host before "/".
Anything it cannot rule out answers True.

How: the walk is idle almost everywhere (no digit run, "+" or spelled number word pending)
and then runs a tight loop per string kind that only looks closer at digits, "+", "@", ":",
"/" and where a number word or an "at" can start (_skip_quiet). A digit run is followed
character by character; when it ends, _phone_ok re-reads the 24 characters before it for the
cues. The e-mail and link checks re-read a few characters around their trigger. Cues are
looked for in the folded text, not in the spelled one: exact for the order cues (no number
word can overlap one, see the property tests) and at worst a phone cue too many ("wa" next
to a spelled Cyrillic word), which only makes the gate say True more often.

The table (code point -> fold, for contacts._FOLD_RANGES) comes from contacts.fold_table(),
built on first use or by prepare(); its size is checked against TABLE_SIZE.
"""

from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc

from crossdesk.guard._unicode cimport PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ

# An entry is the folded code point (21 bits) and flags about the folded character above it.
cdef enum:
    FOLD_MASK = 0x1FFFFF
    F_DIGIT = 1 << 21  # an ASCII digit (every digit folds to one)
    F_SPACE = 1 << 22  # RE2's \s: [\t\n\f\r ]
    F_SEP = 1 << 23  # _SEP's class: \s - . ( ) /
    F_GLUE = 1 << 24  # glues a number to a reference: ASCII letter or digit, "-", "_"
    F_WORD = 1 << 25  # RE2's \w, for \b
    F_PLUS = 1 << 26
    F_TRIG = 1 << 27  # "@", ":", "/": may start an e-mail or link check
    F_WSTART = 1 << 28  # first letter of a number word
    F_TRIG_A = 1 << 29  # "a", as in "at" (an e-mail's "@" spelled out)
    # what can change the walk's state when no digit run, "+" or number word is pending
    NOISY = F_DIGIT | F_PLUS | F_TRIG | F_TRIG_A | F_WSTART

cdef enum:
    PLANES = 0x20000
    COMPAT_LO = 0x2F800
    COMPAT_HI = 0x2FA20
    TAGS_LO = 0xE0000
    TAGS_HI = 0xE1000
    TABLE_SIZE = PLANES + (COMPAT_HI - COMPAT_LO) + (TAGS_HI - TAGS_LO)
    WINDOW = 24  # _phone_ok's look-back for cues
    MIN_DIGITS = 7
    MAX_DIGITS = 17  # \d(?:SEP\d){6,16}
    MAX_SEPS = 3
    BUCKETS = 64
    # _class_bmp bits
    C_WAKES = 1  # a digit, "+", "@", ":" or "/": always look closer
    C_STARTS_WORD = 2  # a number word's first letter or "a" (of "at"), itself a word char:
    #                    look closer after a non-word character
    C_STARTS_NONWORD = 4  # a number word's first letter that is not a word char (Cyrillic):
    #                       look closer after a word character
    C_WORD = 8  # F_WORD


cdef struct Strings:
    # n strings of code points, string i is chars[offsets[i]:offsets[i + 1]]
    uint32_t* chars
    int* offsets
    int* values
    int n
    # strings are sorted by (first char % BUCKETS); those starting with c are among
    # bucket[c % BUCKETS] <= k < bucket[c % BUCKETS + 1]
    int bucket[BUCKETS + 1]


cdef uint32_t* _table = NULL
# a byte per BMP code point for the idle walk's inner loop (C_* bits), and a bit per BMP
# code point saying that byte is not 0 (8 KB, stays in the L1 cache for CJK text)
cdef uint8_t _class_bmp[0x10000]
cdef uint8_t _classed_bmp[0x10000 >> 3]
cdef Strings _words, _phone_cues, _phone_cues_word_end, _order_cues, _hosts, _schemes
cdef object _table_builder = None


cdef int _fill(Strings* out, list strings, list values) except -1:
    cdef int total = 0, i = 0, j, k = 0, b
    order = sorted(range(len(strings)), key=lambda i: ord(strings[i][0]) % BUCKETS)
    strings = [strings[i] for i in order]
    values = [values[i] for i in order]
    for s in strings:
        total += len(s)
    out.chars = <uint32_t*>malloc(max(total, 1) * sizeof(uint32_t))
    out.offsets = <int*>malloc((len(strings) + 1) * sizeof(int))
    out.values = <int*>malloc(max(len(strings), 1) * sizeof(int))
    if out.chars == NULL or out.offsets == NULL or out.values == NULL:
        raise MemoryError()
    out.n = len(strings)
    for b in range(BUCKETS + 1):
        out.bucket[b] = sum(1 for s in strings if ord(s[0]) % BUCKETS < b)
    for i, s in enumerate(strings):
        out.offsets[i] = k
        out.values[i] = values[i]
        for j in range(len(s)):
            out.chars[k] = ord(s[j])
            k += 1
    out.offsets[out.n] = k
    return 0


cdef void _release(Strings* s) noexcept:
    cdef int b
    free(s.chars)
    free(s.offsets)
    free(s.values)
    s.chars = NULL
    s.offsets = NULL
    s.values = NULL
    s.n = 0
    for b in range(BUCKETS + 1):
        s.bucket[b] = 0


cdef uint32_t _flags(uint32_t c) noexcept nogil:
    """The flags of a folded character."""
    cdef uint32_t flags = 0
    cdef int i
    cdef bint lower = 97 <= c <= 122
    cdef bint digit = 48 <= c <= 57
    if digit:
        flags |= F_DIGIT
    if c == 32 or c == 9 or c == 10 or c == 12 or c == 13:
        flags |= F_SPACE | F_SEP
    if c == 45 or c == 46 or c == 40 or c == 41 or c == 47:  # - . ( ) /
        flags |= F_SEP
    if lower or digit or 65 <= c <= 90 or c == 45 or c == 95:
        flags |= F_GLUE
    if lower or digit or 65 <= c <= 90 or c == 95:
        flags |= F_WORD
    if c == 43:
        flags |= F_PLUS
    if c == 64 or c == 58 or c == 47:  # @ : /
        flags |= F_TRIG
    if c == 97:
        flags |= F_TRIG_A
    for i in range(_words.n):
        if _words.chars[_words.offsets[i]] == c:
            flags |= F_WSTART
    return flags


def configure(table_builder, *, list words, list phone_cues, list phone_cues_word_end,
              list order_cues, list hosts, list schemes):
    """Hand over the patterns (already case folded) and a callable building the fold table
    (called on first use: see prepare())."""
    global _table_builder, _table
    _release(&_words)
    _release(&_phone_cues)
    _release(&_phone_cues_word_end)
    _release(&_order_cues)
    _release(&_hosts)
    _release(&_schemes)
    free(_table)
    _table = NULL
    if any(len(w) < 2 for w, _ in words):
        raise ValueError("number words have at least 2 letters (_number_word reads 2 first)")
    _fill(&_words, [w for w, _ in words], [v for _, v in words])
    _fill(&_phone_cues, phone_cues, [0] * len(phone_cues))
    _fill(&_phone_cues_word_end, phone_cues_word_end, [0] * len(phone_cues_word_end))
    _fill(&_order_cues, order_cues, [0] * len(order_cues))
    _fill(&_hosts, hosts, [0] * len(hosts))
    _fill(&_schemes, schemes, [0] * len(schemes))
    _table_builder = table_builder


def prepare():
    """Build the fold table (about 0.1 s) if it is not built yet."""
    global _table
    cdef uint32_t* table
    cdef Py_ssize_t i
    cdef uint32_t c
    if _table != NULL:
        return
    if _table_builder is None:
        raise RuntimeError("_fastcontacts.configure() was not called")
    folds = _table_builder()
    if _table != NULL:
        return  # another thread built it while the builder ran (the rest holds the GIL)
    if len(folds) != TABLE_SIZE:
        raise ValueError(f"fold table has {len(folds)} entries, expected {TABLE_SIZE}")
    table = <uint32_t*>malloc(TABLE_SIZE * sizeof(uint32_t))
    if table == NULL:
        raise MemoryError()
    for i in range(TABLE_SIZE):
        c = folds[i]
        table[i] = c | _flags(c)
    for i in range(0x10000 >> 3):
        _classed_bmp[i] = 0
    for i in range(0x10000):
        _class_bmp[i] = _bmp_class(table[i])
        if _class_bmp[i]:
            _classed_bmp[i >> 3] |= 1 << (i & 7)
    _table = table


cdef inline uint32_t _entry(uint32_t cp) noexcept nogil:
    if cp < PLANES:
        return _table[cp]
    if COMPAT_LO <= cp < COMPAT_HI:
        return _table[PLANES + cp - COMPAT_LO]
    if TAGS_LO <= cp < TAGS_HI:
        return _table[PLANES + (COMPAT_HI - COMPAT_LO) + cp - TAGS_LO]
    return cp  # folds to itself, no flags


cdef struct Text:
    int kind
    void* data
    Py_ssize_t n


cdef inline uint32_t _at(const Text* t, Py_ssize_t i) noexcept nogil:
    return _entry(PyUnicode_READ(t.kind, t.data, i))


cdef inline uint32_t _fold_at(const Text* t, Py_ssize_t i) noexcept nogil:
    return _entry(PyUnicode_READ(t.kind, t.data, i)) & FOLD_MASK


cdef inline bint _is_space(const Text* t, Py_ssize_t i) noexcept nogil:
    return (_at(t, i) & F_SPACE) != 0


cdef inline Py_ssize_t _skip_spaces(const Text* t, Py_ssize_t i) noexcept nogil:
    while i < t.n and _is_space(t, i):
        i += 1
    return i


cdef inline Py_ssize_t _skip_spaces_back(const Text* t, Py_ssize_t i) noexcept nogil:
    while i >= 0 and _is_space(t, i):
        i -= 1
    return i


cdef inline bint _matches(const Text* t, Py_ssize_t i, const Strings* s, int k,
                          Py_ssize_t limit) noexcept nogil:
    """The folded text at i spells string k of s, ending at or before limit."""
    cdef int start = s.offsets[k], length = s.offsets[k + 1] - start, j
    if i < 0 or i + length > limit:
        return False
    for j in range(length):
        if _fold_at(t, i + j) != s.chars[start + j]:
            return False
    return True


cdef inline bint _ends_with(const Text* t, Py_ssize_t end, const Strings* s,
                            int k) noexcept nogil:
    """The folded text just before end (exclusive) spells string k of s."""
    return _matches(t, end - (s.offsets[k + 1] - s.offsets[k]), s, k, end)


cdef bint _cue_in(const Text* t, Py_ssize_t lo, Py_ssize_t hi, const Strings* cues,
                  const Strings* word_end_cues) noexcept nogil:
    """A cue lies wholly in text[lo:hi] (word_end_cues followed by a non-word character or hi)."""
    cdef Py_ssize_t p, end
    cdef uint32_t c
    cdef int k
    for p in range(lo, hi):
        c = _fold_at(t, p)
        for k in range(cues.bucket[c % BUCKETS], cues.bucket[c % BUCKETS + 1]):
            if cues.chars[cues.offsets[k]] == c and _matches(t, p, cues, k, hi):
                return True
        if word_end_cues != NULL:
            for k in range(word_end_cues.bucket[c % BUCKETS],
                           word_end_cues.bucket[c % BUCKETS + 1]):
                if word_end_cues.chars[word_end_cues.offsets[k]] == c and _matches(
                    t, p, word_end_cues, k, hi
                ):
                    end = p + word_end_cues.offsets[k + 1] - word_end_cues.offsets[k]
                    if end == hi or not (_at(t, end) & F_WORD):
                        return True
    return False


cdef bint _phone_ok(const Text* t, Py_ssize_t start, int digits, bint plus, bint glued,
                    int d0, int d1, int d2) noexcept nogil:
    """contacts._phone_ok for a match of `digits` digits starting at `start` (its "+" if
    plus), glued when a Latin letter/digit, "-" or "_" touches either end."""
    cdef bint needs_cue
    if digits < MIN_DIGITS or glued:
        return False
    if digits == 13 and d0 == 9 and d1 == 7 and (d2 == 8 or d2 == 9):
        return False  # an ISBN
    if plus:
        if not 8 <= digits <= 15:
            return False
        needs_cue = False
    elif digits == 11 and d0 == 1 and d1 >= 3:
        needs_cue = False  # a Chinese mobile number
    elif 10 <= digits <= 12:
        needs_cue = True
    else:
        return False
    cdef Py_ssize_t lo = start - WINDOW if start > WINDOW else 0
    if needs_cue and not _cue_in(t, lo, start, &_phone_cues, &_phone_cues_word_end):
        return False
    return not _cue_in(t, lo, start, &_order_cues, NULL)


cdef int _number_word(const Text* t, Py_ssize_t i, bint prev_word) noexcept nogil:
    """1 + the index of the number word _WORDS_RE matches at i (\\b on both sides), or 0."""
    cdef uint32_t e = _at(t, i)
    cdef uint32_t c = e & FOLD_MASK
    cdef bint word = (e & F_WORD) != 0
    cdef int k, length, first
    cdef uint32_t second
    cdef Py_ssize_t end
    if word == prev_word or i + 1 >= t.n:
        return 0  # no \b before i, or no room for a word (all have 2 letters or more)
    second = _fold_at(t, i + 1)
    for k in range(_words.bucket[c % BUCKETS], _words.bucket[c % BUCKETS + 1]):
        first = _words.offsets[k]
        if _words.chars[first] != c or _words.chars[first + 1] != second:
            continue
        if not _matches(t, i, &_words, k, t.n):
            continue
        length = _words.offsets[k + 1] - _words.offsets[k]
        end = i + length
        if ((_at(t, end - 1) & F_WORD) != 0) != (end < t.n and (_at(t, end) & F_WORD) != 0):
            return k + 1
    return 0


# --- e-mail and link checks (at rare characters) --------------------------------------------

cdef inline bint _in(uint32_t c, const char* chars) noexcept nogil:
    while chars[0]:
        if c == <unsigned char>chars[0]:
            return True
        chars += 1
    return False


cdef inline bint _is_label(uint32_t c) noexcept nogil:
    return 97 <= c <= 122 or 48 <= c <= 57 or c == 45  # [a-z0-9\-]


cdef inline bint _is_local(uint32_t c) noexcept nogil:
    return _is_label(c) or _in(c, b"._%+")  # [a-z0-9._%+\-]


cdef inline bint _spells(const Text* t, Py_ssize_t i, const char* word) noexcept nogil:
    while word[0]:
        if i >= t.n or i < 0 or _fold_at(t, i) != <unsigned char>word[0]:
            return False
        i += 1
        word += 1
    return True


cdef bint _dot_then_label(const Text* t, Py_ssize_t m) noexcept nogil:
    """_DOT starts at m and a domain label character follows it."""
    cdef Py_ssize_t s = m, s2
    m = _skip_spaces(t, m)
    if m >= t.n:
        return False
    cdef uint32_t c = _fold_at(t, m)
    if c == 46:  # "."
        m = _skip_spaces(t, m + 1)
        return m < t.n and _is_label(_fold_at(t, m))
    if _in(c, b"([{"):
        m = _skip_spaces(t, m + 1)
        if not _spells(t, m, b"dot"):
            return False
        m = _skip_spaces(t, m + 3)
        if m >= t.n or not _in(_fold_at(t, m), b")]}"):
            return False
        m = _skip_spaces(t, m + 1)
        return m < t.n and _is_label(_fold_at(t, m))
    if m > s and _spells(t, m, b"dot"):
        s2 = m + 3
        m = _skip_spaces(t, s2)
        return m > s2 and m < t.n and _is_label(_fold_at(t, m))
    return False


cdef bint _domain_after(const Text* t, Py_ssize_t k) noexcept nogil:
    """An e-mail domain can start at k: a label of 1-63 characters, then a dot and more."""
    cdef Py_ssize_t m = k
    while m < t.n and m - k <= 63 and _is_label(_fold_at(t, m)):
        m += 1
    if m == k or m - k > 63:
        return False
    return _dot_then_label(t, m)


cdef bint _email_at_sign(const Text* t, Py_ssize_t i) noexcept nogil:
    """An e-mail can have its "@" at i."""
    cdef Py_ssize_t j = _skip_spaces_back(t, i - 1)
    if j < 0 or not _is_local(_fold_at(t, j)):
        return False
    return _domain_after(t, _skip_spaces(t, i + 1))


cdef bint _email_at_word(const Text* t, Py_ssize_t i) noexcept nogil:
    """An e-mail can have its "@" spelled "at" / "(at)" at i (text[i:i + 2] folds to "at")."""
    cdef Py_ssize_t j = _skip_spaces_back(t, i - 1), k, j2, s
    if j >= 0 and _in(_fold_at(t, j), b"([{"):
        j2 = _skip_spaces_back(t, j - 1)
        k = _skip_spaces(t, i + 2)
        if j2 >= 0 and _is_local(_fold_at(t, j2)) and k < t.n and _in(_fold_at(t, k), b")]}"):
            if _domain_after(t, _skip_spaces(t, k + 1)):
                return True
    if j < i - 1 and j >= 0 and _is_local(_fold_at(t, j)):
        s = i + 2
        k = _skip_spaces(t, s)
        return k > s and _domain_after(t, k)
    return False


cdef inline bint _is_path(uint32_t c) noexcept nogil:
    # [\w+\-/=?&#%.] (RE2's \w is ASCII)
    return (97 <= c <= 122 or 65 <= c <= 90 or 48 <= c <= 57 or c == 95
            or _in(c, b"+-/=?&#%."))


cdef Py_ssize_t _dot_back(const Text* t, Py_ssize_t p) noexcept nogil:
    """_DOT ends at p (inclusive): where the part before it ends, or -2."""
    cdef Py_ssize_t s = p, s2
    p = _skip_spaces_back(t, p)
    if p < 0:
        return -2
    cdef uint32_t c = _fold_at(t, p)
    if c == 46:
        return _skip_spaces_back(t, p - 1)
    if _in(c, b")]}"):
        p = _skip_spaces_back(t, p - 1)
        if not _spells(t, p - 2, b"dot"):
            return -2
        p = _skip_spaces_back(t, p - 3)
        if p < 0 or not _in(_fold_at(t, p), b"([{"):
            return -2
        return _skip_spaces_back(t, p - 1)
    if p < s and _spells(t, p - 2, b"dot"):
        s2 = p - 3
        p = _skip_spaces_back(t, s2)
        if p < s2:
            return p
    return -2


cdef bint _host_ends_at(const Text* t, Py_ssize_t p, int k) noexcept nogil:
    """Host k of _HOSTS (its dots as _DOT) ends at p (inclusive)."""
    cdef int h = _hosts.offsets[k + 1] - 1
    cdef uint32_t c
    while h >= _hosts.offsets[k]:
        c = _hosts.chars[h]
        if c == 46:
            p = _dot_back(t, p)
            if p == -2:
                return False
        else:
            if p < 0 or _fold_at(t, p) != c:
                return False
            p -= 1
        h -= 1
    return True


cdef bint _link_at_slash(const Text* t, Py_ssize_t i) noexcept nogil:
    """A deep link's host can end before the "/" at i: host, \\s*/\\s*, a path character."""
    cdef Py_ssize_t k = _skip_spaces(t, i + 1), j
    cdef int h
    if k >= t.n or not _is_path(_fold_at(t, k)):
        return False
    j = _skip_spaces_back(t, i - 1)
    for h in range(_hosts.n):
        if _host_ends_at(t, j, h):
            return True
    return False


cdef bint _link_at_colon(const Text* t, Py_ssize_t i) noexcept nogil:
    """A messaging scheme ("whatsapp://...") can end at the ":" at i."""
    cdef int s
    if i + 3 >= t.n or not _spells(t, i + 1, b"//"):
        return False
    cdef uint32_t c = _fold_at(t, i + 3)
    if not (_is_path(c) or c == 58):
        return False
    for s in range(_schemes.n):
        if _ends_with(t, i, &_schemes, s):
            return True
    return False


cdef bint _trigger(const Text* t, Py_ssize_t i, uint32_t c) noexcept nogil:
    if c == 64:  # "@"
        return _email_at_sign(t, i)
    if c == 97:  # "a" of "at"
        return i + 1 < t.n and _fold_at(t, i + 1) == 116 and _email_at_word(t, i)
    if c == 47:  # "/"
        return _link_at_slash(t, i)
    return _link_at_colon(t, i)  # ":"


# --- the walk --------------------------------------------------------------------------------

cdef enum:
    QUIET = 0  # only moves the walk on
    WAKE = 1  # the walk must take a full step here
    FOUND = 2  # an e-mail or link check passed: the gate says True


cdef int _wake(const Text* t, Py_ssize_t i, uint32_t e, bint prev_word) noexcept nogil:
    """What a NOISY character at i means while the walk is idle (prev_word: the character
    before i is a word character): digits and "+" wake it; a number word's first letter
    wakes it only where a number word starts; the e-mail and link triggers are checked right
    here (they do not depend on the walk's state)."""
    if e & (F_DIGIT | F_PLUS):
        return WAKE
    if e & (F_TRIG | F_TRIG_A) and _trigger(t, i, e & FOLD_MASK):
        return FOUND
    if e & F_WSTART and _number_word(t, i, prev_word):
        return WAKE
    return QUIET


cdef uint8_t _bmp_class(uint32_t e) noexcept nogil:
    cdef uint8_t c = 0
    if e & (F_DIGIT | F_PLUS | F_TRIG):
        c |= C_WAKES
    if e & (F_WSTART | F_TRIG_A):
        c |= C_STARTS_WORD if e & F_WORD else C_STARTS_NONWORD
    if e & F_WORD:
        c |= C_WORD
    return c


ctypedef fused bmp_char:
    uint8_t
    uint16_t


cdef Py_ssize_t _skip_bmp(const Text* t, const bmp_char* chars, Py_ssize_t i,
                          bint prev_word) noexcept nogil:
    """_skip_quiet for 1- and 2-byte strings: one byte of _class_bmp per character and no
    branch but "look closer", taken at digits, "+", "@", ":", "/" and where a number word
    or an "at" can start (a letter of theirs after a \b)."""
    cdef Py_ssize_t n = t.n
    cdef uint32_t c, closer, word = prev_word
    cdef int wake
    while i < n:
        if bmp_char is uint16_t:  # most CJK, Cyrillic and Arabic characters are not classed
            if not (_classed_bmp[chars[i] >> 3] >> (chars[i] & 7)) & 1:
                word = 0
                i += 1
                continue
        c = _class_bmp[chars[i]]
        closer = (c & C_WAKES) | ((c >> 1) & (word ^ 1)) | ((c >> 2) & word)
        if closer & 1:
            wake = _wake(t, i, _table[chars[i]], word)
            if wake != QUIET:
                return i if wake == WAKE else -1
        word = (c >> 3) & 1
        i += 1
    return i


cdef Py_ssize_t _skip_quiet(const Text* t, Py_ssize_t i, bint prev_word) noexcept nogil:
    """The first index >= i where the idle walk (no digit run, "+" or number word pending)
    must take a full step: a digit, a "+", the start of a number word; -1 when an e-mail or
    link check passes on the way."""
    cdef Py_ssize_t n = t.n
    cdef const uint32_t* ucs4
    cdef uint32_t e
    cdef int wake
    if t.kind == 1:
        return _skip_bmp(t, <const uint8_t*>t.data, i, prev_word)
    if t.kind == 2:
        return _skip_bmp(t, <const uint16_t*>t.data, i, prev_word)
    ucs4 = <const uint32_t*>t.data
    while i < n:
        e = _entry(ucs4[i])
        if e & NOISY:
            wake = _wake(t, i, e, prev_word)
            if wake != QUIET:
                return i if wake == WAKE else -1
        prev_word = (e & F_WORD) != 0
        i += 1
    return i


def may_have_contact(str text not None) -> bool:
    """False when find_contacts(text) is certainly empty (True may be a false alarm)."""
    if _table == NULL:
        prepare()
    cdef Text t
    t.kind = PyUnicode_KIND(text)
    t.data = PyUnicode_DATA(text)
    t.n = len(text)
    return _walk(&t)


cdef bint _walk(const Text* t) noexcept nogil:
    cdef uint32_t e, g, space = 32 | F_SPACE | F_SEP
    cdef Py_ssize_t i, spelled_until = 0, start = 0, plus_at = -1
    cdef bint prev_word = False  # raw view, for \b
    cdef bint prev_glue = False  # spelled stream
    cdef bint plus_glue = False, active = False, capped = False, plus = False
    cdef bint start_glue = False, end_glue = False
    cdef int digits = 0, seps = 0, d0 = 0, d1 = 0, d2 = 0, v, word
    cdef Py_ssize_t skip_to
    i = 0
    while i < t.n:
        if not (active or capped) and plus_at < 0 and i >= spelled_until:
            skip_to = _skip_quiet(t, i, prev_word)
            if skip_to < 0:
                return True
            if skip_to > i:
                e = _at(t, skip_to - 1)
                prev_word = (e & F_WORD) != 0
                prev_glue = (e & F_GLUE) != 0
                i = skip_to
                if i >= t.n:
                    break
        e = _at(t, i)
        if e <= FOLD_MASK and i >= spelled_until:  # no flags: a character no rule cares about
            if active or capped:
                if capped or seps == 0:
                    end_glue = False
                active = capped = False
                if _phone_ok(t, start, digits, plus, start_glue or end_glue, d0, d1, d2):
                    return True
            plus_at = -1
            prev_word = prev_glue = False
            i += 1
            continue
        if e & (F_TRIG | F_TRIG_A) and _trigger(t, i, e & FOLD_MASK):
            return True
        # the phone pass runs on the view with number words spelled as a digit and spaces
        word = _number_word(t, i, prev_word) if e & F_WSTART and i >= spelled_until else 0
        if i < spelled_until:
            g = space
        elif word:
            spelled_until = i + _words.offsets[word] - _words.offsets[word - 1]
            v = _words.values[word - 1]
            g = (48 + v) | _flags(48 + v)
        else:
            g = e
        prev_word = (e & F_WORD) != 0
        if capped:  # a 17-digit match ended before this character
            capped = active = False
            if _phone_ok(t, start, digits, plus, start_glue or (g & F_GLUE) != 0, d0, d1, d2):
                return True
        if g & F_DIGIT:
            v = (g & FOLD_MASK) - 48
            if active:  # linked to the previous digit by at most 3 separators
                digits += 1
                seps = 0
                if digits == 2:
                    d1 = v
                elif digits == 3:
                    d2 = v
                capped = digits == MAX_DIGITS
            else:
                if plus_at >= 0:
                    start, plus, start_glue = plus_at, True, plus_glue
                else:
                    start, plus, start_glue = i, False, prev_glue
                active, digits, seps, d0 = True, 1, 0, v
            plus_at = -1
        elif g & F_SEP:
            if active:
                if seps == 0:
                    end_glue = (g & F_GLUE) != 0  # the character right after the last digit
                seps += 1
                if seps > MAX_SEPS:
                    active = False
                    if _phone_ok(t, start, digits, plus, start_glue or end_glue, d0, d1, d2):
                        return True
            if not g & F_SPACE:
                plus_at = -1
        else:
            if active:
                if seps == 0:
                    end_glue = (g & F_GLUE) != 0
                active = False
                if _phone_ok(t, start, digits, plus, start_glue or end_glue, d0, d1, d2):
                    return True
            if g & F_PLUS:
                plus_at, plus_glue = i, prev_glue
            else:
                plus_at = -1
        prev_glue = (g & F_GLUE) != 0
        i += 1
    if active or capped:
        if capped or seps == 0:
            end_glue = False
        return _phone_ok(t, start, digits, plus, start_glue or end_glue, d0, d1, d2)
    return False
