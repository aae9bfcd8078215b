"""The contact gate (contacts.may_have_contact) never says False when find_contacts finds
something: property tests over contact-ish texts for the compiled and the Python gate, the
fold table checked against _contact_char for every code point, and examples."""

from __future__ import annotations

import importlib
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crossdesk.guard import contacts
from crossdesk.guard.contacts import (
    _contact_char,
    _find_contacts,
    find_contacts,
    fold_table,
    may_have_contact,
    python_may_have_contact,
)

# the project builds the compiled module (setup.py): a missing one is a failure, not a skip
fast = importlib.import_module("crossdesk.guard._fastcontacts")
GATES = {"compiled": fast.may_have_contact, "python": python_may_have_contact}

DIGITS = [
    *"0123456789",
    *"٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    *"۰۱۲۳۴۵۶۷۸۹",  # Persian
    *"०१२३४५६७८९",  # Devanagari
    *"０１２３４５６７８９",  # full width
    *"𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",  # mathematical bold
    *"零〇幺一二三四五六七八九两",  # Chinese numerals
    *"①②③④⑤⑥⑦⑧⑨⑩❶❷⓪",  # circled
    "1\ufe0f\u20e3", "7\u20e3", "²", "⒈", "🄂",  # keycap, superscript, "1.", "1,"
]  # fmt: skip
SEPARATORS = [" ", "  ", "-", ".", "(", ")", "/", "\t", "\n", "\u3000", "\u00a0", "\v", "_",
              "．", "－", "（", "\u2024", ", ", ":"]  # fmt: skip
NUMBER_WORDS = [*contacts._NUMBER_WORDS, "ONE", "Two", "TRÊS", "Один", "ｏｎｅ"]
EMAIL_PARTS = [
    "@",
    "＠",
    "﹫",
    " at ",
    "(at)",
    "[ at ]",
    " AT ",
    "{at}",
    " dot ",
    "(dot)",
    " . ",
    ".",
    "．",
    "com",
    "gmail",
    "john.doe",
    "x",
    "mail",
    "-",
    "%",
    "+",
]
LINK_PARTS = [
    *contacts._HOSTS,
    *(s + "://" for s in contacts._SCHEMES),
    "://",
    "/",
    " / ",
    "https://",
    "www.",
    "t",
    "me",
    "wa",
    "dot",
    "(dot)",
    "Ｔ．ＭＥ",
    "join",
    "abc",
]
CUES = [*contacts._PHONE_CUES, *contacts._PHONE_CUES_WORD_END, *contacts._ORDER_CUES,
        "Phone:", "WA", "Order #", "ISBN ", "978", "979", "86", "138", "+", "＋", "+ "]  # fmt: skip
FILLER = ["hello", "x", "Z", "é", "你好", "请问", "Привет", "товар", "مرحبا", "😊", "\u200b",
          "\u0301", " ", "。", ", ", "?"]  # fmt: skip

piece = st.sampled_from(
    DIGITS + SEPARATORS + NUMBER_WORDS + EMAIL_PARTS + LINK_PARTS + CUES + FILLER
)
digit_run = st.lists(st.sampled_from(DIGITS), min_size=1, max_size=6).map("".join)
# any character now and then: marks, compatibility forms, astral planes, surrogates
odd = st.text(max_size=2)
contactish = st.lists(st.one_of(piece, piece, digit_run, odd), max_size=40).map("".join)
chars = st.text(st.sampled_from(sorted({c for p in DIGITS + SEPARATORS + EMAIL_PARTS + CUES + FILLER
                                         for c in p})), max_size=60)  # fmt: skip


def _phone_like() -> st.SearchStrategy[str]:
    """A cue, a gap and a number of 6 to 18 digits in groups, glued or not at either end."""
    group = st.lists(st.sampled_from(DIGITS[:40]), min_size=1, max_size=5).map("".join)
    number = st.lists(st.tuples(group, st.sampled_from(SEPARATORS)), min_size=2, max_size=6).map(
        lambda parts: "".join(g + s for g, s in parts)
    )
    return st.tuples(
        st.sampled_from(["", *CUES, *FILLER]),
        st.sampled_from(["", " ", "  ", ": ", "x", "-", "是", "\u3000"]),
        st.sampled_from(["", "+", "+ ", "＋", "(", "A"]),
        number,
        st.sampled_from(["", " ", "a", "-", "_", "0", "。", " ok"]),
    ).map("".join)


