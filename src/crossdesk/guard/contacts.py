"""Built-in contact rules: <PHONE>, <EMAIL> and <URL> (messaging deep links).

All patterns run on RE2 (``google-re2``): matching time is linear in the text, whatever the
input. They run on a one-to-one folded copy of the text (every original character maps to
exactly one character: digits of any script and Chinese numerals to ASCII digits, full-width
forms to ASCII, case folded), so match offsets are original offsets with no map needed.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata
from array import array
from collections.abc import Callable
from typing import NamedTuple, Protocol

import ahocorasick_rs
import re2

PHONE, EMAIL, URL = "<PHONE>", "<EMAIL>", "<URL>"

_CN_DIGITS = {"零": "0", "〇": "0", "幺": "1", "一": "1", "二": "2", "两": "2", "三": "3",
              "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}  # fmt: skip


@functools.cache
def _contact_char(ch: str) -> str:
    if "\ud800" <= ch <= "\udfff":
        return "\ufffd"  # a lone surrogate (JSON allows them): RE2 cannot encode it
    if ch in _CN_DIGITS:
        return _CN_DIGITS[ch]
    if ch.isdigit():
        try:
            return str(unicodedata.digit(ch))
        except (TypeError, ValueError):
            return ch
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return " "  # keycap marks and variation selectors must not split a digit run
    folded = unicodedata.normalize("NFKC", ch).casefold()
    if len(folded) == 1:
        return folded
    if folded and folded[0].isdigit():  # keycap and circled forms
        return folded[0]
    return ch


def contact_view(text: str) -> str:
    """One-to-one folded copy of ``text`` (same length, same offsets)."""
    if text.isascii():
        return text.lower()  # ASCII folds character by character to its lower case
    return text.translate(_CONTACT_TABLE)


class _ContactTable(dict[int, str]):
    """Code point → :func:`_contact_char`, for ``str.translate`` (filled on first sight)."""

    def __missing__(self, cp: int) -> str:
        value = self[cp] = _contact_char(chr(cp))
        return value


_CONTACT_TABLE = _ContactTable()


# Number words spelled out, replaced by a digit of the same length (offsets stay put).
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "cero": "0", "uno": "1", "dos": "2", "tres": "3",
    "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
    "um": "1", "três": "3", "quatro": "4", "sete": "7", "oito": "8", "nove": "9",
    "ноль": "0", "один": "1", "два": "2", "три": "3", "четыре": "4", "пять": "5",
    "шесть": "6", "семь": "7", "восемь": "8", "девять": "9",
}  # fmt: skip
_WORDS_RE = re2.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b")

# stdlib re only as a gate (a single character class: linear); matching itself is RE2
_DIGITISH = re.compile(r"[\d零〇幺一二三四五六七八九两\u2460-\u24ff\u2776-\u2793]")
_WORD_GATE = re.compile(
    r"zero|one|two|three|four|five|six|seven|eight|nine|uno|dos|tres|cinco|ноль|один|два|три|пять"
)
_HOST_GATE = (".gg", "lin.ee", "qq.com", "kakao", "wechat.com", "skype.com", "viber")
_HOST_GATE_RE = re.compile("|".join(map(re.escape, _HOST_GATE)))
# cheap gates for the RE2 passes: an "at" that can be an e-mail's "@" spelled out, a dot
# (or "dot") before "me" as in wa.me / t.me, and the number words as one automaton
_AT_GATE = re.compile(r"\sat\s|[\(\[\{]\s*at")
_ME_GATE = re.compile(r"(?:[.．]|dot)[\s\)\]\}]*me")
_NUMBER_AC = ahocorasick_rs.AhoCorasick(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "uno",
     "dos", "tres", "cinco", "ноль", "один", "два", "три", "пять", "cero", "cuatro", "seis",
     "siete", "ocho", "nueve", "um", "três", "quatro", "sete", "oito", "nove", "четыре",
     "шесть", "семь", "восемь", "девять"]
)  # fmt: skip
_ASCII_DIGITS = "0123456789"

_SEP = r"[\s\-\.\(\)/]{0,3}"
_PHONE_RE = re2.compile(r"(\+\s*)?\d(?:" + _SEP + r"\d){6,16}")
# the cues _phone_ok looks for in the 24 characters before a number ("wa" only as a whole word)
_PHONE_CUES = (
    "phone", "call", "tel", "mobile", "cell", "whats", "电话", "手机", "号码", "联系", "打给",
    "加v", "加", "微信", "número", "numero", "celular", "llama", "liga", "телефон", "номер",
    "звон", "رقم", "اتصل", "هاتف", "جوال", "واتس",
)  # fmt: skip
_PHONE_CUES_WORD_END = ("wa",)
_ORDER_CUES = (
    "order", "tracking", "invoice", "sku", "batch", "isbn", "imei", "订单", "单号", "批次", "物流",
    "pedido", "factura", "заказ", "трек", "طلب", "فاتورة",
)  # fmt: skip
_PHONE_CUE = re2.compile(
    "("
    + "|".join(
        [*map(re2.escape, _PHONE_CUES), *(re2.escape(c) + r"\b" for c in _PHONE_CUES_WORD_END)]
    )
    + ")"
)
_ORDER_CUE = re2.compile("(" + "|".join(map(re2.escape, _ORDER_CUES)) + ")")

_AT = r"(?:\s*@\s*|\s*[\(\[\{]\s*at\s*[\)\]\}]\s*|\s+at\s+)"
_DOT = r"(?:\s*\.\s*|\s*[\(\[\{]\s*dot\s*[\)\]\}]\s*|\s+dot\s+)"
_EMAIL_RE = re2.compile(
    r"[a-z0-9][a-z0-9._%+\-]{0,63}"
    + _AT
    + r"[a-z0-9\-]{1,63}(?:"
    + _DOT
    + r"[a-z0-9\-]{1,63}){0,3}"
    + _DOT
    + r"[a-z]{2,12}\b"
)

_HOSTS = (
    "wa.me", "api.whatsapp.com", "chat.whatsapp.com", "whatsapp.com/send", "t.me",
    "telegram.me", "telegram.dog", "line.me", "lin.ee", "m.me", "ig.me", "qm.qq.com",
    "u.wechat.com", "weixin.qq.com", "signal.me", "invite.viber.com", "join.skype.com",
    "open.kakao.com", "discord.gg",
)  # fmt: skip
_HOST_RE = "|".join(_DOT.join(re2.escape(part) for part in host.split(".")) for host in _HOSTS)
_SCHEMES = ("whatsapp", "tg", "viber", "skype", "weixin", "line")
_URL_RE = re2.compile(
    r"(?:https?://)?(?:www" + _DOT + r")?(?:" + _HOST_RE + r")\s*/\s*[\w+\-/=?&#%.]+|"
    r"\b(?:" + "|".join(_SCHEMES) + r")://[\w+\-/=?&#%.:]+"
)


def _latin_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _phone_ok(view: str, start: int, end: int) -> bool:
    digits = sum(ch.isdigit() for ch in view[start:end])
    # glued to a Latin word or code ("TP-1380", "1Z999AA1012"): a reference, not a phone
    if start > 0 and (_latin_alnum(view[start - 1]) or view[start - 1] in "-_"):
        return False
    if end < len(view) and (_latin_alnum(view[end]) or view[end] in "-_"):
        return False
    before = view[max(0, start - 24) : start]
    if _ORDER_CUE.search(before):
        return False
    body = "".join(ch for ch in view[start:end] if ch.isdigit())
    if len(body) == 13 and body[:3] in ("978", "979"):
        return False  # an ISBN
    if view[start] == "+":
        return 8 <= digits <= 15
    if digits == 11 and body[0] == "1" and body[1] in "3456789":
        return True  # a Chinese mobile number
    if 10 <= digits <= 12 and _PHONE_CUE.search(before):
        return True
    grouped = any(not ch.isdigit() for ch in view[start:end])
    return (
        10 <= digits <= 11 and grouped and body[0] != "0" and _PHONE_CUE.search(before) is not None
    )


class _Gates(NamedTuple):
    """Today's cheap gates, computed on the raw text (they also decide which passes run)."""

    digitish: int  # digits of any script, Chinese numerals, circled digits
    words: bool  # few digits but enough number words to spell a phone
    email: bool  # an "@" or an "at" that can be one
    url: bool  # "://", a dot before "me", or a link host

    def any(self) -> bool:
        return self.digitish >= 7 or self.words or self.email or self.url


