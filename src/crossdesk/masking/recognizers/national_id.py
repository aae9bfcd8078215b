"""NATIONAL_ID: national identity and tax numbers validated by their check digits.

Most schemes are bare digit runs that collide with order numbers, so they need a label
("SSN", "CPF", "ИНН", "هوية", "TC Kimlik") within a few words before the value. Formats with a
distinctive shape and a check character (Spanish DNI/NIE, Mexican CURP, dotted CPF) are
accepted without a label unless a trap label (order, invoice...) names them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from crossdesk.masking import checksums
from crossdesk.masking.context import cue_before, is_trap
from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan


@dataclass(frozen=True, slots=True)
class IdScheme:
    """One national ID format.

    Attributes:
        sub: Stable scheme name reported as the span's ``sub``.
        pattern: Candidate shape in the folded text.
        check: Validator over the compact value (separators removed).
        cues: Label words (lower case); None when the shape alone is enough.
        bare_score: Score without a label, when ``cues`` is not required.
    """

    sub: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool]
    cues: re.Pattern[str]
    label_required: bool = True
    bare_score: float = 0.7


def _p(body: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])")


def _c(words: str) -> re.Pattern[str]:
    return re.compile(words)


SCHEMES: tuple[IdScheme, ...] = (
    IdScheme(
        "US_SSN",
        _p(r"\d{3}[- ]?\d{2}[- ]?\d{4}"),
        checksums.us_ssn,
        _c(r"\b(?:ssn|social security|soc\.? sec|seguro social|itin)\b"),
    ),
    IdScheme(
        "BR_CPF",
        _p(r"\d{3}\.?\d{3}\.?\d{3}[-.]?\d{2}"),
        checksums.br_cpf,
        _c(r"\bcpf\b"),
    ),
    IdScheme(
        "ES_DNI",
        _p(r"(?:\d{8}|[XYZxyz]-?\d{7})-?[A-Za-z]"),
        checksums.es_dni,
        _c(r"\b(?:dni|nie|nif|documento|doc\.?|identidad|id)\b"),
        label_required=False,
        bare_score=0.75,
    ),
    IdScheme(
        "MX_CURP",
        _p(r"[A-Za-z]{4}\d{6}[A-Za-z]{6}[0-9A-Za-z]\d"),
        checksums.mx_curp,
        _c(r"\bcurp\b"),
        label_required=False,
        bare_score=0.9,
    ),
    IdScheme(
        "TR_TCKN",
        _p(r"[1-9]\d{10}"),
        checksums.tr_kimlik,
        _c(r"(?:\bt\.?c\.?\b|kimlik|tckn|nüfus)"),
    ),
    IdScheme(
        "SA_ID",
        _p(r"[12]\d{9}"),
        checksums.sa_national_id,
        _c(r"(?:هوية|الهوية|الإقامة|اقامة|إقامة|السجل المدني|\b(?:iqama|national id|saudi id)\b)"),
    ),
    IdScheme(
        "RU_INN",
        _p(r"\d{10}(?:\d{2})?"),
        checksums.ru_inn,
        _c(r"(?:инн|\binn\b)"),
    ),
    IdScheme(
        "IN_AADHAAR",
        _p(r"[2-9]\d{3} ?\d{4} ?\d{4}"),
        checksums.in_aadhaar,
        _c(r"(?:\baadhaa?r\b|\buid\b|आधार)"),
    ),
    IdScheme(
        "PT_NIF",
        _p(r"[1-9]\d{8}"),
        checksums.pt_nif,
        _c(r"\b(?:nif|contribuinte)\b"),
    ),
    IdScheme(
        "CL_RUT",
        _p(r"\d{1,2}\.?\d{3}\.?\d{3}-[0-9Kk]"),
        checksums.cl_rut,
        _c(r"\b(?:rut|run)\b"),
    ),
)

_DOTTED_CPF = re.compile(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$")

# The schemes that are skipped unless their label appears somewhere in the text (the dotted
# CPF shape is accepted bare, so BR_CPF is always scanned).
_LABELLED = tuple(s for s in SCHEMES if s.label_required and s.sub != "BR_CPF")
# One pass for all their labels: most messages carry none, and then one search replaces one
# search per scheme. Every match of a labelled scheme's ``cues`` holds one of these literals
# (US_SSN: ssn, soc[ial security], seguro social, itin; TR_TCKN: t[.]c, kimlik, nüfus; SA_ID:
# هوية, [ا/إ]قامة, السجل المدني, iqama, national id, saudi id; RU_INN: инн, inn; IN_AADHAAR:
# aadha[a]r, uid, आधार; PT_NIF: nif, contribuinte; CL_RUT: rut, run). A flat alternation of
# literals lets ``re`` skip every position whose character starts none of them.
_ANY_LABEL = re.compile(
    r"ssn|soc|seguro social|itin|tc|t\.c|kimlik|nüfus|هوية|قامة|السجل المدني|iqama|national id"
    r"|saudi id|инн|inn|aadha|uid|आधार|nif|contribuinte|rut|run"
)
_LABELLED_SUBS = frozenset(s.sub for s in _LABELLED)
# The schemes scanned even without any label, in ``SCHEMES`` order.
_UNLABELLED = tuple(s for s in SCHEMES if s.sub not in _LABELLED_SUBS)


class NationalIdRecognizer:
    """National IDs and tax numbers of the main customer countries."""

    name = "national_id"
    entities = frozenset({EntityType.NATIONAL_ID})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield NATIONAL_ID spans."""
        if not doc.has_digit:
            return
        any_label = _ANY_LABEL.search(doc.lower) is not None
        for scheme in SCHEMES if any_label else _UNLABELLED:
            if scheme.sub in _LABELLED_SUBS and not scheme.cues.search(doc.lower):
                continue  # no label anywhere: the scheme cannot match
            for match in scheme.pattern.finditer(doc.folded):
                raw = match.group()
                compact = "".join(ch for ch in raw if ch.isalnum())
                if not scheme.check(compact):
                    continue
                start, end = match.start(), match.end()
                labelled = cue_before(doc, start, scheme.cues, 40)
                if labelled:
                    score = 1.0
                elif scheme.sub == "BR_CPF" and _DOTTED_CPF.match(raw):
                    score = 0.85  # the printed CPF shape plus two check digits
                elif not scheme.label_required:
                    score = scheme.bare_score
                else:
                    continue
                if not labelled and is_trap(doc, start, end):
                    continue
                yield PiiSpan(EntityType.NATIONAL_ID, start, end, score, scheme.sub, self.name)
