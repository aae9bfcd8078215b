"""Recognizer tables: text -> expected (type, exact value) spans, Presidio style."""

from __future__ import annotations

import pytest

from crossdesk.masking import EntityType, MaskingEngine

E = EntityType
ENGINE = MaskingEngine()


def found(text: str, lang: str | None = None, region: str | None = None) -> set[tuple[str, str]]:
    return {
        (s.type.value, text[s.start : s.end])
        for s in ENGINE.analyze(text, region=region, lang=lang)
    }


CASES: list[tuple[str, str | None, str | None, set[tuple[str, str]]]] = [
    # PHONE: international, national with region hint / language, obfuscated
    ("call +1 (415) 555-2671 tonight", "en", None, {("PHONE", "+1 (415) 555-2671")}),
    ("my cell 0612345678 pls", "nl", None, {("PHONE", "0612345678")}),
    ("ring me on 07911 123456", None, "GB", {("PHONE", "07911 123456")}),
    ("手机：１３９１２３４５６７８", "zh", None, {("PHONE", "１３９１２３４５６７８")}),
    ("رقم جوالي ٠٥٠١٢٣٤٥٦٧ 🙏", "ar", None, {("PHONE", "٠٥٠١٢٣٤٥٦٧")}),
    ("номер 8 916 123-45-67, звоните", "ru", None, {("PHONE", "8 916 123-45-67")}),
    ("Llámame al 6 1 2 - 3 4 5 - 6 7 8", "es", None, {("PHONE", "6 1 2 - 3 4 5 - 6 7 8")}),
    ("my number: O2O 7946 OO18", "en", None, {("PHONE", "O2O 7946 OO18")}),
    ("加微信 一三九 一二三四 五六七八", "zh", None, {("PHONE", "一三九 一二三四 五六七八")}),
    (
        "mi número es seis uno dos, tres cuatro cinco, seis siete ocho",
        "es",
        None,
        {("PHONE", "seis uno dos, tres cuatro cinco, seis siete ocho")},
    ),
    ("WhatsApp 00 49 151 23456789", "de", None, {("PHONE", "00 49 151 23456789")}),
    ("連絡先：080ー1234ー5678", "ja", None, {("PHONE", "080ー1234ー5678")}),
    # EMAIL
    (
        "mail me: Ana.Lopez+shop@Correo.example.com.",
        "es",
        None,
        {("EMAIL", "Ana.Lopez+shop@Correo.example.com")},
    ),
    ("邮箱zhangwei88@qq.com谢谢", "zh", None, {("EMAIL", "zhangwei88@qq.com")}),
    ("write to john dot doe at gmail dot com", "en", None, {("EMAIL", "doe at gmail dot com")}),
    (
        "correo: maria.g (at) hotmail (dot) es",
        "es",
        None,
        {("EMAIL", "maria.g (at) hotmail (dot) es")},
    ),
    ("почта: иван@пример.рф", "ru", None, {("EMAIL", "иван@пример.рф")}),
    # CREDIT_CARD: Luhn + issuer
    ("card 4111-1111-1111-1111 exp 12/26", "en", None, {("CREDIT_CARD", "4111-1111-1111-1111")}),
    ("amex 3782 822463 10005", "en", None, {("CREDIT_CARD", "3782 822463 10005")}),
    (
        "カード５５５５ ５５５５ ５５５５ ４４４４",
        "ja",
        None,
        {("CREDIT_CARD", "５５５５ ５５５５ ５５５５ ４４４４")},
    ),
    ("银行卡6212261202003456788", "zh", None, {("CREDIT_CARD", "6212261202003456788")}),
    # IBAN
    (
        "IBAN: GB82 WEST 1234 5698 7654 32 thanks",
        "en",
        None,
        {("IBAN", "GB82 WEST 1234 5698 7654 32")},
    ),
    ("iban FR1420041010050500013M02606", "fr", None, {("IBAN", "FR1420041010050500013M02606")}),
    # BANK_ACCOUNT (label required)
    ("please pay into account number: 12345678901", "en", None, {("BANK_ACCOUNT", "12345678901")}),
    ("退款到账号 6230580000123456", "zh", None, {("BANK_ACCOUNT", "6230580000123456")}),
    # CN_ID
    ("身份证号11010519491231002X", "zh", None, {("CN_ID", "11010519491231002X")}),
    # NATIONAL_ID (check digits, labels)
    ("my SSN is 123-45-6789", "en", None, {("NATIONAL_ID", "123-45-6789")}),
    ("CPF: 529.982.247-25", "pt", None, {("NATIONAL_ID", "529.982.247-25")}),
    ("DNI 12345678Z", "es", None, {("NATIONAL_ID", "12345678Z")}),
    ("TC kimlik no 10000000146", "tr", None, {("NATIONAL_ID", "10000000146")}),
    ("ИНН 7707083893", "ru", None, {("NATIONAL_ID", "7707083893")}),
    ("CURP BOXW310820HNERXN09", "es", None, {("NATIONAL_ID", "BOXW310820HNERXN09")}),
    # PASSPORT (label required)
    ("passport no: X1234567", "en", None, {("PASSPORT", "X1234567")}),
    ("护照号码：E12345678", "zh", None, {("PASSPORT", "E12345678")}),
    ("여권번호 M12345678 입니다", "ko", None, {("PASSPORT", "M12345678")}),
    # CRYPTO (checksums)
    (
        "btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "en",
        None,
        {("CRYPTO", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")},
    ),
    (
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        None,
        None,
        {("CRYPTO", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")},
    ),
    (
        "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "en",
        None,
        {("CRYPTO", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")},
    ),
    # IP
    ("blocked from 203.0.113.77!", "en", None, {("IP", "203.0.113.77")}),
    ("IPv6 2001:db8::8a2e:370:7334 ok", "en", None, {("IP", "2001:db8::8a2e:370:7334")}),
    # HANDLE and URL
    ("dm me @maria_store88 on insta", "en", None, {("HANDLE", "@maria_store88")}),
    ("微信号：wxid_abc123", "zh", None, {("HANDLE", "wxid_abc123")}),
    (
        "add me t.me/shop_helper or wa.me/447700900123",
        "en",
        None,
        {("URL", "t.me/shop_helper"), ("URL", "wa.me/447700900123")},
    ),
    ("see https://example.com/a?b=1.", "en", None, {("URL", "https://example.com/a?b=1")}),
    # ADDRESS
    (
        "ship to 221 Baker Street, London NW1 6XE please",
        "en",
        None,
        {("ADDRESS", "221 Baker Street, London NW1 6XE")},
    ),
    (
        "Lieferung an Hauptstraße 5, 80331 München",
        "de",
        None,
        {("ADDRESS", "Hauptstraße 5, 80331 München")},
    ),
    ("寄到上海市浦东新区世纪大道100号", "zh", None, {("ADDRESS", "上海市浦东新区世纪大道100号")}),
    # PERSON (cue-based)
    ("Hello, my name is Sofia Marquez and I need help", "en", None, {("PERSON", "Sofia Marquez")}),
    ("Меня зовут Анна Смирнова", "ru", None, {("PERSON", "Анна Смирнова")}),
    ("我叫王小明，订单没到", "zh", None, {("PERSON", "王小明")}),
]


@pytest.mark.parametrize(
    ("text", "lang", "region", "expected"), CASES, ids=[c[0][:30] for c in CASES]
)
def test_recognizer_table(
    text: str, lang: str | None, region: str | None, expected: set[tuple[str, str]]
) -> None:
    assert found(text, lang, region) == expected


def test_sub_types_are_reported() -> None:
    text = "card 4111 1111 1111 1111, SSN 123-45-6789, tel +44 20 7946 0018"
    subs = {s.type: s.sub for s in ENGINE.analyze(text, lang="en")}
    assert subs == {E.CREDIT_CARD: "visa", E.NATIONAL_ID: "US_SSN", E.PHONE: "GB"}


def test_region_hint_changes_national_reading() -> None:
    text = "number 0201234567 please"
    assert ("PHONE", "0201234567") in found(text, region="NL")


def test_wa_me_link_is_url_not_phone() -> None:
    assert found("me chama aqui wa.me/5581979143499", "pt") == {("URL", "wa.me/5581979143499")}
