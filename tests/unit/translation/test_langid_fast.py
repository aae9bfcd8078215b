"""The language-ID shortcuts change nothing: the noise pre-check strips exactly what the full
pattern strips, the direct fastText call returns the wrapper's numbers, and cached
decisions equal fresh ones."""

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdesk.translation import langid
from crossdesk.translation.langid import LanguageDetector

DATA = Path("/work/shared/data/langid-dev.jsonl")
PIECES = st.sampled_from(
    [
        "hola",
        "thx",
        "ok",
        " ",
        "🙏",
        "@ana",
        "12",
        "#A-77",
        "https://x.io/a",
        "mi.shop",
        "⟦PHONE_1⟧",
        "é",
        "ñ",
        "_",
        ":",
        "/",
        ".",
        "спасибо",
        "谢谢",
        "\n",
        "a_b",
        "٣",
        "x@y.com",
        "www.",
        ".com",
        "ru",
        "ab.cn/x",
        "http://",
        "a@b",
        "-",
        "shop.store.vn!",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(text=st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=12).map("".join)))
def test_noise_precheck_is_exact(text: str) -> None:
    assert langid._strip(text) == langid._NOISE.sub(" ", text).strip()


def test_every_alternative_has_its_trigger() -> None:
    """Each alternative needs its trigger: tried on texts built to match it alone."""
    samples = {
        "://": "see https://shop.example/x now",
        "www.": "see www.example.org now",
        "@": "write a@b.c or @ana",
        "⟦": "call ⟦PHONE_1⟧",
        "tld": "visit mi.shop today",
        "digit": "order A-77 please",
        "_": "snake_case",
    }
    for trigger, text in samples.items():
        assert langid._has(text, trigger)
        assert langid._strip(text) == langid._NOISE.sub(" ", text).strip() != text.strip()


def _texts() -> list[str]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    return [r["text"] for r in rows] + ["THANK YOU SO MUCH", "ok", "¿dónde está?", "x" * 100]


def test_direct_predict_matches_the_wrapper() -> None:
    detector = LanguageDetector(cache_size=0)
    model = detector._model()
    assert detector._raw_predict is not None  # fasttext-predict exposes the binding
    for text in _texts():
        line = text.replace("\n", " ")[:200]
        labels, probs = model.predict(line.lower() if line.isupper() else line, k=3)
        wrapped = [(label[9:], float(p)) for label, p in zip(labels, probs, strict=True)]
        assert detector._predict(text) == wrapped


def test_cached_decisions_equal_fresh_ones() -> None:
    fresh = LanguageDetector(cache_size=0)
    cached = LanguageDetector(cache_size=64)
    for current in (None, "es", "zh-Hans"):
        for text in _texts() * 2:  # the second round is served from the cache
            assert cached.detect(text, current=current) == fresh.detect(text, current=current)
