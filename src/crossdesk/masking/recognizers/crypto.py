"""CRYPTO: wallet addresses whose checksum validates.

Bitcoin (P2PKH/P2SH Base58Check, Bech32/Bech32m segwit), Litecoin and Dogecoin Base58Check,
Ethereum (EIP-55 mixed-case checksum; all-lower or all-upper addresses carry none) and Tron
(Base58Check with version byte 0x41).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.cryptocheck import base58check_version, bech32_valid, eip55_valid
from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

_B58 = "1-9A-HJ-NP-Za-km-z"
BASE58_RE = re.compile(rf"(?<![0-9A-Za-z])[13LMDT][{_B58}]{{25,34}}(?![0-9A-Za-z])")
BECH32_RE = re.compile(r"(?<![0-9A-Za-z])(?:bc1|ltc1|tb1)[02-9ac-hj-np-z]{11,87}(?![0-9A-Za-z])")
ETH_RE = re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])")

# Base58Check version byte -> coin.
_VERSIONS: dict[int, str] = {0x00: "BTC", 0x05: "BTC", 0x30: "LTC", 0x32: "LTC", 0x1E: "DOGE"}
_TRON_VERSION = 0x41


class CryptoRecognizer:
    """Cryptocurrency wallet addresses."""

    name = "crypto"
    entities = frozenset({EntityType.CRYPTO})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield CRYPTO spans."""
        text = doc.folded
        for match in BASE58_RE.finditer(text):
            version = base58check_version(match.group())
            if version is None:
                continue
            coin = "TRX" if version == _TRON_VERSION else _VERSIONS.get(version)
            if coin is not None:
                yield PiiSpan(EntityType.CRYPTO, match.start(), match.end(), 1.0, coin, self.name)
        if "1" in text:
            for match in BECH32_RE.finditer(text.lower()):
                if bech32_valid(match.group()):
                    yield PiiSpan(
                        EntityType.CRYPTO, match.start(), match.end(), 1.0, "BTC", self.name
                    )
        if "0x" in text:
            for match in ETH_RE.finditer(text):
                if eip55_valid(match.group()):
                    yield PiiSpan(
                        EntityType.CRYPTO, match.start(), match.end(), 0.95, "ETH", self.name
                    )
