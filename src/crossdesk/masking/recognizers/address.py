"""ADDRESS: postal addresses, by street patterns and postcodes (heuristic, no gazetteer).

What is reliable: a house number next to a street word ("175 Station Road", "rue", "Calle",
"straße", "ул.", "شارع", "路...号"), and postcodes in their national shape next to a city
("10115 Berlin", "LS6 2AB", "〒530-0098"). What is not: a bare city name is never an address
(it is what the customer asks about), and free-form addresses with neither a street word nor a
postcode are missed. The span is widened over the comma-separated parts that follow (city,
flat, postcode) and stops at the first part that reads like prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

_UP = r"A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁḀ-ỿ"
_LO = r"a-zß-öø-ÿā-žа-яёḀ-ỿ"
_W = rf"[{_UP}{_LO}0-9'’.-]"
_NAME = rf"[{_UP}][{_LO}'’.-]*"
_SUFFIX = (
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl"
    r"|Terrace|Close|Crescent|Highway|Hwy|Parkway|Pkwy|Square|Sq|Gardens|Row|Hill|Kingsway)\.?"
)
_PREFIX = (
    r"(?:Calle|C/|Carrera|Cra\.|Avenida|Av\.|Avda\.|Avenue|Rua|R\.|Travessa|Tv\.|Alameda|Via|Viale"
    r"|Piazza|Corso|Largo|Jl\.|Jalan|Gang|Rue|rue|avenue|boulevard|bd|impasse|chemin|allée|place"
    r"|quai|route|cours|Paseo|Camino|Estrada|Praça|Praca|Ulica|ul\.)"
)
_GLUED = (
    r"(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|gracht|straat|laan|plein"
    r"|kade|steeg|dijk|singel|vej|gatan|vägen|gata)"
)
STREET_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "175 Station Road", "5810 Highland Rd"
    re.compile(rf"\b\d{{1,5}}[A-Za-z]?\s+(?:{_NAME}\s+){{0,3}}{_SUFFIX}(?![{_LO}])"),
    # "4 impasse des Tilleuls", "108 rue de la République"
    re.compile(
        rf"\b\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|impasse|chemin"
        rf"|allée|place|quai|route|cours)\s+(?:(?:de|des|du|la|le|l'|d')\s*)*{_NAME}"
        rf"(?:\s+{_NAME})*"
    ),
    # "Calle Luna 12", "Rua das Flores, 2071", "Jl. Diponegoro No. 29", "Carrera 38 # 76-85"
    re.compile(
        rf"\b{_PREFIX}(?:\s+(?:{_NAME}|\d{{1,3}}[A-Z]?|de|da|do|das|dos|del|la|di|della)){{0,5}}"
        rf",?\s+(?:No\.?\s*|N[º°o]\.?\s*|n[º°]\s*|#\s*)?\d{{1,5}}(?:\s?[-/]\s?\d{{1,4}})?"
        rf"[A-Za-z]?\b"
    ),
    # "Lindenweg 105b", "Goethestraße 108", "Keizersgracht 448-1"
    re.compile(rf"\b[{_UP}][{_LO}]*{_GLUED}\s+\d{{1,4}}[a-z]?(?:-\d{{1,4}})?\b"),
    # "Bağdat Cad. No: 290"
    re.compile(
        rf"\b{_NAME}\s+(?:Cad\.|Caddesi|Sok\.|Sokak|Sk\.|Mah\.|Mahallesi|Bulvarı|Blv\.)"
        rf"(?:\s*No\s*:?\s*\d{{1,5}})?(?:\s*(?:D|Daire|Kat)\s*:?\s*\d{{1,4}})?"
    ),
    # "Số 15 Ngõ 10 Phố Kim Mã", "Đường Lê Lợi"
    re.compile(
        rf"(?:Số\s+\d{{1,5}}\s+)?(?:Ngõ|Ngách|Hẻm|Phố|Đường|đường)\s+(?:\d{{1,4}}\s+)?"
        rf"(?:(?:Phố|Đường)\s+)?{_NAME}(?:\s+{_NAME}){{0,3}}"
    ),
    # "ул. Тверская, д. 146", "пр. Абая, д. 162"
    re.compile(
        r"(?:ул\.|улица|пр\.|пр-т|просп\.|проспект|пер\.|наб\.|ш\.|б-р)\s?[^\d,;]{2,30},?\s*(?:д\.|дом)\s?\d{1,4}"
    ),
    # "77 شارع مصدق", "حي الملقا"
    re.compile(r"(?:\d{1,5}\s+)?(?:شارع|طريق|حي)\s+[\u0621-\u064a]+(?:\s+[\u0621-\u064a]+)?"),
)

POSTCODE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"),  # UK "LS6 2AB"
    re.compile(
        r"\b(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA"
        r"|RI|S[CD]|T[NX]|UT|V[TA]|W[AVIY])\s\d{5}(?:-\d{4})?\b"
    ),  # US "WA 98120"
    re.compile(
        rf"\b\d{{4,5}}\s+{_NAME}(?:\s+[A-Z]{{2}}\b)?"
    ),  # "10115 Berlin", "75011 Paris", "1015 Amsterdam"
    re.compile(rf"\b\d{{4}}\s?[A-Z]{{2}}\s+{_NAME}"),  # NL "1015 CJ Amsterdam"
    re.compile(rf"\b\d{{4}}-\d{{3}}\s+{_NAME}"),  # PT "4000-441 Porto"
    re.compile(r"\b\d{5}-\d{3}\b"),  # BR CEP "01310-000"
    re.compile(r"\b[A-Z]\d{4}[A-Z]{0,3}\s+[A-Z]{2,}\b"),  # AR "C1043 CABA"
    re.compile(r"\b\d{6},\s*г\."),  # RU index before the city
)
_STRONG_POSTCODES = frozenset({0, 1, 3, 4, 5})


def _words(alternation: str) -> list[str]:
    """The alternatives of a ``(?:a|b|c)`` group (each a regex fragment)."""
    return alternation[alternation.index("(?:") + 3 : alternation.rindex(")")].split("|")


# Cheap gates before the individual patterns. Weak pieces (postcode shapes 2, 6 and 7) are
# only reported when joined to a strong one, so a text with no strong Latin piece and no CJK
# piece has no address. Every strong pattern needs one of these keywords (a street word) or
# shapes (a strong postcode), so when neither gate matches the patterns cannot yield anything.
# The keyword gate is a flat alternation of literals: ``re`` then skips every position whose
# character starts no keyword, which is most of them.
_KEYWORD_GATE = re.compile(
    "|".join(
        [
            *_words(_SUFFIX),
            *_words(_PREFIX),
            *_words(_GLUED),
            r"rue|avenue|av\.|boulevard|bd|impasse|chemin|allée|place|quai|route|cours",
            r"Cad\.|Caddesi|Sok\.|Sokak|Sk\.|Mah\.|Mahallesi|Bulvarı|Blv\.",
            r"Ngõ|Ngách|Hẻm|Phố|Đường|đường",
            r"ул\.|улица|пр\.|пр-т|просп\.|проспект|пер\.|наб\.|ш\.|б-р",
            r"شارع|طريق|حي",
        ]
    )
)
# Strong postcodes: UK "LS6 2AB" and NL "1015 CJ" hold a digit then two capitals ("6 2AB" has
# "2AB"); US "WA 98120" a capital, a space, five digits; PT "4000-441" and BR "01310-000" four
# digits, a dash, three digits.
_SHAPE_GATE = re.compile(r"\d\s?[A-Z]{2}|[A-Z]\s\d{5}|\d{4}-\d{3}")

_PROVINCES = (
    "(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南"
    "|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆)"
)
# Characters that precede an address in chat ("寄到", "新地址", "送至") and are not part of it.
_CJK_LEAD = frozenset("寄到送至址在：:往发给")

CJK_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 四川省成都市武侯区人民南路四段758号8栋2单元904室
    re.compile(
        rf"(?:{_PROVINCES}(?:省|自治区)?)?[\u4e00-\u9fff]{{2,3}}?市(?:[\u4e00-\u9fff]{{1,4}}?[区县市])?"
        r"[\u4e00-\u9fff0-9A-Za-z一二三四五六七八九十-]{1,24}?[0-9一二三四五六七八九十]+号"
        r"(?:[0-9A-Za-z\u4e00-\u9fff-]{0,16}?(?:室|楼|栋|单元|层|座|号|[0-9]))*"
    ),
    # 〒530-0098 大阪府大阪市北区梅田4-19-8 サンハイツ128号室
    re.compile(
        r"(?:〒\s?\d{3}-\d{4}\s*)?(?:東京都|北海道|京都府|大阪府|[\u4e00-\u9fff]{2,3}県)"
        r"[\u4e00-\u9fff\u3040-\u30ff]{1,12}?\d{1,4}(?:[-丁目番地号]{1,2}\d{1,4}){0,3}(?:号)?"
        r"(?:\s?[\u30a0-\u30ff\u4e00-\u9fff]{1,12}\d{1,5}(?:号室|号|階))?"
    ),
    # 서울특별시 송파구 올림픽로 325, 105동 925호
    re.compile(
        r"[가-힣]{2,4}(?:특별시|광역시|특별자치시|도)\s[가-힣]{1,5}[구시군]"
        r"(?:\s[가-힣0-9]{1,10}(?:로|길|동|읍|면))?(?:\s\d{1,5}(?:-\d{1,4})?)?"
        r"(?:,?\s?\d{1,4}동\s?\d{1,4}호)?"
    ),
)

# A character each CJK pattern cannot match without: 号 (Chinese "No."), the Japanese
# prefecture suffixes (東京都, 北海道, 京都府, 大阪府, ...県), the Korean 시/도.
_CJK_GATED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    zip(CJK_PATTERNS, ("号", "都道府県", "시도"), strict=True)
)

_EXTRA_PART = re.compile(
    rf"^(?:(?:{_NAME}|\d{{1,6}}(?:-\d{{1,4}})?[A-Za-z]?|[A-Z]{{1,3}}|apto|apt\.?|piso|depto"
    rf"|casa|bloco|sala|andar|dto\.?|kv\.?|кв\.|корп\.|стр\.|д\.|г\.|RT|RW|D:|No:?|CEP|\d+º"
    rf"|Dto\.|Flat|Suite|Unit|Apt|Cad\.|[\u0621-\u064a]+)[\s./-]*){{1,6}}$"
)
_STOP_WORDS = re.compile(
    r"\b(?:under|please|recipient|recibe|quem|alıcı|atas|t\.a\.v|all'attenzione|au|получатель"
    r"|người|thanks|thank|gracias|obrigad[oa])\b|المستلم|받는",
    re.IGNORECASE,
)


# A full stop after a word (not an abbreviation such as "корп." or "Av.") before a capital.
_SENTENCE_END = re.compile(r"(?<=[^\W\d]{4})\.\s+(?=[A-ZÀ-ÞА-Я])")


_NEXT_PART = re.compile(r"[,،]\s*([^,،;!?。\n]{1,40})")
_GAP_BREAK = re.compile(r"[!?;。！？\n]|\.\s+[A-Z]")
_COMMA = re.compile(r"[,،]")


def _extend_right(text: str, end: int) -> int:
    """Widen over ", part" segments that read like address parts."""
    while True:
        match = _NEXT_PART.match(text, end)
        if match is None:
            return end
        part = _SENTENCE_END.split(match.group(1))[0].rstrip()
        if _STOP_WORDS.search(part) or not _EXTRA_PART.match(part):
            return end
        end = match.start(1) + len(part)


_LEFT_PART = re.compile(rf"(?<!\w)(?:\d{{1,5}}[A-Za-z]?\s+)?{_NAME}(?:\s+{_NAME}){{0,3}}[,،]?\s*$")
_LEFT_CITY = re.compile(rf"(?<!\w)(?:\d{{6}},\s*)?(?:г\.|гор\.|город)\s?{_NAME},\s*$")


def _extend_left(text: str, start: int) -> int:
    """Widen over "120 Kingsway, Birmingham" before a postcode anchor."""
    while True:
        match = _LEFT_CITY.search(text[:start]) or _LEFT_PART.search(text[:start])
        if match is None or match.end() - match.start() < 3:
            return start
        new_start = match.start()
        if new_start == start:
            return start
        start = new_start
        if text[start].isdigit():
            return start


class AddressRecognizer:
    """Postal addresses in Latin, Cyrillic, Arabic, Vietnamese, Chinese, Japanese, Korean."""

    name = "address"
    entities = frozenset({EntityType.ADDRESS})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield ADDRESS spans."""
        if not doc.has_digit:
            return
        text = doc.folded
        pieces: list[tuple[int, int, bool]] = []  # (start, end, strong)
        for pattern, needs in _CJK_GATED if doc.has_cjk else ():
            if not any(ch in text for ch in needs):
                continue
            for m in pattern.finditer(text):
                start = m.start()
                while start < m.end() - 4 and text[start] in _CJK_LEAD:
                    start += 1
                pieces.append((start, m.end(), True))
        streets = _KEYWORD_GATE.search(text) is not None
        if not (pieces or streets or _SHAPE_GATE.search(text) is not None):
            return
        for pattern in STREET_PATTERNS if streets else ():
            pieces += [(m.start(), m.end(), True) for m in pattern.finditer(text)]
        for i, pattern in enumerate(POSTCODE_PATTERNS):
            strong = i in _STRONG_POSTCODES
            pieces += [(m.start(), m.end(), strong) for m in pattern.finditer(text)]
        if not pieces:
            return
        pieces.sort()
        merged: list[list[int]] = []  # [start, end, strong as 0/1]
        for start, end, strong in pieces:
            if (
                merged
                and start <= merged[-1][1] + 60
                and self._joinable(text, merged[-1][1], start)
            ):
                merged[-1][1] = max(merged[-1][1], end)
                merged[-1][2] |= int(strong)
            else:
                merged.append([start, end, int(strong)])
        for start, end, is_strong in merged:
            if not is_strong:
                continue
            start = _extend_left(text, start)
            end = _extend_right(text, end)
            yield PiiSpan(EntityType.ADDRESS, start, end, 0.7, None, self.name)

    @staticmethod
    def _joinable(text: str, left_end: int, right_start: int) -> bool:
        if right_start <= left_end:
            return True
        gap = text[left_end:right_start]
        if _GAP_BREAK.search(gap) or _STOP_WORDS.search(gap):
            return False
        return all(_EXTRA_PART.match(p.strip()) or not p.strip() for p in _COMMA.split(gap))
