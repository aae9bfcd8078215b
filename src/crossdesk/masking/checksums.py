"""Check-digit algorithms of the numeric formats (cards, IBAN, national IDs).

Each function takes the compact value (separators removed) and returns whether it validates.
References: ISO/IEC 7812 (Luhn), ISO 13616 (IBAN, ISO 7064 mod 97-10), GB 11643-1999
(Chinese resident ID, ISO 7064 mod 11-2), Receita Federal (CPF), ФНС (ИНН), NVİ (TC Kimlik).
"""

from __future__ import annotations

import re
from datetime import date


def luhn(digits: str) -> bool:
    """Luhn (mod 10) check over a string of ASCII digits."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_mod97(compact: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97."""
    if not compact.isascii() or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = "".join(str(int(ch, 36)) for ch in rearranged.upper())
    except ValueError:
        return False
    return int(number) % 97 == 1


_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"
_CN_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
        "91",
    ]
)


def cn_resident_id(value: str) -> bool:
    """18-character Chinese resident ID: province code, birth date and mod 11-2 check."""
    if len(value) != 18 or not value[:17].isdigit() or value[:2] not in _CN_PROVINCES:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11] == value[17].upper()


def br_cpf(digits: str) -> bool:
    """Brazilian CPF: 11 digits, two mod-11 check digits, not all the same digit."""
    if len(digits) != 11 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    nums = [int(d) for d in digits]
    for size in (9, 10):
        total = sum(n * w for n, w in zip(nums[:size], range(size + 1, 1, -1), strict=True))
        check = (total * 10) % 11 % 10
        if check != nums[size]:
            return False
    return True


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_dni(value: str) -> bool:
    """Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter), mod 23 letter."""
    value = value.upper()
    if len(value) != 9:
        return False
    head = value[:8]
    if head[0] in "XYZ":
        head = str("XYZ".index(head[0])) + head[1:]
    if not head.isdigit():
        return False
    return _DNI_LETTERS[int(head) % 23] == value[8]


_SSN = re.compile(r"^(?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4}$")


def us_ssn(digits: str) -> bool:
    """US SSN structure: no area 000/666/9xx, no group 00, no serial 0000."""
    return bool(_SSN.match(digits)) and len(set(digits)) > 1


def ru_inn(digits: str) -> bool:
    """Russian INN: 10 digits (organisation) or 12 digits (person) with check digits."""

    def check(nums: list[int], weights: tuple[int, ...]) -> int:
        return sum(n * w for n, w in zip(nums, weights, strict=False)) % 11 % 10

    if not digits.isdigit():
        return False
    nums = [int(d) for d in digits]
    if len(nums) == 10:
        return check(nums, (2, 4, 10, 3, 5, 9, 4, 6, 8)) == nums[9]
    if len(nums) == 12:
        first = check(nums, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
        second = check(nums, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
        return first == nums[10] and second == nums[11]
    return False


def tr_kimlik(digits: str) -> bool:
    """Turkish TC Kimlik No: 11 digits, first not 0, two check digits."""
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return False
    n = [int(d) for d in digits]
    tenth = ((n[0] + n[2] + n[4] + n[6] + n[8]) * 7 - (n[1] + n[3] + n[5] + n[7])) % 10
    return tenth == n[9] and sum(n[:10]) % 10 == n[10]


def sa_national_id(digits: str) -> bool:
    """Saudi national ID (1...) or iqama (2...): 10 digits with a Luhn check."""
    return len(digits) == 10 and digits[0] in "12" and luhn(digits)


_CURP = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[HMX]"
    r"(?:AS|B[CS]|C[CLMSH]|D[FG]|G[TR]|HG|JC|M[CNS]|N[ETL]|OC|PL|Q[TR]|S[PLR]|T[CSL]|VZ|YN|ZS|NE)"
    r"[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d$"
)
_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def mx_curp(value: str) -> bool:
    """Mexican CURP: structure (date, sex, state) and its final check digit."""
    value = value.upper()
    if not _CURP.match(value):
        return False
    total = sum(_CURP_ALPHABET.index(ch) * (18 - i) for i, ch in enumerate(value[:17]))
    return (10 - total % 10) % 10 == int(value[17])


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def in_aadhaar(digits: str) -> bool:
    """Indian Aadhaar: 12 digits, first not 0 or 1, Verhoeff check."""
    if len(digits) != 12 or not digits.isdigit() or digits[0] in "01":
        return False
    check = 0
    for i, ch in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(ch)]]
    return check == 0


def pt_nif(digits: str) -> bool:
    """Portuguese NIF: 9 digits, mod-11 check digit."""
    if len(digits) != 9 or not digits.isdigit() or digits[0] == "0":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    check = 11 - total % 11
    return (0 if check >= 10 else check) == int(digits[8])


def cl_rut(value: str) -> bool:
    """Chilean RUT/RUN: body digits plus a mod-11 verifier (0-9 or K)."""
    value = "".join(ch for ch in value if ch.isalnum()).upper()
    body, verifier = value[:-1], value[-1:]
    if not body.isdigit() or not 7 <= len(body) <= 8:
        return False
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body)))
    expected = 11 - total % 11
    char = "0" if expected == 11 else "K" if expected == 10 else str(expected)
    return char == verifier
