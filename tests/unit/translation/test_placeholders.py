from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdesk.translation.placeholders import SpanKind, find_spans, protect, restore
from crossdesk.translation.types import GlossaryTerm

CASES = [
    ("Your order #5583920147 has shipped 🎉", ["#5583920147", "🎉"]),
    ("mail a.b@x.com or @shop_help", ["a.b@x.com", "@shop_help"]),
    ("see https://t.co/abc. ok?", ["https://t.co/abc"]),
    (
        "kargo linki https://www.yurticikargo.com/tr/gonderi",
        ["https://www.yurticikargo.com/tr/gonderi"],
    ),
    ("di https://cekresi.com, tolong", ["https://cekresi.com"]),
    ("chat wa.me/5511999 now", ["wa.me/5511999"]),
    ("Precio $12.99 o 12,99 € hoy", ["$12.99", "12,99 €"]),
    ("只要199元", ["199元"]),
    ("SKU AB-1234-XL in size L, 2x", ["AB-1234-XL"]),
    ("Заказ №5583920147 и LP00123456789CN", ["№5583920147", "LP00123456789CN"]),
    ("tracking 1Z999AA10123456784", ["1Z999AA10123456784"]),
    ("call ⟦PHONE_1⟧ or mail ⟦EMAIL_2⟧", ["⟦PHONE_1⟧", "⟦EMAIL_2⟧"]),
    ("stray ⟧ bracket", ["⟧"]),
    ("🤷\u200d♀️ ok", ["🤷\u200d♀️"]),
    ("il pacco è fermo da 10 giorni", []),
    ("I want 3 of them, size 42", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_protected_spans(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e, _k, _r in find_spans(text)] == expected


def test_placeholder_form_is_shared_by_messages_differing_in_order_numbers() -> None:
    one = protect("Your order #1234567 has shipped")
    two = protect("Your order #7654321 has shipped")
    assert one.text == two.text == "Your order ⟦0⟧ has shipped"


def test_glossary_terms_are_protected_case_insensitively_and_mapped() -> None:
    glossary = [GlossaryTerm("AirPods Pro"), GlossaryTerm("小米", "Xiaomi")]
    protected = protect("my airpods pro from 小米 broke", glossary)
    assert protected.text == "my ⟦0⟧ from ⟦1⟧ broke"
    assert [s.kind for s in protected.spans] == [SpanKind.GLOSSARY, SpanKind.GLOSSARY]
    assert restore(protected, "mis ⟦0⟧ de ⟦1⟧ se rompieron").text == (
        "mis airpods pro de Xiaomi se rompieron"
    )


def test_restore_reports_lost_duplicated_and_invented_placeholders() -> None:
    protected = protect("order #123456 and https://x.com/a")
    assert restore(protected, "pedido ⟦0⟧ y ⟦1⟧").ok
    assert restore(protected, "pedido ⟦ 1 ⟧ y ⟦0⟧").ok  # re-spaced, reordered: fine
    lost = restore(protected, "pedido ⟦0⟧")
    assert not lost.ok and lost.missing == (1,) and "lost 1" in lost.problem
    assert restore(protected, "⟦0⟧ ⟦0⟧ ⟦1⟧").duplicated == (0,)
    assert restore(protected, "⟦0⟧ ⟦1⟧ ⟦7⟧").unknown == (7,)


texts = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
        st.sampled_from(
            ["⟦", "⟧", "⟦PHONE_1⟧", "#123456", "@bob", "https://a.co/x", "🎉", "€", " "]
        ),
    ),
    max_size=12,
).map("".join)


@given(texts)
def test_protect_then_restore_round_trips_any_text(text: str) -> None:
    protected = protect(text)
    restored = restore(protected, protected.text)
    assert restored.ok
    assert restored.text == text
    # The placeholder form holds no bracket except our own placeholders.
    stripped = protected.text
    for span in protected.spans:
        stripped = stripped.replace(span.placeholder, "", 1)
    assert "⟦" not in stripped and "⟧" not in stripped


@given(texts, st.data())
def test_dropping_any_placeholder_is_detected(text: str, data: st.DataObject) -> None:
    protected = protect(text)
    if not protected.spans:
        return
    victim = data.draw(st.sampled_from(protected.spans))
    assert not restore(protected, protected.text.replace(victim.placeholder, "", 1)).ok
