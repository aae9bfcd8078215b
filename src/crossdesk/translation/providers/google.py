"""Google Cloud Translation, Basic (v2) and Advanced (v3).

v2: ``POST /language/translate/v2?key=API_KEY`` with ``{"q": [...], "target", "source",
"format": "html"}``; answers ``{"data": {"translations": [{"translatedText"}]}}``.
v3: ``POST /v3/projects/{project}/locations/{location}:translateText`` with a bearer token and
``{"contents": [...], "mimeType": "text/html", "sourceLanguageCode", "targetLanguageCode"}``;
answers ``{"translations": [{"translatedText"}]}``. The v3 token is an OAuth access token that
the caller supplies (from a service account, the metadata server or ``gcloud``): this module
does not mint tokens. Placeholders are wrapped in ``<span translate="no">`` (HTML mode).
Errors are ``{"error": {"code", "message", "status"}}`` with the matching HTTP status.

References:
    https://cloud.google.com/translate/docs/reference/rest/v2/translate
    https://cloud.google.com/translate/docs/reference/rest/v3/projects.locations/translateText
    https://cloud.google.com/translate/docs/advanced/translating-text-v3 (translate="no")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from crossdesk.translation import languages
from crossdesk.translation.providers import markup
from crossdesk.translation.providers._http import expect, json_body, send
from crossdesk.translation.types import Glossary, LanguagePair

BASE_URL = "https://translation.googleapis.com"
_OPEN, _CLOSE = '<span translate="no">', "</span>"
_CODES = {"zh-Hans": "zh-CN", "zh-Hant": "zh-TW", "he": "iw"}


def _code(lang: str) -> str:
    return _CODES.get(lang, lang)


@dataclass(frozen=True, slots=True)
class GoogleV2Config:
    api_key: str
    base_url: str = BASE_URL
    name: str = "google"


@dataclass(frozen=True, slots=True)
class GoogleV3Config:
    project: str
    access_token: str
    location: str = "global"
    base_url: str = BASE_URL
    model: str = ""
    name: str = "google-v3"


def _texts_out(engine: str, translations: Any, count: int) -> list[str]:  # Any: JSON
    expect(engine, isinstance(translations, list), "no translations list")
    expect(engine, len(translations) == count, "translation count")
    out = []
    for item in translations:
        expect(engine, isinstance(item, dict) and "translatedText" in item, "translation item")
        out.append(markup.unwrap(str(item["translatedText"]), "span"))
    return out


class GoogleV2Engine:
    model = "v2"
    self_hosted = False
    gist = False
    max_batch = 128

    def __init__(self, config: GoogleV2Config, client: httpx.AsyncClient) -> None:
        self.config = config
        self.name = config.name
        self._client = client

    def supports(self, pair: LanguagePair) -> bool:
        return pair.target != languages.AUTO

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        body: dict[str, object] = {
            "q": [markup.wrap(t, _OPEN, _CLOSE) for t in texts],
            "target": _code(pair.target),
            "format": "html",
        }
        if pair.source != languages.AUTO:
            body["source"] = _code(pair.source)
        response = await send(
            self._client,
            self.name,
            "POST",
            f"{self.config.base_url.rstrip('/')}/language/translate/v2",
            params={"key": self.config.api_key},
            json=body,
        )
        data = json_body(self.name, response)
        inner = data.get("data") if isinstance(data, dict) else None
        translations = inner.get("translations") if isinstance(inner, dict) else None
        return _texts_out(self.name, translations, len(texts))


class GoogleV3Engine:
    self_hosted = False
    gist = False
    max_batch = 128

    def __init__(self, config: GoogleV3Config, client: httpx.AsyncClient) -> None:
        self.config = config
        self.name = config.name
        self.model = config.model or "v3"
        self._client = client

    def supports(self, pair: LanguagePair) -> bool:
        return pair.target != languages.AUTO

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        cfg = self.config
        body: dict[str, object] = {
            "contents": [markup.wrap(t, _OPEN, _CLOSE) for t in texts],
            "mimeType": "text/html",
            "targetLanguageCode": _code(pair.target),
        }
        if pair.source != languages.AUTO:
            body["sourceLanguageCode"] = _code(pair.source)
        if cfg.model:
            body["model"] = f"projects/{cfg.project}/locations/{cfg.location}/models/{cfg.model}"
        response = await send(
            self._client,
            self.name,
            "POST",
            f"{cfg.base_url.rstrip('/')}/v3/projects/{cfg.project}/locations/{cfg.location}"
            ":translateText",
            json=body,
            headers={"Authorization": f"Bearer {cfg.access_token}"},
        )
        data = json_body(self.name, response)
        translations = data.get("translations") if isinstance(data, dict) else None
        return _texts_out(self.name, translations, len(texts))
