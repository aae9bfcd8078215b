"""Look-alikes that must stay visible: they are what the conversation is about."""

from __future__ import annotations

import pytest

from crossdesk.masking import MaskingEngine

ENGINE = MaskingEngine()

TRAPS: list[tuple[str, str | None]] = [
    ("order #1047 and #1052 please combine", "en"),
    ("Order 4067227406935959437, bought February 5.", "en"),
    ("AliExpress order 4539578763621486 not shipped", "en"),  # Luhn-valid Visa shape
    ("주문번호 5555555555554444 배송 언제 되나요?", "ko"),  # Luhn-valid Mastercard shape
    ("订单号4111111111111111，谢谢", "zh"),
    ("4111111111111111这个单能改地址吗", "zh"),
    ("tracking 1Z999AA10123456784 stuck", "en"),
    ("DHL tracking 3446192797, stuck in Leipzig", "en"),
    ("运单号732317016535250641查不到", "zh"),
    ("IMEI 490154203237518 won't connect", "en"),
    ("Invoice F39263264 shows $3,042.00", "en"),
    ("Preis 1.299,00 € statt 999,00 €?", "de"),
    ("total R$ 8.665,00 com frete", "pt"),
    ("paid ¥12,800 on 2024-09-23", "ja"),
    ("delivered 15/03/2024 at 14:30", "en"),
    ("window 18:00-10am on September 28", "en"),
    ("SKU 63259-87 size M, qty 5", "en"),
    ("TX-4431-BLK-XL 买了3件", "zh"),
    ("gift card code 6011000990139424 shows zero", "en"),  # Luhn-valid Discover shape
    ("会员卡号5236 0533 8518 4223，积分没到账", "zh"),
    ("4111 1111 1111 1112 is my card", "en"),  # Luhn-invalid
    ("这个号310115199809160777是我朋友随手写的", "zh"),  # bad CN ID checksum
    ("Kundennummer KD-1314440", "de"),
    ("routing 021000021", "en"),
    ("coupon NEWUSER30 expired", "en"),
    ("Vous livrez à Liège ?", "fr"),
    ("Доставляете в Калининград?", "ru"),
    ("model A2849 vs A3102", "en"),
    ("version 1.2.3 of the app", "en"),
    ("ThinkPad X1 Carbon Gen 11 and iPhone 15 Pro Max 256GB", "en"),
    ("Trek-номер LP29667254870132, посылка стоит с 7 декабря", "ru"),
    ("2025年3月17日下的单，订单113-5492945-2397198", "zh"),
    ("I'm travelling next week", "en"),
    ("lol ok thanks 👍", "en"),
]


@pytest.mark.parametrize(("text", "lang"), TRAPS, ids=[t[0][:30] for t in TRAPS])
def test_trap_stays_visible(text: str, lang: str | None) -> None:
    assert [(s.type.value, text[s.start : s.end]) for s in ENGINE.analyze(text, lang=lang)] == []
