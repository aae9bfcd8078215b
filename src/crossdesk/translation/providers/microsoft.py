"""Microsoft Translator (Azure AI Translator) Text API v3.0 ``/translate``.

``POST /translate?api-version=3.0&from=es&to=en&textType=html`` with headers
``Ocp-Apim-Subscription-Key`` and, for regional resources, ``Ocp-Apim-Subscription-Region``;
body ``[{"Text": "..."}]`` (up to 1000 elements); answers
``[{"translations": [{"text", "to"}]}]``. Placeholders are wrapped in
``<span class="notranslate">``. Errors are ``{"error": {"code": 401000, "message"}}``; 429 (codes
429000-429003) means too many requests.

Reference: https://learn.microsoft.com/azure/ai-services/translator/text-translation/reference/v3/translate
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from crossdesk.translation import languages
from crossdesk.translation.providers import markup
from crossdesk.translation.providers._http import expect, json_body, send
from crossdesk.translation.types import Glossary, LanguagePair

BASE_URL = "https://api.cognitive.microsofttranslator.com"
_OPEN, _CLOSE = '<span class="notranslate">', "</span>"
_CODES = {"no": "nb", "tl": "fil"}


@dataclass(frozen=True, slots=True)
class MicrosoftConfig:
    api_key: str
    region: str = ""
    base_url: str = BASE_URL
    category: str = ""
    name: str = "microsoft"


class MicrosoftEngine:
    model = "3.0"
    self_hosted = False
    gist = False
    max_batch = 100

    def __init__(self, config: MicrosoftConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.name = config.name
        self._client = client

    def supports(self, pair: LanguagePair) -> bool:
        return pair.target != languages.AUTO

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        params = {"api-version": "3.0", "to": _CODES.get(pair.target, pair.target)}
        params["textType"] = "html"
        if pair.source != languages.AUTO:
            params["from"] = _CODES.get(pair.source, pair.source)
        if self.config.category:
            params["category"] = self.config.category
        headers = {"Ocp-Apim-Subscription-Key": self.config.api_key}
        if self.config.region:
            headers["Ocp-Apim-Subscription-Region"] = self.config.region
        response = await send(
            self._client,
            self.name,
            "POST",
            f"{self.config.base_url.rstrip('/')}/translate",
            params=params,
            headers=headers,
            json=[{"Text": markup.wrap(t, _OPEN, _CLOSE)} for t in texts],
        )
        data = json_body(self.name, response)
        expect(self.name, isinstance(data, list) and len(data) == len(texts), "result count")
        out = []
        for item in data:
            translations = item.get("translations") if isinstance(item, dict) else None
            expect(self.name, isinstance(translations, list) and bool(translations), "item")
            assert isinstance(translations, list)
            out.append(markup.unwrap(str(translations[0].get("text", "")), "span"))
        return out
