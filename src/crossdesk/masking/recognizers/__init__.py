"""Recognizers: one module per entity family."""

from __future__ import annotations

from crossdesk.masking.recognizers.address import AddressRecognizer
from crossdesk.masking.recognizers.bank_account import BankAccountRecognizer
from crossdesk.masking.recognizers.base import Recognizer
from crossdesk.masking.recognizers.cn_id import CnIdRecognizer
from crossdesk.masking.recognizers.credit_card import CreditCardRecognizer
from crossdesk.masking.recognizers.crypto import CryptoRecognizer
from crossdesk.masking.recognizers.email import EmailRecognizer
from crossdesk.masking.recognizers.handle import HandleRecognizer
from crossdesk.masking.recognizers.iban import IbanRecognizer
from crossdesk.masking.recognizers.ip import IpRecognizer
from crossdesk.masking.recognizers.national_id import NationalIdRecognizer
from crossdesk.masking.recognizers.passport import PassportRecognizer
from crossdesk.masking.recognizers.person import PersonRecognizer
from crossdesk.masking.recognizers.phone import PhoneRecognizer
from crossdesk.masking.recognizers.phone_words import SpelledPhoneRecognizer
from crossdesk.masking.recognizers.url import UrlRecognizer


def default_recognizers() -> list[Recognizer]:
    """One instance of every built-in recognizer."""
    return [
        EmailRecognizer(),
        UrlRecognizer(),
        PhoneRecognizer(),
        SpelledPhoneRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        BankAccountRecognizer(),
        CnIdRecognizer(),
        NationalIdRecognizer(),
        PassportRecognizer(),
        CryptoRecognizer(),
        IpRecognizer(),
        HandleRecognizer(),
        AddressRecognizer(),
        PersonRecognizer(),
    ]


__all__ = [
    "AddressRecognizer",
    "BankAccountRecognizer",
    "CnIdRecognizer",
    "CreditCardRecognizer",
    "CryptoRecognizer",
    "EmailRecognizer",
    "HandleRecognizer",
    "IbanRecognizer",
    "IpRecognizer",
    "NationalIdRecognizer",
    "PassportRecognizer",
    "PersonRecognizer",
    "PhoneRecognizer",
    "Recognizer",
    "SpelledPhoneRecognizer",
    "UrlRecognizer",
    "default_recognizers",
]
