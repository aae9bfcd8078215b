"""Check-digit algorithms against published test vectors."""

from __future__ import annotations

import pytest

from crossdesk.masking import checksums
from crossdesk.masking.cryptocheck import base58check_version, bech32_valid, eip55_valid, keccak256


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (checksums.luhn, "79927398713", "79927398710"),
        (checksums.iban_mod97, "GB82WEST12345698765432", "GB82WEST12345698765431"),
        (checksums.cn_resident_id, "11010519491231002X", "110105194912310021"),
        (checksums.br_cpf, "52998224725", "52998224724"),
        (checksums.es_dni, "12345678Z", "12345678A"),
        (checksums.es_dni, "X1234567L", "X1234567A"),
        (checksums.us_ssn, "123456789", "666123456"),
        (checksums.ru_inn, "7707083893", "7707083894"),
        (checksums.tr_kimlik, "10000000146", "10000000147"),
        (checksums.mx_curp, "BOXW310820HNERXN09", "BOXW310820HNERXN08"),
        (checksums.in_aadhaar, "234123412346", "234123412345"),
        (checksums.pt_nif, "123456789", "123456780"),
        (checksums.cl_rut, "12345678-5", "12345678-K"),
        (checksums.sa_national_id, "1000000008", "1000000009"),
    ],
)
def test_check_digits(check: object, good: str, bad: str) -> None:
    assert callable(check)
    assert check(good) is True
    assert check(bad) is False


def test_keccak256_empty_vector() -> None:
    expected = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"").hex() == expected


def test_wallet_checksums() -> None:
    assert eip55_valid("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    assert not eip55_valid("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
    assert base58check_version("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") == 0
    assert base58check_version("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3") is None
    assert bech32_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    assert not bech32_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5")