def _cheap_gates(text: str) -> _Gates:
    lower = text.casefold()
    if text.isascii():
        digitish = sum(map(text.count, _ASCII_DIGITS))
    else:
        digitish = len(_DIGITISH.findall(text))
    words = (
        digitish < 7
        and _WORD_GATE.search(lower) is not None
        and digitish + len(_NUMBER_AC.find_matches_as_indexes(lower, overlapping=True)) >= 7
    )
    email = (
        "@" in text
        or "＠" in text
        or "﹫" in text
        or ("at" in lower and _AT_GATE.search(lower) is not None)
    )
    url = (
        "://" in lower
        or ("me" in lower and _ME_GATE.search(lower) is not None)
        or _HOST_GATE_RE.search(lower) is not None
    )
    return _Gates(digitish, words, email, url)


def python_may_have_contact(text: str) -> bool:
    """The pure-Python gate: False means :func:`find_contacts` finds nothing (a superset of
    the compiled gate's True answers; it does not look at what the digit runs are)."""
    return _cheap_gates(text).any()


def find_contacts(text: str, *, gated: bool = False) -> list[tuple[str, int, int]]:
    """Every (rule, start, end) contact found in ``text``, offsets into ``text``.

    The compiled gate answers first (about 0.4 us for a chat message); only the texts it
    cannot clear pay for the RE2 passes. The answer is the same with or without it.
    ``gated``: the caller has asked :func:`may_have_contact` already (and got True).
    """
    if not gated and _fast is not None and not _fast.may_have_contact(text):
        return []
    return _find_contacts(text)