@pytest.mark.parametrize("gate", GATES.values(), ids=GATES.keys())
@settings(max_examples=1500, deadline=None)
@given(text=st.one_of(contactish, chars, _phone_like()))
@example(text="call +86 138 0013 8000")
@example(text="tel one three eight one two three four five six seven eight")
@example(text="john (at) example (dot) com")
@example(text="t . me / joe")
def test_gate_never_hides_a_contact(gate: object, text: str) -> None:
    assert callable(gate)
    if _find_contacts(text):
        assert gate(text), text


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(contactish, _phone_like()))
def test_find_contacts_is_the_ungated_scan(text: str) -> None:
    assert find_contacts(text) == _find_contacts(text) == find_contacts(text, gated=True)


def test_compiled_gate_is_the_one_in_use() -> None:
    assert contacts._fast is fast
    assert may_have_contact is fast.may_have_contact


def test_fold_table_is_contact_view_for_every_code_point() -> None:
    """The table holds _contact_char for its ranges; every code point outside them folds
    to itself and is not a digit (so the compiled gate's "identity" branch is exact)."""
    table = fold_table()
    i = 0
    for lo, hi in contacts._FOLD_RANGES:
        for cp in range(lo, hi):
            assert table[i] == ord(_contact_char(chr(cp))), hex(cp)
            i += 1
    assert i == len(table)
    inside = [range(lo, hi) for lo, hi in contacts._FOLD_RANGES]
    for cp in range(0x20000, sys.maxunicode + 1):
        if not any(cp in r for r in inside[1:]):
            assert _contact_char(chr(cp)) == chr(cp), hex(cp)


ORDERS = [
    "My order number is 482913570264",
    "订单号是482913570264，麻烦帮我查一下物流",
    "已经寄回去了，单号 482913570264",
    "Номер заказа 482913570264",
    "رقم الطلب 482913570264",
    "Mi número de pedido es 482913570264",
    "tracking LP048291357 please",
    "Order 482913570264 什么时候发货",
    "ISBN 978-3-16-148410-0",
    "ref TP-13801234567",
    "Lo devolví, el seguimiento es 482913570264",
    "訂單編號482913570264",
    "price 1234567 and 7654321",
    "1Z999AA10123456784",
]
CONTACTS = [
    "call me on +44 20 7946 0958",
    "my phone: 415-555-0132",
    "加我微信 13812345678",
    "手机 138 1234 5678",
    "телефон 8 912 345 67 89",
    "+٩٧١ ٥٠ ١٢٣ ٤٥٦٧",
    "whatsapp +1 (415) 555 0132",
    "call one two one two one two one two one two",
    "mail me: jane.doe@example.co.uk",
    "jane ＠ example ． com",
    "jane (at) example (dot) com",
    "jane at example dot com",
    "https://wa.me/14155550132",
    "t.me/shopowner",
    "line.me / R / ti/p/abc",
    "whatsapp://send?phone=14155550132",
    "join discord.gg/abc",
    "wa (dot) me/123",
]


@pytest.mark.parametrize("text", ORDERS)
def test_order_numbers_do_not_wake_the_compiled_gate(text: str) -> None:
    assert _find_contacts(text) == []
    assert not fast.may_have_contact(text)


@pytest.mark.parametrize("text", CONTACTS)
@pytest.mark.parametrize("gate", GATES.values(), ids=GATES.keys())
def test_contacts_wake_both_gates(gate: object, text: str) -> None:
    assert callable(gate)
    assert _find_contacts(text), text  # the example really is a contact
    assert gate(text)


@pytest.mark.parametrize(
    "text",
    ["", "Hello, is this still available?", "亲，在吗，这件卫衣有XL码吗", "look at me", "42"],
)
def test_clean_messages_stop_at_the_compiled_gate(text: str) -> None:
    assert not fast.may_have_contact(text)
