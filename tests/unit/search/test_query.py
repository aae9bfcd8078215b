"""Query parsing: validation, engine strings that no input can break, and snippets."""

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdesk.errors import InvalidInput
from crossdesk.search.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    SearchQuery,
    fts5_literal,
    fts5_split,
    parse_query,
    pg_parts,
    pg_prefix,
)
from crossdesk.search.snippets import ELLIPSIS, make_snippet


def test_terms_are_split_deduplicated_and_cleaned() -> None:
    query = parse_query("  Refund\tREFUND  order\x00123 *** 退款 ")
    assert query.terms == ("Refund", "order", "123", "退款")
    assert query.text == "Refund REFUND order 123 *** 退款"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "type a word"),
        ("   ", "type a word"),
        ("*** &&& ---", "type a word"),
        ("x" * (MAX_QUERY_CHARS + 1), "at most 200"),
        (" ".join(f"w{i}" for i in range(MAX_TERMS + 1)), "at most 8"),
    ],
)
def test_invalid_queries_say_what_is_wrong(raw: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem) as caught:
        parse_query(raw)
    assert caught.value.fields == {"field": "q"}


def test_postgres_parts_split_cjk_from_words() -> None:
    parts = pg_parts(parse_query("订单号123 申请退款 款 hello"))
    assert parts.words == "123 hello"
    assert parts.phrases == ("订单 单号", "申请 请退 退款")
    assert parts.prefixes == ("款",)
    assert pg_prefix("款") == "'款':*"
    with pytest.raises(ValueError):
        pg_prefix("'")


def test_fts5_short_terms_are_scanned_with_trigrams_only() -> None:
    query = parse_query('ab "quoted" 退款')
    assert fts5_split(query, "trigram") == ('"""quoted"""', ("ab", "退款"))
    assert fts5_split(query, "unicode61") == ('"ab" AND """quoted""" AND "退款"', ())


_FTS = sqlite3.connect(":memory:")
_FTS.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')")
_FTS.execute("CREATE VIRTUAL TABLE u USING fts5(body)")
_FTS.execute("INSERT INTO t VALUES ('the parcel \"arrived\" 已经签收 NEAR(x) a OR b')")
_FTS.execute("INSERT INTO u VALUES ('the parcel \"arrived\" 已经签收 NEAR(x) a OR b')")


@given(st.text(max_size=MAX_QUERY_CHARS))
def test_any_string_is_a_safe_fts5_query(raw: str) -> None:
    try:
        query = parse_query(raw)
    except InvalidInput:
        return
    for table, tokenizer in (("t", "trigram"), ("u", "unicode61")):
        match, _scanned = fts5_split(query, tokenizer)
        if match is not None:
            _FTS.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (match,)).fetchone()


@given(st.text(max_size=60))
def test_an_fts5_literal_finds_its_own_text(word: str) -> None:
    """Inside the literal, operators and quotes are plain text."""
    if len(word) < 3 or "\x00" in word:
        return
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')")
    conn.execute("INSERT INTO t VALUES (?)", (f"before {word} after",))
    hits = conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (fts5_literal(word),)).fetchone()
    assert hits == (1,)


@given(st.text(max_size=MAX_QUERY_CHARS))
def test_parsed_terms_are_bounded(raw: str) -> None:
    try:
        query = parse_query(raw)
    except InvalidInput:
        return
    assert 1 <= len(query.terms) <= MAX_TERMS
    assert all(t and not any(c.isspace() for c in t) for t in query.terms)


def test_snippet_marks_hits_and_cuts_around_the_first() -> None:
    text = "x" * 300 + " the Refund was sent, refund number 42 " + "y" * 300
    snippet = make_snippet(text, ("refund",), width=80)
    assert snippet.text.startswith(ELLIPSIS) and snippet.text.endswith(ELLIPSIS)
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["Refund", "refund"]
    pieces = snippet.segments()
    assert "".join(p for p, _ in pieces) == snippet.text
    assert [p for p, hit in pieces if hit] == ["Refund", "refund"]


@given(st.text(max_size=400), st.lists(st.text(min_size=1, max_size=8), max_size=4))
def test_snippet_segments_rebuild_the_window(text: str, terms: list[str]) -> None:
    snippet = make_snippet(text, tuple(terms))
    assert "".join(p for p, _ in snippet.segments()) == snippet.text
    ends = [0]
    for start, end in snippet.highlights:
        assert ends[-1] <= start < end <= len(snippet.text)
        ends.append(end)
    assert len(snippet.text) <= 160 + 2 * len(ELLIPSIS)


def test_query_type_is_frozen() -> None:
    query = SearchQuery("a", ("a",))
    with pytest.raises(AttributeError):
        query.terms = ()  # type: ignore[misc]


def test_how_common_a_query_is_from_lexeme_statistics() -> None:
    from crossdesk.search.pg_stats import LexemeStats, most_matches

    frequency = {"refund": 0.04, "申请": 0.07, "请退": 0.07, "退款": 0.07, "warranty": 0.02}
    stats = LexemeStats(rows=1e6, frequency={**frequency, "charger": 0.02}, floor=0.001, fetched=0)

    def matches(raw: str) -> float:
        return most_matches(stats, pg_parts(parse_query(raw)))

    assert matches("Refund") == pytest.approx(40_000)
    assert matches("申请退款") == pytest.approx(70_000)  # bigrams of one phrase come together
    assert matches("warranty charger") == pytest.approx(400)  # separate words: independent
    assert matches("zebra") == pytest.approx(1_000)  # not among the frequent: at most the floor
    assert matches("退") == 1e6  # a one-character prefix may match anything
