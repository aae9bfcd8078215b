# cython: language_level=3
"""The compiled Aho-Corasick automaton's tables, walked in C by the guard's compiled passes.

``_automaton.pyx`` builds them (see its docstring); ``_fastview.pyx`` cimports this file to
walk the views it builds without turning them into Python strings.
"""

from libc.stdint cimport int32_t, uint16_t, uint32_t


cdef struct State:
    # one cache line holds a state's whole record
    int32_t first  # its first child (a state's children are consecutive states)
    int32_t end  # after its last child; -r for a state whose children are in dense row r - 1
    int32_t fail  # the longest proper suffix that is a state
    int32_t out  # the longest state on its suffix chain (itself too) ending a key, or -1


cdef struct Trie:
    # states are numbered breadth first from 0 (the root): the shallow ones, which a walk
    # visits most, share cache lines. Classes count from 1 (0: a character no key holds).
    int32_t states
    int32_t classes
    uint16_t* bmp_class  # per BMP code point: its class
    uint32_t* astral_chars  # astral code points some key holds, ascending
    uint16_t* astral_class  # their classes
    int32_t astral_count
    # the astral classes as a table from astral_chars[0] when they span at most 0x10000
    # code points (the syllable keys' private-use characters): NULL otherwise
    uint16_t* astral_table
    uint32_t astral_span
    int32_t* root_next  # per class: the state after the root (0: none)
    State* state
    uint16_t* via  # per state: the class that leads to it (siblings come in class order)
    int32_t* key  # per state: the key ending there, or -1
    int32_t* key_length  # per key: its characters
    int32_t* rows  # dense rows of the widest states: per class, the child (0: none)


cdef inline uint16_t class_of(const Trie* t, uint32_t c) noexcept nogil:
    """The class of code point ``c`` (0 when no key holds it)."""
    if c < 0x10000:
        return t.bmp_class[c]
    if t.astral_table != NULL:
        c -= t.astral_chars[0]  # (wraps around below it: then above the span too)
        return t.astral_table[c] if c < t.astral_span else 0
    cdef int32_t lo = 0, hi = t.astral_count, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if t.astral_chars[mid] < c:
            lo = mid + 1
        else:
            hi = mid
    if lo < t.astral_count and t.astral_chars[lo] == c:
        return t.astral_class[lo]
    return 0


cdef inline int32_t child_of(const Trie* t, int32_t s, uint16_t k) noexcept nogil:
    """The state ``s`` moves to on class ``k``, or -1 (``s`` is not the root)."""
    cdef int32_t lo = t.state[s].first, hi = t.state[s].end, mid
    if hi < 0:
        mid = t.rows[<Py_ssize_t>(-hi - 1) * (t.classes + 1) + k]
        return mid if mid else -1
    if hi - lo <= 8:
        while lo < hi:
            if t.via[lo] >= k:
                return lo if t.via[lo] == k else -1
            lo += 1
        return -1
    cdef int32_t last = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if t.via[mid] < k:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < last and t.via[lo] == k else -1


cdef inline int32_t step(const Trie* t, int32_t s, uint32_t c) noexcept nogil:
    """The state after reading ``c`` in state ``s`` (failure links followed)."""
    cdef uint16_t k = class_of(t, c)
    cdef int32_t nxt
    if k == 0:
        return 0
    while s != 0:
        nxt = child_of(t, s, k)
        if nxt >= 0:
            return nxt
        s = t.state[s].fail
    return t.root_next[k]


cdef class KeyAutomaton:
    cdef Trie trie
    cdef list _keys  # for pickling: rebuilt from them
    cdef list _order
    cdef readonly Py_ssize_t key_count
