"""Digits written as words, in the main languages of cross-border chat.

Customers spell numbers out when a platform blocks digits: "six four six, nine zero four",
"null eins sieben sechs", "一八七八九三一六四五一", "幺八五 九三九幺 拐四三五".
"""

from __future__ import annotations

import re

WORD_DIGITS: dict[str, str] = {}
for _digit, _words in {
    "0": "zero oh cero zéro null nul ноль нуль sıfır nol صفر",
    "1": "one uno um uma un une eins ein один одна bir satu واحد",
    "2": "two dos dois duas deux zwei zwo due два две iki dua اثنان اثنين",
    "3": "three tres três trois drei tre три üç tiga ثلاثة",
    "4": "four cuatro quatro quatre vier quattro четыре dört empat أربعة",
    "5": "five cinco cinq fünf funf cinque пять beş lima خمسة",
    "6": "six seis meia sechs sei шесть altı enam ستة",
    "7": "seven siete sete sept sieben sette семь yedi tujuh سبعة",
    "8": "eight ocho oito huit acht otto восемь sekiz delapan ثمانية",
    "9": "nine nueve nove neuf neun девять dokuz sembilan تسعة",
}.items():
    for _word in _words.split():
        WORD_DIGITS[_word] = _digit

# Chinese/Japanese numerals, including the spoken-telephone forms 幺 (1), 两 (2), 拐 (7), 洞 (0).
CJK_DIGITS: dict[str, str] = {
    **dict.fromkeys("零〇洞", "0"),
    **dict.fromkeys("一幺壹", "1"),
    **dict.fromkeys("二两贰貳", "2"),
    **dict.fromkeys("三叁參", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆陸", "6"),
    **dict.fromkeys("七拐柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}

_WORD_ALT = "|".join(sorted((re.escape(w) for w in WORD_DIGITS), key=len, reverse=True))
_CJK_CLASS = "".join(CJK_DIGITS)
# One "digit unit": a number word, a CJK numeral or an ASCII digit.
UNIT = rf"(?:\b(?:{_WORD_ALT})\b|[{_CJK_CLASS}]|[0-9])"
_UNIT_RE = re.compile(UNIT, re.IGNORECASE)


def spelled_digits(raw: str) -> str:
    """The digit string that a spelled-out number stands for ("six four" -> "64")."""
    out: list[str] = []
    for match in _UNIT_RE.finditer(raw):
        unit = match.group().lower()
        out.append(WORD_DIGITS.get(unit) or CJK_DIGITS.get(unit) or unit)
    return "".join(out)