def _find_contacts(text: str) -> list[tuple[str, int, int]]:
    # cheap gates first: most messages have no digit run, no "@"/"at" and no link host
    digitish, words, email, url = gates = _cheap_gates(text)
    found: list[tuple[str, int, int]] = []
    if not gates.any():
        return found
    view = contact_view(text)
    if digitish >= 7 or (words and _WORDS_RE.search(view)):
        digits = _spell_words(view) if _WORDS_RE.search(view) else view
        for m in _PHONE_RE.finditer(digits):
            start, end = m.start(), m.end()
            if _phone_ok(digits, start, end):
                found.append((PHONE, start, end))
    if email:
        for m in _EMAIL_RE.finditer(view):
            found.append((EMAIL, m.start(), m.end()))
    if url:
        for m in _URL_RE.finditer(view):
            if m.start() == 0 or not view[m.start() - 1].isalnum():
                found.append((URL, m.start(), m.end()))
    return found


def _spell_words(view: str) -> str:
    out, last = [], 0
    for m in _WORDS_RE.finditer(view):
        out.append(view[last : m.start()])
        span = m.end() - m.start()
        out.append((_NUMBER_WORDS[m.group(1)] + " " * span)[:span])
        last = m.end()
    out.append(view[last:])
    return "".join(out)


# --- the compiled gate ---------------------------------------------------------------------
# crossdesk.guard._fastcontacts walks the text once in C over a table of code point → folded
# character (the same fold as contact_view) and says whether any rule can match: a digit run
# that _phone_ok can accept, an e-mail's "@"/"at" with a local part, a domain and a dot, or a
# link host / scheme. The table is built here, on first use (about 0.1 s; build_gate_tables()
# does it at start-up), from _contact_char itself, so the two folds cannot drift apart.

_FOLD_PLANES = 0x20000  # planes 0 and 1 hold every digit and nearly every folded character
# above them only the CJK compatibility ideographs and plane 14's tags and variation
# selectors fold to something else (tests/unit/guard/test_contacts_gate.py checks all of them)
_FOLD_RANGES = ((0, _FOLD_PLANES), (0x2F800, 0x2FA20), (0xE0000, 0xE1000))
_MARKS = frozenset(("Mn", "Me", "Cf"))


def _fold_range(lo: int, hi: int) -> array[int]:
    """``ord(_contact_char(chr(cp)))`` for lo <= cp < hi; only characters that can fold to
    something else (a decomposition, a case fold, a digit, a mark) pay for _contact_char."""
    chars = list(map(chr, range(lo, hi)))
    cps = range(lo, hi)
    changed = set(itertools.compress(cps, map(unicodedata.decomposition, chars)))
    changed.update(itertools.compress(cps, map(operator.ne, map(str.casefold, chars), chars)))
    changed.update(itertools.compress(cps, map(str.isdigit, chars)))
    changed.update(
        itertools.compress(cps, map(_MARKS.__contains__, map(unicodedata.category, chars)))
    )
    changed.update(cp for cp in map(ord, _CN_DIGITS) if lo <= cp < hi)
    changed.update(range(max(lo, 0xD800), min(hi, 0xE000)))  # lone surrogates
    table = array("I", cps)
    for cp in changed:
        table[cp - lo] = ord(_contact_char(chr(cp)))
    return table


def fold_table() -> array[int]:
    """The folds of _FOLD_RANGES one after the other (what the compiled gate indexes)."""
    table = array("I")
    for lo, hi in _FOLD_RANGES:
        table.extend(_fold_range(lo, hi))
    return table


def build_gate_tables() -> None:
    """Build the compiled gate's table now rather than on the first message."""
    if _fast is not None:
        _fast.prepare()


def _configure_fast() -> _FastContacts | None:
    try:
        from crossdesk.guard import _fastcontacts
    except ImportError:  # no compiler at install time: the Python gate answers
        return None
    _fastcontacts.configure(
        fold_table,
        words=[(word, int(digit)) for word, digit in _NUMBER_WORDS.items()],
        phone_cues=list(_PHONE_CUES),
        phone_cues_word_end=list(_PHONE_CUES_WORD_END),
        order_cues=list(_ORDER_CUES),
        hosts=list(_HOSTS),
        schemes=list(_SCHEMES),
    )
    return _fastcontacts


class _FastContacts(Protocol):
    def may_have_contact(self, text: str, /) -> bool: ...
    def prepare(self) -> None: ...


_fast = _configure_fast()
may_have_contact: Callable[[str], bool] = (
    _fast.may_have_contact if _fast is not None else python_may_have_contact
)
"""False means :func:`find_contacts` finds nothing in the text (True may be a false alarm)."""
