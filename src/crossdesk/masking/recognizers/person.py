"""PERSON: names the customer introduces with a cue ("my name is", "me llamo", "меня зовут",
"我叫", "اسمي", "と申します", "받는 사람").

No statistical NER model can be downloaded in this deployment, so this recognizer is honest
about its reach: it finds names that follow (or, in Japanese, precede) an introduction or a
recipient/holder label, and names written as "<Name> here". Names mentioned without a cue
are missed; the cue lists are per language and easy to extend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

_UP = r"A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁḀ-ỿ"
_LO = r"a-zß-öø-ÿā-žа-яёḀ-ỿ"
_PARTICLE = r"(?:van der|van den|van|von|de la|de|da|dos|das|del|di|du|le|bin|ibn|al|el)"
# Two to four capitalised words (particles allowed inside): "Bram van Dijk", "Khalid Al-Shammari".
_WORD = rf"[{_UP}][{_LO}]+(?:-[{_UP}]?[{_LO}]+)?"
LATIN_NAME = rf"{_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_WORD}){{1,3}}"
ARABIC_NAME = r"[\u0621-\u064a]{2,}(?:\s+[\u0621-\u064a]{2,}){1,2}"
HAN_NAME = r"[\u4e00-\u9fff]{2,3}"
HANGUL_NAME = r"[가-힣]{2,4}"

_LATIN_CUES = (
    r"my name is|my name's|name is|i'm|i am|this is|it's|it is|under the name(?: of)?"
    r"|account holder|recipient is|recipient|contact for delivery:|husband|wife|addressed to|attn:?"
    r"|me llamo|mi nombre es|soy|habla|recibe|a nombre de|titular"
    r"|meu nome é|me chamo|sou|aqui é|quem recebe é|nome completo|nome:|destinatário"
    r"|je m'appelle|je suis|c'est|au nom de|de la part de"
    r"|ich bin|ich heiße|mein name ist|z\. ?hd\.?|empfänger"
    r"|mi chiamo|sono|all'attenzione di|intestato a"
    r"|ik ben|mijn naam is|t\.a\.v\.?"
    r"|atas nama|nama saya|adım|benim adım|alıcı|ben"
    r"|меня зовут|я|получатель|это|на имя"
    r"|người nhận|tên tôi là|tôi là"
)
LATIN_RE = re.compile(rf"(?:^|(?<=[\s,.:;!?(]))(?i:{_LATIN_CUES})[\s,:]+({LATIN_NAME})")
HERE_RE = re.compile(rf"(?:^|(?<=[.!?]\s))({LATIN_NAME}) (?:here|speaking|aquí|aqui)\b")
ARABIC_RE = re.compile(rf"(?:اسمي|أنا|انا|المستلم|باسم|صاحب الحساب)\s+({ARABIC_NAME})")
HAN_RE = re.compile(
    rf"(?:我叫|我是|姓名|收件人|开户人|联系人|收货人)[:：]?({HAN_NAME})(?![\u4e00-\u9fff])"
)
JA_RE = re.compile(r"([\u4e00-\u9fff][\u4e00-\u9fff\u3040-\u309f]{1,5}?)(?:と申します|です。?名前)")
KO_RE = re.compile(rf"(?:받는 ?사람|제 이름은|저는|수령인)\s*[:：]?\s*({HANGUL_NAME})(?![가-힣])")

_NAME_GATE = re.compile(LATIN_NAME)
_ARABIC_SCRIPT = re.compile(r"[\u0621-\u064a]")
_CJK_SCRIPT = re.compile(r"[\u4e00-\u9fff]")
_HANGUL_SCRIPT = re.compile(r"[가-힣]")

# Words that follow a cue but are not names ("I'm Brazilian", "This is Ridiculous").
_NOT_NAMES = frozenset(
    [
        "The",
        "This",
        "That",
        "Not",
        "Very",
        "Sorry",
        "Here",
        "From",
        "Just",
        "Still",
        "Please",
        "Thanks",
        "Your",
        "Our",
    ]
)


class PersonRecognizer:
    """Person names after an introduction or label, in the main chat languages."""

    name = "person"
    entities = frozenset({EntityType.PERSON})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield PERSON spans."""
        text = doc.text
        # Both Latin patterns need a name (two capitalised words); most messages have none,
        # and looking for one is much cheaper than trying every cue at every position.
        latin = (LATIN_RE, HERE_RE) if _NAME_GATE.search(text) is not None else ()
        for pattern in latin:
            for match in pattern.finditer(text):
                name = match.group(1)
                if name.split()[0] in _NOT_NAMES:
                    continue
                yield PiiSpan(EntityType.PERSON, match.start(1), match.end(1), 0.7, None, self.name)
        scripted = (
            (ARABIC_RE, _ARABIC_SCRIPT),
            (HAN_RE, _CJK_SCRIPT),
            (JA_RE, _CJK_SCRIPT),
            (KO_RE, _HANGUL_SCRIPT),
        )
        for pattern, script in scripted:
            if script.search(text) is None:
                continue
            for match in pattern.finditer(text):
                yield PiiSpan(
                    EntityType.PERSON, match.start(1), match.end(1), 0.65, None, self.name
                )
