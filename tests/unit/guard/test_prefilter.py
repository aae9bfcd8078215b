"""The pre-filter never rejects a message the exact path would flag; homophone limits."""

from __future__ import annotations

import pytest

from crossdesk.guard import Guard, Lexicon, Term

TERMS = ["перевод на карту", "мудак", "сука", "whatsapp", "微信", "几到太", "ab12", "telegram"]
GUARD = Guard([Lexicon("p", tuple(Term(t, "custom") for t in TERMS))])

EVASIONS = [
    ("Можно перевод на к@рту, без комиссии", "перевод на карту"),
    ("Вы муд@к, где посылка?", "мудак"),
    ("сукой", "сука"),
    ("w h a t s a p p me", "whatsapp"),
    ("s.a.p.p wh@ts@pp", "whatsapp"),
    ("加我薇信", "微信"),
    ("my id ab12 ok", "ab12"),
    ("teleeegram pls", "telegram"),
    ("加我wei信", "微信"),
]


@pytest.mark.parametrize(("text", "term"), EVASIONS)
def test_prefilter_passes_evasions(text: str, term: str) -> None:
    assert GUARD._prefilter.may_match(text)
    assert term in {h.term for h in GUARD.scan(text).hits}


@pytest.mark.parametrize(
    "text", ["Hello, is this still available?", "寄到台中要几天", "亲，在吗，这件卫衣有XL码吗"]
)
def test_clean_messages_stop_at_the_prefilter(text: str) -> None:
    assert not GUARD.scan(text).hits


def test_a_homophone_changes_at_most_half_of_a_longer_term() -> None:
    assert not GUARD.scan("寄到台中要几天").hits  # 寄到台 reads like 几到太 but keeps one of three
    assert [h.term for h in GUARD.scan("几到台").hits] == ["几到太"]
