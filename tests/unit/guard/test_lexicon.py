"""Loading word lists: formats, validation errors naming file and line, fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdesk.errors import InvalidInput
from crossdesk.guard import (
    Action,
    Guard,
    Lexicon,
    ListDirection,
    Norm,
    RegexRule,
    Term,
    load_lexicon,
    load_pack,
    parse_terms,
    starter_packs,
)


def test_txt_comments_and_categories(tmp_path: Path) -> None:
    path = tmp_path / "words.txt"
    path.write_text("# comment\n微信\tdiversion\n\nfuck\n", encoding="utf-8")
    lexicon = load_lexicon(path, category="abuse")
    assert [(t.text, t.category) for t in lexicon.terms] == [
        ("微信", "diversion"),
        ("fuck", "abuse"),
    ]


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "words.csv"
    path.write_text("term,category\nwhatsapp,diversion\npaypal,\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    assert [(t.text, t.category) for t in lexicon.terms] == [
        ("whatsapp", "diversion"),
        ("paypal", "custom"),
    ]


@pytest.mark.parametrize(
    ("content", "line"),
    [("ok\n \tabuse\n", 2), ("ok\na\tb\tc\n", 2), ("ok\nok\n!!!\n", 3)],
)
def test_errors_name_file_and_line(tmp_path: Path, content: str, line: int) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        load_lexicon(path)
    assert f"bad.txt:{line}" in info.value.message


def test_csv_without_term_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("word\nx\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad\.csv:1"):
        load_lexicon(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_lexicon(tmp_path / "nope.txt")


def test_fingerprint_tracks_content() -> None:
    a = Lexicon("l", tuple(parse_terms("x1\nwechat\n", "s")))
    b = Lexicon("l", tuple(parse_terms("x1\nwechat\n", "s")))
    c = Lexicon("l", tuple(parse_terms("x1\nwhatsapp\n", "s")))
    assert a.version == b.version != c.version
    assert a.version != Lexicon("l", a.terms, action=Action.WARN).version


def test_policy_direction_and_action() -> None:
    block = Lexicon("b", (Term("wechat", "diversion"),), direction=ListDirection.OUTBOUND)
    warn = Lexicon("w", (Term("fuck", "abuse"),), action=Action.WARN)
    guard = Guard([block, warn])
    assert guard.scan("fuck, add my wechat", direction="outbound").action is Action.BLOCK
    inbound = guard.scan("fuck, add my wechat", direction="inbound")
    assert inbound.action is Action.WARN
    assert [h.term for h in inbound.hits] == ["fuck"]


def test_switching_a_normalization_off() -> None:
    strict = Lexicon("s", (Term("wechat", "x"),), normalizations=Norm.FOLD)
    guard = Guard([strict])
    assert [h.term for h in guard.scan("my WeChat").hits] == ["wechat"]
    assert guard.scan("my w.e.c.h.a.t").hits == ()


def test_regex_rule_runs_on_re2() -> None:
    rule = RegexRule("<HANDLE>", r"@[a-z0-9_]{4,}", "diversion")
    guard = Guard([Lexicon("r", rules=(rule,))])
    hits = guard.scan("my handle is @lily_8").hits
    assert [(h.term, h.matched) for h in hits] == [("<HANDLE>", "@lily_8")]
    with pytest.raises(InvalidInput, match="not a valid RE2 pattern"):
        Guard([Lexicon("r", rules=(RegexRule("bad", r"(a)\1"),))])


def test_starter_packs_load() -> None:
    packs = starter_packs()
    assert {p.name for p in packs} == {"pack:diversion", "pack:abuse"}
    guard = Guard(packs)
    assert {h.term for h in guard.scan("加我V信，or pay me directly").hits} >= {
        "微信",
        "pay me directly",
    }
    assert load_pack("diversion").action is Action.BLOCK
