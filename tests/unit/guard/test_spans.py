"""Text → expected spans: mixed scripts, full-width, emoji, split words, traps."""

from __future__ import annotations

import pytest

from crossdesk.guard import Guard, Lexicon, Term

TERMS = ["微信", "wechat", "whatsapp", "ватсап", "сука", "fuck", "cock", "retard", "妈的", "去死",
         "off platform", "يلعن", "qq", "paypal", "asshole"]  # fmt: skip
GUARD = Guard(
    [Lexicon("test", tuple(Term(t, "custom") for t in TERMS))],
    allow=["微信支付", "妈妈的"],
)

CASES: list[tuple[str, list[tuple[str, str]]]] = [
    # plain and case
    ("add my WeChat", [("wechat", "WeChat")]),
    ("加我微信吧", [("微信", "微信")]),
    # full-width, styled and combining letters
    ("Ｗｈａｔｓａｐｐ me", [("whatsapp", "Ｗｈａｔｓａｐｐ")]),
    ("my 🅦🅔🅒🅗🅐🅣 id", [("wechat", "🅦🅔🅒🅗🅐🅣")]),
    ("on w̶h̶a̶t̶s̶a̶p̶p̶ now", [("whatsapp", "w̶h̶a̶t̶s̶a̶p̶p")]),
    # split words: spaces, punctuation, emoji, zero-width
    ("微 信 聊", [("微信", "微 信")]),
    ("老板有微😊信吗", [("微信", "微😊信")]),
    ("f.u.c.k this", [("fuck", "f.u.c.k")]),
    ("w h a t s a p p me", [("whatsapp", "w h a t s a p p")]),
    ("ва\u200bтсап", [("ватсап", "ва\u200bтсап")]),
    ("يل\u200cعن", [("يلعن", "يل\u200cعن")]),
    # look-alikes and leetspeak
    ("cука", [("сука", "cука")]),
    ("wh@ts@pp", [("whatsapp", "wh@ts@pp")]),
    ("paypaI please", [("paypal", "paypaI")]),
    ("a**hole", [("asshole", "a**hole")]),
    # traditional, pinyin, homophones, initials
    ("加我微信號", [("微信", "微信")]),
    ("退款走weixin", [("微信", "weixin")]),
    ("可以wei信视频", [("微信", "wei信")]),
    ("加薇信处理", [("微信", "薇信")]),
    ("加wx处理更快", [("微信", "wx")]),
    ("麻的，退款", [("妈的", "麻的")]),
    # inflections are hits, other words are not
    ("fucking late", [("fuck", "fuck")]),  # the span is the term; the ending is allowed
    ("сукой", [("сука", "сук")]),
    ("OFF-PLATFORM deal", [("off platform", "OFF-PLATFORM")]),
    # traps
    ("Scunthorpe cockapoo peacock", []),
    ("flame retardant", []),
    ("Can we chat about price?", []),
    ("Oh snap, chat closed", []),
    ("What sapphire shade?", []),
    ("我用微信支付付过款了", []),
    ("这是送给我妈妈的礼物", []),
    ("过去死活不给退", []),
    ("店铺才有威信", []),
    ("这件衬衫扣扣子的地方松了", []),
    ("Please put 4 pcs in one box", []),
    ("Hi, is this dress true to size?", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_spans(text: str, expected: list[tuple[str, str]]) -> None:
    hits = [h for h in GUARD.scan(text).hits if not h.term.startswith("<")]
    assert [(h.term, h.matched) for h in hits] == expected
    for h in hits:
        assert text[h.start : h.end] == h.matched


CONTACTS = [
    ("call me 13800138000", "<PHONE>", "13800138000"),
    ("电话：幺三八 零零幺三 八零零零", "<PHONE>", "幺三八 零零幺三 八零零零"),
    ("call me at +1 (555) 010-0147", "<PHONE>", "+1 (555) 010-0147"),
    ("اتصل على +٩٦٦ ٥٠ ١٢٣ ٤٥٦٧", "<PHONE>", "+٩٦٦ ٥٠ ١٢٣ ٤٥٦٧"),
    ("①⑤⓪①②③④⑤⑥⑦⑧ 随时打", "<PHONE>", "①⑤⓪①②③④⑤⑥⑦⑧"),
    ("correo: ventas.lu(at)example(dot)com", "<EMAIL>", "ventas.lu(at)example(dot)com"),
    ("ｓａｌｅｓ＠ｅｘａｍｐｌｅ．ｃｏｍ", "<EMAIL>", "ｓａｌｅｓ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    ("join t . me / cheap_club now", "<URL>", "t . me / cheap_club"),
    ("https://wa.me/8613800138000", "<URL>", "https://wa.me/8613800138000"),
]


@pytest.mark.parametrize(("text", "rule", "matched"), CONTACTS)
def test_contact_rules(text: str, rule: str, matched: str) -> None:
    hits = [h for h in GUARD.scan(text).hits if h.term == rule]
    assert [h.matched for h in hits] == [matched]


@pytest.mark.parametrize(
    "text",
    [
        "订单号：2024031813800138000",
        "ISBN 978-7-115-12345-6 这本有货吗",
        "Batch 20240318, expiry 20260318",
        "型号 TP-1380-0138-000 的配件还有吗",
        "Tracking number: 1Z999AA10123456784",
        "Product page https://www.example-mall.com/item/88231",
    ],
)
def test_contact_traps(text: str) -> None:
    assert GUARD.scan(text).hits == ()
