"""The cheap pre-checks never hide a label or a keyword that the full patterns would use."""

from __future__ import annotations

import pytest

from crossdesk.masking.document import Document
from crossdesk.masking.recognizers import address, bank_account, national_id, passport

# Every alternative of the labelled schemes' cue patterns, in lower case as matched.
_LABELS = [
    "ssn",
    "social security",
    "soc sec",
    "soc. sec",
    "seguro social",
    "itin",
    "tc",
    "t.c.",
    "kimlik",
    "tckn",
    "nüfus",
    "هوية",
    "الهوية",
    "الإقامة",
    "اقامة",
    "إقامة",
    "السجل المدني",
    "iqama",
    "national id",
    "saudi id",
    "инн",
    "inn",
    "aadhar",
    "aadhaar",
    "uid",
    "आधार",
    "nif",
    "contribuinte",
    "rut",
    "run",
]


@pytest.mark.parametrize("label", _LABELS)
def test_national_id_label_gate_covers_every_cue(label: str) -> None:
    text = f"my {label} 123"
    assert any(
        s.cues.search(text) for s in national_id.SCHEMES if s.sub in national_id._LABELLED_SUBS
    )
    assert national_id._ANY_LABEL.search(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "175 Station Road",
        "4 impasse des Tilleuls",
        "Calle Luna 12",
        "Goethestraße 108",
        "Bağdat Cad. No: 290",
        "Số 15 Ngõ 10 Phố Kim Mã",
        "ул. Тверская, д. 146",
        "77 شارع مصدق",
        "LS6 2AB",
        "WA 98120",
        "1015 CJ Amsterdam",
        "4000-441 Porto",
        "01310-000",
    ],
)
def test_address_gates_pass_every_strong_shape(text: str) -> None:
    assert (
        address._KEYWORD_GATE.search(text) is not None
        or address._SHAPE_GATE.search(text) is not None
    )
    doc = Document(text)
    assert list(address.AddressRecognizer().analyze(doc))


@pytest.mark.parametrize(
    "label",
    [
        "passport",
        "passeport",
        "pasaporte",
        "passaporte",
        "passaporto",
        "paspoort",
        "reisepass",
        "reisepassnummer",
        "pass-nr",
        "passnr",
        "паспорт",
        "паспорта",
        "pasaport",
        "paspor",
        "hộ chiếu",
        "pasport",
        "护照",
        "護照",
        "パスポート",
        "旅券",
        "여권",
        "جواز",
        "الجواز",
    ],
)
def test_passport_label_gate_covers_every_label(label: str) -> None:
    assert passport.LABEL_RE.search(label) is not None
    assert any(word in label for word in passport._LABEL_WORDS)


@pytest.mark.parametrize(
    "label",
    [
        "account",
        "acct",
        "a/c",
        "cuenta",
        "conta",
        "konto",
        "kontonummer",
        "compte",
        "conto",
        "rekening",
        "rekeningnummer",
        "hesap",
        "счёт",
        "счет",
        "р/с",
        "rachunek",
        "akun",
        "tài khoản",
        "stk",
        "账号",
        "账户",
        "帳號",
        "帳戶",
        "口座",
        "계좌",
        "حساب",
    ],
)
def test_bank_account_label_gate_covers_every_label(label: str) -> None:
    assert bank_account.LABEL_RE.search(label) is not None
    assert any(word in label for word in bank_account._LABEL_WORDS)
