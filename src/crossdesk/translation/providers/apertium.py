"""Apertium through its APy HTTP server: offline, rule-based, gist quality.

``GET /translate?langpair=spa|eng&q=...&markUnknown=no`` answers
``{"responseData": {"translatedText"}, "responseStatus": 200}``; ``GET /listPairs`` answers
``{"responseData": [{"sourceLanguage", "targetLanguage"}]}`` with three-letter codes (APy also
accepts two-letter ones). One text per request; requests run concurrently. Apertium passes
``⟦0⟧`` placeholders through as unknown tokens. Output is gist quality: results are marked
``needs_review`` so an outgoing translation is always checked by the agent.

The Debian packages ``apertium-apy`` and ``apertium-en-es``, ``apertium-es-pt`` ... provide the
server and the pairs; ``scripts/apertium-setup`` installs them.

References:
    https://wiki.apertium.org/wiki/Apertium-apy
    https://github.com/apertium/apertium-apy (apertium_apy/handlers/translate.py, list.py)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from crossdesk.translation import languages
from crossdesk.translation.errors import EngineRejected
from crossdesk.translation.providers._http import expect, json_body, send
from crossdesk.translation.types import Glossary, LanguagePair

DEFAULT_URL = "http://127.0.0.1:2737"
ISO3 = {
    "en": "eng", "es": "spa", "pt": "por", "fr": "fra", "it": "ita", "ca": "cat", "gl": "glg",
    "eu": "eus", "oc": "oci", "ro": "ron", "de": "deu", "nl": "nld", "ar": "ara",
}  # fmt: skip
ISO1 = {v: k for k, v in ISO3.items()}
# What the Debian packages give (apertium-en-es, -es-pt, -fr-es, -es-ca, -es-it), used until
# list_pairs() has asked the server.
DEFAULT_PAIRS = frozenset(
    {("en", "es"), ("es", "en"), ("es", "pt"), ("pt", "es"), ("es", "fr"), ("fr", "es"),
     ("es", "ca"), ("ca", "es"), ("es", "it"), ("it", "es")}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ApertiumConfig:
    base_url: str = DEFAULT_URL
    name: str = "apertium"


class ApertiumAdapter:
    """An :class:`~crossdesk.translation.types.Engine` over an APy server."""

    model = "apy"
    self_hosted = True
    gist = True
    max_batch = 16

    def __init__(self, config: ApertiumConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.name = config.name
        self._client = client
        self._base = config.base_url.rstrip("/")
        self.pairs: frozenset[tuple[str, str]] = DEFAULT_PAIRS

    def supports(self, pair: LanguagePair) -> bool:
        return (languages.base(pair.source), languages.base(pair.target)) in self.pairs

    async def list_pairs(self) -> frozenset[tuple[str, str]]:
        """Ask APy which pairs it serves and remember them (ISO 639-1 codes)."""
        response = await send(self._client, self.name, "GET", f"{self._base}/listPairs")
        body = json_body(self.name, response)
        data = body.get("responseData") if isinstance(body, dict) else None
        expect(self.name, isinstance(data, list), "no responseData list")
        assert isinstance(data, list)
        pairs = set()
        for item in data:
            src = ISO1.get(str(item.get("sourceLanguage", "")))
            tgt = ISO1.get(str(item.get("targetLanguage", "")))
            if src and tgt:
                pairs.add((src, tgt))
        self.pairs = frozenset(pairs)
        return self.pairs

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        if not self.supports(pair):
            raise EngineRejected(self.name, f"no pair {pair}")
        langpair = f"{ISO3[languages.base(pair.source)]}|{ISO3[languages.base(pair.target)]}"
        return list(await asyncio.gather(*(self._one(text, langpair) for text in texts)))

    async def _one(self, text: str, langpair: str) -> str:
        response = await send(
            self._client,
            self.name,
            "POST",
            f"{self._base}/translate",
            data={"langpair": langpair, "q": text, "markUnknown": "no"},
        )
        body = json_body(self.name, response)
        data = body.get("responseData") if isinstance(body, dict) else None
        text_out = data.get("translatedText") if isinstance(data, dict) else None
        expect(self.name, isinstance(text_out, str), "no responseData.translatedText")
        return str(text_out)
