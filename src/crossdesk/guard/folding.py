"""Per-character folding tables: the building blocks of the normalizer.

Every table here maps ONE original character to the string it stands for once evasions are
undone (possibly empty, possibly several characters). Keeping the unit a single original
character is what lets the normalizer keep an exact offset map back to the original text.

Sources: Unicode NFKD + case folding (``unicodedata``), the Unicode confusables table shipped
by ``confusable-homoglyphs`` (UTS #39 data), OpenCC's traditional → simplified character table
and ``pypinyin`` readings.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources
from pathlib import Path

# A "word character" survives folding; everything else (spaces, punctuation, emoji, symbols,
# zero-width and combining marks) becomes a gap. Tatweel is a letter in Unicode but only
# stretches Arabic words, so it is dropped like a zero-width character.
_WORD_CHAR = re.compile(r"[^\W_\u0640]")

HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))

# Leetspeak: digits and symbols that stand for a letter INSIDE a word. Applied only in word
# context by the normalizer (a bare "4" in "4 pcs" stays a number).
LEET: dict[str, str] = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "€": "e",
}
# Symbols that may stand for a letter at the very start or end of a word ("@sshole", "put@").
LEET_EDGE = frozenset("@$")

# Arabic letter variants that writers use interchangeably (alef maksura / ya, ta marbuta / ha).
_ARABIC = {"ى": "ي", "ة": "ه", "ی": "ي", "ک": "ك"}


def is_han(ch: str) -> bool:
    """True for a CJK unified ideograph (any block)."""
    return (
        "\u4e00" <= ch <= "\u9fff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\uf900" <= ch <= "\ufaff"
        or "\U00020000" <= ch <= "\U0002fa1f"
    )


def script_of(ch: str) -> str:
    """A coarse script name for a letter: latin, cyrillic, greek, arabic, han, other."""
    if is_han(ch):
        return "han"
    cp = ord(ch)
    if cp < 0x250 or 0x1E00 <= cp <= 0x1EFF or 0xFF21 <= cp <= 0xFF5A:
        return "latin"
    if 0x0400 <= cp <= 0x052F:
        return "cyrillic"
    if 0x0370 <= cp <= 0x03FF:
        return "greek"
    if 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0xFB50 <= cp <= 0xFEFF:
        return "arabic"
    return "other"


@functools.cache
def _t2s_table() -> dict[str, str]:
    """Traditional → simplified for single characters, from OpenCC's t2s dictionary."""
    import opencc

    chars = "".join(
        chr(cp) for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF)) for cp in range(lo, hi + 1)
    )
    simplified = opencc.OpenCC("t2s").convert(chars)
    table = {a: b for a, b in zip(chars, simplified, strict=True) if a != b}
    # Variant characters OpenCC leaves alone but writers use to dodge filters.
    text = resources.files("crossdesk.guard.packs").joinpath("hanzi_variants.txt")
    for line in text.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if len(line) == 2:
            table[line[0]] = line[1]
    return table


@functools.cache
def confusables() -> dict[str, str]:
    """Look-alike letter → the ASCII Latin letter it imitates (UTS #39 data, letters only)."""
    import confusable_homoglyphs

    path = Path(confusable_homoglyphs.__file__).parent / "confusables.json"
    data: dict[str, list[dict[str, str]]] = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    # lower-case sources first: "І" (capital) imitates "l", but its lower case "і" imitates "i"
    for char, glyphs in sorted(data.items(), key=lambda kv: kv[0] != kv[0].casefold()):
        if len(char) != 1 or not char.isalpha() or char.isascii() or char.casefold() in table:
            continue
        for glyph in glyphs:
            target = glyph["c"].casefold()
            if len(target) == 1 and "a" <= target <= "z":
                table[char.casefold()] = target
                break
    return table


def _styled_letter(ch: str) -> str | None:
    """Letters drawn as symbols that NFKD leaves alone (🅦, 🄰): recover them from the name."""
    name = unicodedata.name(ch, "")
    if "LATIN" in name and "LETTER" in name and not name.startswith("REGIONAL"):
        last = name.rsplit(" ", 1)[-1]
        if len(last) == 1 and last.isalpha():
            return last.casefold()
    return None


@functools.cache
def fold_char(ch: str) -> str:
    """Fold one original character: NFKD, case fold, marks and gaps dropped, t2s, variants.

    Returns the folded string ("" when the character is a gap such as a space, an emoji,
    punctuation or a zero-width character).
    """
    t2s = _t2s_table()
    if ch in t2s:
        return t2s[ch]
    styled = _styled_letter(ch) if not ch.isalnum() else None
    if styled is not None:
        return styled
    out = []
    for part in unicodedata.normalize("NFKD", ch).casefold():
        if not _WORD_CHAR.match(part):
            continue
        part = unicodedata.normalize("NFKD", part)[0]
        out.append(_ARABIC.get(part, part))
    return "".join(out)


@functools.cache
def gap_kind(ch: str) -> str:
    """Classify a character that folds to nothing.

    Returns:
        "invisible" (zero-width, format, combining marks, tatweel, variation selectors),
        "space", "hard" (sentence punctuation), or "soft" (other punctuation, emoji, symbols).
    """
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Mn", "Me", "Lm") or 0xFE00 <= ord(ch) <= 0xFE0F or ch == "\u0640":
        return "invisible"
    if ch.isspace():
        return "space"
    if ch in ",;:!?，。！？、；：\n":
        return "hard"
    return "soft"


@functools.cache
def pinyin_of(ch: str) -> str:
    """Toneless pinyin of a Han character or of a digit (for 王8蛋-style homophones); else ""."""
    from pypinyin import Style, lazy_pinyin

    if ch.isdigit() and ch.isascii():
        return _DIGIT_PINYIN[int(ch)]
    if not is_han(ch):
        return ""
    reading = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
    return reading[0] if reading else ""


_DIGIT_PINYIN = ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")


@functools.cache
def pinyin_initial(ch: str) -> str:
    """First letter of a Han character's pinyin ("" when it has none)."""
    reading = pinyin_of(ch) if is_han(ch) else ""
    return reading[:1]
