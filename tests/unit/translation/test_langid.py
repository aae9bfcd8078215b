from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.translation.langid import LanguageDetector


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    d = LanguageDetector()
    d.warm_up()
    return d


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("hola, mi pedido no ha llegado todavía", "es"),
        ("Obrigado, já recebi a encomenda", "pt"),
        ("サイズが小さかったので交換できますか？", "ja"),
        ("택배 조회가 안 돼요", "ko"),
        ("ขอบคุณค่ะ", "th"),
        ("شكراً", "ar"),
        ("退款什么时候到账？", "zh-Hans"),
        ("運費怎麼這麼貴啊", "zh-Hant"),
        ("дякую!", "uk"),
        ("чекаю вже третій тиждень", "uk"),
        ("Здравствуйте! Заказ ещё не отправлен", "ru"),
        ("ok ạ", "vi"),
        ("thx!! 🙏", "en"),
        ("blz, valeu", "pt"),
        ("passt, danke", "de"),
        ("kargo takip linki açılmıyor https://www.yurticikargo.com/tr/x", "tr"),
    ],
)
def test_detects_short_chat_messages(detector: LanguageDetector, text: str, lang: str) -> None:
    assert detector.detect(text).lang == lang


@pytest.mark.parametrize("text", ["ok", "👍👍", "#5583920147", "https://x.com/a", "", "  ?? "])
def test_too_little_to_go_on_keeps_the_current_language(
    detector: LanguageDetector, text: str
) -> None:
    assert detector.detect(text, current="es").lang == "es"
    result = detector.detect(text)
    assert (result.lang, result.method) == ("und", "none")


def test_allowed_languages_restrict_model_candidates() -> None:
    # fastText's lite model leans Persian on this Arabic word; a workspace without fa says ar.
    assert LanguageDetector(["ar", "en"]).detect("شكراً جزيلاً").lang == "ar"


def test_model_loads_with_the_network_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    fresh = LanguageDetector()
    assert fresh.detect("Guten Tag, wo ist mein Paket?").lang == "de"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60), st.sampled_from(["en", "es", "zh-Hans"]))
def test_policy_always_answers_a_code_and_falls_back_to_current(text: str, current: str) -> None:
    detector = LanguageDetector()
    result = detector.detect(text, current=current)
    assert result.lang and 0.0 <= result.score <= 1.0
    if result.method == "fallback":
        assert result.lang == current
    letters = sum(ch.isalpha() for ch in text)
    if letters == 0:
        assert result.lang == current
