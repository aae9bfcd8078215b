"""DeepL API v2 ``/v2/translate``.

Auth header ``Authorization: DeepL-Auth-Key <key>``; keys ending in ``:fx`` use the Free host.
Up to 50 texts per request. Placeholders are wrapped in ``<x>`` and sent with
``tag_handling=xml`` and ``ignore_tags=["x"]`` so DeepL leaves them alone. 429 is "too many
requests", 456 "quota exceeded" (permanent until the quota resets), 403 a bad key.

Reference: https://developers.deepl.com/api-reference/translate
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from crossdesk.translation import languages
from crossdesk.translation.providers import markup
from crossdesk.translation.providers._http import expect, json_body, send
from crossdesk.translation.types import Glossary, LanguagePair

FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"

_TARGETS = {"en": "EN-US", "pt": "PT-BR", "zh-Hans": "ZH-HANS", "zh-Hant": "ZH-HANT"}
_LANGS = frozenset(
    {
        "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "he", "hu", "id",
        "it", "ja", "ko", "lt", "lv", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv",
        "th", "tr", "uk", "vi", "zh-Hans", "zh-Hant",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeepLConfig:
    """Args: api_key; base_url (default: Free or Pro host from the key); glossary_id."""

    api_key: str
    base_url: str = ""
    glossary_id: str = ""
    name: str = "deepl"


class DeepLEngine:
    model = "v2"
    self_hosted = False
    gist = False
    max_batch = 50

    def __init__(self, config: DeepLConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.name = config.name
        self._client = client
        default = FREE_URL if config.api_key.endswith(":fx") else PRO_URL
        self.base_url = (config.base_url or default).rstrip("/")

    def supports(self, pair: LanguagePair) -> bool:
        return pair.target in _LANGS and (pair.source == languages.AUTO or pair.source in _LANGS)

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        body: dict[str, object] = {
            "text": [markup.wrap(t, "<x>", "</x>") for t in texts],
            "target_lang": _TARGETS.get(pair.target, pair.target.upper()),
            "tag_handling": "xml",
            "ignore_tags": ["x"],
        }
        if pair.source != languages.AUTO:
            body["source_lang"] = languages.base(pair.source).upper()
            if self.config.glossary_id:
                body["glossary_id"] = self.config.glossary_id
        response = await send(
            self._client,
            self.name,
            "POST",
            f"{self.base_url}/v2/translate",
            json=body,
            headers={"Authorization": f"DeepL-Auth-Key {self.config.api_key}"},
        )
        data = json_body(self.name, response)
        translations = data.get("translations") if isinstance(data, dict) else None
        expect(self.name, isinstance(translations, list), "no translations list")
        assert isinstance(translations, list)
        expect(self.name, len(translations) == len(texts), "translation count")
        out = []
        for item in translations:
            expect(self.name, isinstance(item, dict) and "text" in item, "translation item")
            out.append(markup.unwrap(str(item["text"]), "x"))
        return out
