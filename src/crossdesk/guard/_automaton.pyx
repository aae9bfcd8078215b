# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""An Aho-Corasick automaton over code points, walkable from C (ADR 0006).

``KeyAutomaton(keys).find(text)`` reports what ahocorasick-rs reports with
``overlapping=True``: every (key index, start, end) occurrence, by end position, the longest
first at one end. It exists because the guard's compiled pre-filter searches views it builds
in C buffers: handing them to ahocorasick-rs meant a Python string per message, its UTF-8
copy, offsets converted back and a tuple per match, which cost more than the search (ADR 0006
has the measurements). ``matcher.Automaton`` uses ahocorasick-rs where this module is not
built; ``tests/unit/guard/test_automaton.py`` checks that both report the same matches.

Layout: a character's class comes from a table (0 for a character no key holds, which sends
the walk back to the root at once); the root moves through a dense array, states with more
than 16 children through a dense row of their own, the others through their children's
classes, sorted (a short scan or a binary search). Keys are inserted in sorted order, so a
trie node's children are created in order and the trie is built in one pass along shared
prefixes; the states are then numbered breadth first, so the shallow states a walk visits
most share cache lines.
"""

from libc.stdint cimport int32_t, uint16_t, uint32_t
from libc.stdlib cimport calloc, free
from libc.string cimport memset

from crossdesk.guard._automaton cimport State, Trie, child_of, class_of, step
from crossdesk.guard._unicode cimport (
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_READ,
)


cdef enum:
    MAX_CLASSES = 65535  # classes are uint16_t; 0 is "no key holds it"
    WIDE = 16  # states with more children than this get a dense row
    ROW_BUDGET = 8 * 1024 * 1024  # entries of the dense rows, all together (32 MB)


cdef void* _alloc(size_t count, size_t size) except NULL:
    cdef void* p = calloc(count if count else 1, size)
    if p == NULL:
        raise MemoryError()
    return p


cdef class KeyAutomaton:
    """Every overlapping occurrence of a fixed set of keys, reported by key index.

    Args:
        keys: non-empty strings, no duplicates (ValueError names the first bad one).
        order: the indexes of the keys to hold, sorted by key (``sorted(range(len(keys)),
            key=keys.__getitem__)`` when omitted). Callers that build several automata
            over shares of one key list sort once; matches still carry indexes into ``keys``.
    """

    def __cinit__(self):
        memset(&self.trie, 0, sizeof(Trie))

    def __dealloc__(self):
        free(self.trie.bmp_class)
        free(self.trie.astral_chars)
        free(self.trie.astral_class)
        free(self.trie.astral_table)
        free(self.trie.root_next)
        free(self.trie.state)
        free(self.trie.via)
        free(self.trie.key)
        free(self.trie.key_length)
        free(self.trie.rows)

    def __init__(self, keys, order=None):
        if self.trie.state != NULL:
            raise RuntimeError("a KeyAutomaton is built once")
        cdef list key_list = list(keys)
        cdef list index_list
        if order is None:
            _check_keys(key_list, range(len(key_list)))  # (before sorting: it compares them)
            index_list = sorted(range(len(key_list)), key=key_list.__getitem__)
        else:
            index_list = list(order)
            _check_keys(key_list, index_list)
        self._keys = key_list
        self._order = index_list
        self.key_count = len(index_list)
        _number_classes(&self.trie, key_list, index_list)
        _build(&self.trie, key_list, index_list)

    def __reduce__(self):
        return (KeyAutomaton, (self._keys, self._order))

    def find(self, str text):
        """Every (key index, start, end) occurrence in ``text``, overlapping ones included."""
        cdef const Trie* t = &self.trie
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef int32_t s = 0, o, ki
        cdef list found = []
        if t.states <= 1:
            return found
        for i in range(n):
            s = step(t, s, PyUnicode_READ(kind, data, i))
            o = t.state[s].out
            while o >= 0:
                ki = t.key[o]
                found.append((ki, i + 1 - t.key_length[ki], i + 1))
                o = t.state[t.state[o].fail].out
        return found

    def any(self, str text):
        """True when at least one key occurs in ``text``."""
        cdef const Trie* t = &self.trie
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef int32_t s = 0
        if t.states <= 1:
            return False
        for i in range(n):
            s = step(t, s, PyUnicode_READ(kind, data, i))
            if t.state[s].out >= 0:
                return True
        return False

    @property
    def state_count(self):
        """States of the trie, the root included."""
        return self.trie.states



cdef void _check_keys(list keys, object order) except *:
    cdef Py_ssize_t n = len(keys), index
    for index in order:
        if not 0 <= index < n:
            raise ValueError(f"order names key {index}; there are {n} keys")
        key = keys[index]
        if type(key) is not str or not key:
            raise ValueError(f"key {index} is not a non-empty string: {key!r:.40}")


cdef void _number_classes(Trie* t, list keys, list order) except *:
    """Number the keys' characters 1, 2, ... in code point order (sorted keys, sorted
    children)."""
    cdef uint16_t* bmp = <uint16_t*>_alloc(0x10000, sizeof(uint16_t))
    t.bmp_class = bmp
    cdef set astral = set()
    cdef Py_ssize_t d, length, kind, classes = 0, a = 0, i
    cdef int32_t index
    cdef uint32_t cp
    cdef void* data
    for index in order:  # 1 marks the characters seen
        key = keys[index]
        length = PyUnicode_GET_LENGTH(key)
        kind = PyUnicode_KIND(key)
        data = PyUnicode_DATA(key)
        for d in range(length):
            cp = PyUnicode_READ(kind, data, d)
            if cp < 0x10000:
                bmp[cp] = 1
            else:
                astral.add(cp)
    for cp in range(0x10000):
        if bmp[cp]:
            classes += 1
            bmp[cp] = <uint16_t>min(classes, MAX_CLASSES)
    if classes + len(astral) > MAX_CLASSES:
        raise ValueError(f"the keys hold {classes + len(astral)} distinct characters; "
                         f"at most {MAX_CLASSES} are supported")
    t.astral_count = <int32_t>len(astral)
    t.astral_chars = <uint32_t*>_alloc(len(astral), sizeof(uint32_t))
    t.astral_class = <uint16_t*>_alloc(len(astral), sizeof(uint16_t))
    for cp in sorted(astral):
        t.astral_chars[a] = cp
        classes += 1
        t.astral_class[a] = <uint16_t>classes
        a += 1
    t.classes = <int32_t>classes
    if a and t.astral_chars[a - 1] - t.astral_chars[0] < 0x10000:
        t.astral_span = t.astral_chars[a - 1] - t.astral_chars[0] + 1
        t.astral_table = <uint16_t*>_alloc(t.astral_span, sizeof(uint16_t))
        for i in range(a):
            t.astral_table[t.astral_chars[i] - t.astral_chars[0]] = t.astral_class[i]


cdef void _build(Trie* t, list keys, list order) except *:
    cdef Py_ssize_t total = 1, longest = 0, length
    cdef int32_t index
    for index in order:
        length = len(<str>keys[index])
        total += length
        longest = max(longest, length)
    # the trie in insertion order, one pass over the sorted keys
    cdef int32_t* parent = <int32_t*>_alloc(total, sizeof(int32_t))
    cdef uint16_t* via = <uint16_t*>_alloc(total, sizeof(uint16_t))
    cdef int32_t* depth = <int32_t*>_alloc(total, sizeof(int32_t))
    cdef int32_t* key_at = <int32_t*>_alloc(total, sizeof(int32_t))
    cdef int32_t* path = <int32_t*>_alloc(longest + 1, sizeof(int32_t))
    cdef uint16_t* previous = <uint16_t*>_alloc(longest + 1, sizeof(uint16_t))
    cdef uint16_t* current = <uint16_t*>_alloc(longest + 1, sizeof(uint16_t))
    cdef uint16_t* swap
    cdef int32_t* renumber = NULL
    cdef int32_t* count = NULL
    cdef Py_ssize_t previous_length = 0, common, d, kind
    cdef int32_t s, p, f, nxt, states = 1
    cdef void* data
    try:
        memset(key_at, 0xFF, total * sizeof(int32_t))  # -1: no key ends here
        t.key_length = <int32_t*>_alloc(len(keys), sizeof(int32_t))
        path[0] = 0
        for index in order:
            key = keys[index]
            length = PyUnicode_GET_LENGTH(key)
            kind = PyUnicode_KIND(key)
            data = PyUnicode_DATA(key)
            for d in range(length):
                current[d] = _class(t, PyUnicode_READ(kind, data, d))
            common = 0
            while common < length and common < previous_length and \
                    current[common] == previous[common]:
                common += 1
            if common < length and common < previous_length and current[common] < previous[common]:
                raise ValueError(f"order is not sorted by key at key {index}: {key!r:.40}")
            if common == length and common < previous_length:
                raise ValueError(f"order is not sorted by key at key {index}: {key!r:.40}")
            for d in range(common, length):
                parent[states] = path[d]
                via[states] = current[d]
                depth[states] = <int32_t>(d + 1)
                path[d + 1] = states
                states += 1
            if key_at[path[length]] >= 0:
                raise ValueError(f"duplicate key {index}: {key!r:.40}")
            key_at[path[length]] = index
            t.key_length[index] = <int32_t>length
            swap = previous
            previous = current
            current = swap
            previous_length = length
        t.states = states
        # renumbered breadth first (a stable sort by depth: siblings stay consecutive and in
        # class order, and children come in their parents' order)
        count = <int32_t*>_alloc(longest + 2, sizeof(int32_t))
        for s in range(1, states):
            count[depth[s] + 1] += 1
        count[1] = 1  # the root keeps 0
        for d in range(1, longest + 2):
            count[d] += count[d - 1]
        renumber = <int32_t*>_alloc(states, sizeof(int32_t))
        for s in range(1, states):
            renumber[s] = count[depth[s]]
            count[depth[s]] += 1
        t.via = <uint16_t*>_alloc(states, sizeof(uint16_t))
        t.key = <int32_t*>_alloc(states, sizeof(int32_t))
        t.state = <State*>_alloc(states, sizeof(State))
        t.key[0] = -1
        for s in range(1, states):
            t.via[renumber[s]] = via[s]
            t.key[renumber[s]] = key_at[s]
            depth[renumber[s]] = renumber[parent[s]]  # depth[] now holds the new parents
        parent, depth = depth, parent
        t.root_next = <int32_t*>_alloc(t.classes + 1, sizeof(int32_t))
        for s in range(1, states):
            p = parent[s]
            if t.state[p].end == 0:
                t.state[p].first = s
            t.state[p].end = s + 1
            if p == 0:
                t.root_next[t.via[s]] = s
        _dense_rows(t)
        # failure links and outputs, shallow states first
        t.state[0].out = -1
        for s in range(1, states):
            p = parent[s]
            if p != 0:
                f = t.state[p].fail
                while True:
                    nxt = t.root_next[t.via[s]] if f == 0 else _child(t, f, t.via[s])
                    if nxt > 0:
                        t.state[s].fail = nxt
                        break
                    if f == 0:
                        break
                    f = t.state[f].fail
            t.state[s].out = s if t.key[s] >= 0 else t.state[t.state[s].fail].out
    finally:
        free(parent)
        free(via)
        free(depth)
        free(key_at)
        free(path)
        free(previous)
        free(current)
        free(renumber)
        free(count)


cdef void _dense_rows(Trie* t) except *:
    """Gives the states with many children a row over all classes (one lookup, not a
    binary search over scattered cache lines: the shallow states of a big dictionary, which
    most characters of a walk go through). The rows take at most ROW_BUDGET entries."""
    cdef int32_t s, c, wide = 0, row = 0, least = WIDE
    cdef Py_ssize_t width = t.classes + 1
    while True:
        wide = 0
        for s in range(1, t.states):
            if t.state[s].end - t.state[s].first > least:
                wide += 1
        if wide * width <= ROW_BUDGET:
            break
        least *= 2
    t.rows = <int32_t*>_alloc(wide * width, sizeof(int32_t))
    for s in range(1, t.states):
        if t.state[s].end - t.state[s].first > least:
            for c in range(t.state[s].first, t.state[s].end):
                t.rows[row * width + t.via[c]] = c
            row += 1
            t.state[s].end = -row  # child_of reads the row


cdef inline uint16_t _class(const Trie* t, uint32_t c) noexcept:
    return class_of(t, c)  # every character of a key has one: _classes numbered them all


cdef inline int32_t _child(const Trie* t, int32_t s, uint16_t k) noexcept:
    return child_of(t, s, k)
