"""BANK_ACCOUNT: domestic account numbers, only right after an account label.

A bare run of digits is indistinguishable from an order number, so this recognizer needs the
customer to say "account", "cuenta", "Konto", "счёт", "账号"... just before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

LABEL_RE = re.compile(
    r"(?:\b(?:account|acct|a/c|cuenta|conta|konto|kontonummer|compte|conto|rekening|rekening"
    r"nummer|hesap|счёт|счет|р/с|rachunek|akun|tài khoản|stk)\b|账号|账户|帳號|帳戶|口座|계좌|حساب)"
    r"(?:\s*(?:number|no\.?|nr\.?|nº|n°|#|número|numero|nummer|numéro|номер|番号|번호))?"
    r"\s*[:：]?\s*(?:(?:is|es|é|ist|est|это)\s+)?"
)
# Every match of LABEL_RE holds one of these (a substring test is much cheaper than the label
# pattern, and most messages have no label): "acc" for account/acct, "cont" for conta/conto.
_LABEL_WORDS = (
    "acc",
    "a/c",
    "cuenta",
    "cont",
    "konto",
    "compte",
    "rekening",
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
)
NUMBER_RE = re.compile(r"\d(?:[ -]?\d){5,19}(?![0-9A-Za-z])")


class BankAccountRecognizer:
    """Account numbers that follow an account label."""

    name = "bank_account"
    entities = frozenset({EntityType.BANK_ACCOUNT})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield BANK_ACCOUNT spans."""
        if not doc.has_digit:
            return
        low = doc.lower
        if not any(word in low for word in _LABEL_WORDS):
            return
        for label in LABEL_RE.finditer(low):
            number = NUMBER_RE.match(doc.folded, label.end())
            if number is None:
                continue
            yield PiiSpan(
                EntityType.BANK_ACCOUNT, number.start(), number.end(), 0.75, None, self.name
            )
