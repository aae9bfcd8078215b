"""Handle fingerprints: one per handle whatever its spelling, keyed, never the handle."""

from hypothesis import given
from hypothesis import strategies as st

from crossdesk.risk.rules.handles import fingerprint, handle_key, message_handles
from crossdesk.risk.rules.model import parse_duration

KEY = handle_key(b"test-secret")
digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
separators = st.lists(st.sampled_from(["", " ", "-", ".", " - "]), min_size=10, max_size=10)


def spaced(number: str, seps: list[str]) -> str:
    return "".join(d + s for d, s in zip(number, seps, strict=True)).strip(" -.")


@given(digits, separators, st.sampled_from(["", "+86 ", "0086", "+86-"]))
def test_a_phone_number_has_one_fingerprint_whatever_its_spelling(
    number: str, seps: list[str], prefix: str
) -> None:
    plain = fingerprint(KEY, "w1", "phone", number)
    assert plain is not None and number not in plain
    assert fingerprint(KEY, "w1", "phone", prefix + spaced(number, seps)) == plain


@given(digits, digits)
def test_different_numbers_workspaces_and_keys_differ(a: str, b: str) -> None:
    if a != b:
        assert fingerprint(KEY, "w1", "phone", a) != fingerprint(KEY, "w1", "phone", b)
    assert fingerprint(KEY, "w1", "phone", a) != fingerprint(KEY, "w2", "phone", a)
    other = handle_key(b"another-secret")
    assert fingerprint(KEY, "w1", "phone", a) != fingerprint(other, "w1", "phone", a)


@given(st.from_regex(r"[a-z][a-z0-9._]{0,15}@[a-z]{2,10}\.(com|cn|net)", fullmatch=True))
def test_emails_ignore_case_and_links_their_scheme(email: str) -> None:
    assert fingerprint(KEY, "w", "email", email.upper()) == fingerprint(KEY, "w", "email", email)
    link = f"wa.me/{email.split('@')[0]}"
    assert fingerprint(KEY, "w", "link", "https://" + link + "/") == fingerprint(
        KEY, "w", "link", link
    )


def test_handles_of_a_message_from_the_masker_and_the_guard() -> None:
    text = "call +86 138 0013 8000 or mail Li@Shop.cn"
    spans = [{"type": "PHONE", "start": 5, "end": 22}, {"type": "PERSON", "start": 0, "end": 4}]
    findings = [{"term": "<EMAIL>", "matched": "Li@Shop.cn", "on": "text"}]
    found = message_handles(KEY, "w", text, spans, findings)
    assert found == sorted(
        [
            fingerprint(KEY, "w", "phone", "13800138000"),
            fingerprint(KEY, "w", "email", "li@shop.cn"),
        ]
    )
    assert fingerprint(KEY, "w", "phone", "12345") is None  # too short to identify anyone


@given(st.integers(1, 90), st.sampled_from(["d"]) | st.sampled_from(["h", "m", "s"]))
def test_durations(n: int, unit: str) -> None:
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit] * n
    assert parse_duration(f" {n}{unit} ").total_seconds() == seconds
