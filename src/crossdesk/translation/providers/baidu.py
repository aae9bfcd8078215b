"""Baidu Translate general text API (百度翻译开放平台 通用文本翻译).

``POST https://fanyi-api.baidu.com/api/trans/vip/translate`` (form-encoded) with ``q``,
``from``, ``to``, ``appid``, ``salt`` and ``sign = md5(appid + q + salt + secret)`` (hex,
UTF-8). Several texts go in one ``q`` separated by newlines and come back as one
``trans_result`` entry per line. Errors arrive with HTTP 200 as ``{"error_code": "54003",
"error_msg": ...}``: 54003/54005 rate limit, 52001/52002 timeout or system error (retry),
52003/54001/54004/58000/58001/90107 permanent. Baidu has no protected-span markup, so
placeholders rely on the check after restore.

Reference: https://fanyi-api.baidu.com/doc/21
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from crossdesk.translation.errors import EngineRateLimited, EngineRejected, EngineUnavailable
from crossdesk.translation.providers._http import expect, json_body, send
from crossdesk.translation.types import Glossary, LanguagePair

BASE_URL = "https://fanyi-api.baidu.com"
PATH = "/api/trans/vip/translate"
_CODES = {
    "zh-Hans": "zh", "zh-Hant": "cht", "en": "en", "ja": "jp", "ko": "kor", "fr": "fra",
    "es": "spa", "th": "th", "ar": "ara", "ru": "ru", "pt": "pt", "de": "de", "it": "it",
    "el": "el", "nl": "nl", "pl": "pl", "bg": "bul", "et": "est", "da": "dan", "fi": "fin",
    "cs": "cs", "ro": "rom", "sl": "slo", "sv": "swe", "hu": "hu", "vi": "vie", "id": "id",
    "tr": "tr", "uk": "ukr", "ms": "may", "hi": "hi", "auto": "auto",
}  # fmt: skip
_RATE_LIMIT = frozenset({"54003", "54005"})
_TRANSIENT = frozenset({"52001", "52002"})


def sign(appid: str, query: str, salt: str, secret: str) -> str:
    """Baidu's request signature: MD5 of appid + q + salt + secret key."""
    return hashlib.md5((appid + query + salt + secret).encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class BaiduConfig:
    app_id: str
    secret: str
    base_url: str = BASE_URL
    name: str = "baidu"


class BaiduEngine:
    model = "general"
    self_hosted = False
    gist = False
    max_batch = 32

    def __init__(self, config: BaiduConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.name = config.name
        self._client = client

    def supports(self, pair: LanguagePair) -> bool:
        return pair.source in _CODES and pair.target in _CODES and pair.target != "auto"

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        # Lines map to results one to one, so a text with its own newlines travels alone.
        out: list[str] = []
        batch: list[str] = []
        for text in texts:
            if "\n" in text:
                out.extend(await self._request(batch, pair))
                batch = []
                out.append("\n".join(await self._request(text.split("\n"), pair)))
            else:
                batch.append(text)
        out.extend(await self._request(batch, pair))
        return out

    async def _request(self, lines: list[str], pair: LanguagePair) -> list[str]:
        if not lines:
            return []
        query = "\n".join(lines)
        salt = secrets.token_hex(4)
        cfg = self.config
        form = {
            "q": query,
            "from": _CODES[pair.source],
            "to": _CODES[pair.target],
            "appid": cfg.app_id,
            "salt": salt,
            "sign": sign(cfg.app_id, query, salt, cfg.secret),
        }
        response = await send(
            self._client, self.name, "POST", f"{cfg.base_url.rstrip('/')}{PATH}", data=form
        )
        body = json_body(self.name, response)
        expect(self.name, isinstance(body, dict), "body is not an object")
        if "error_code" in body and str(body["error_code"]) not in ("0", "52000"):
            code = str(body["error_code"])
            if code in _RATE_LIMIT:
                raise EngineRateLimited(self.name, f"error {code}", retry_after=1.0)
            if code in _TRANSIENT:
                raise EngineUnavailable(self.name, f"error {code}")
            raise EngineRejected(self.name, f"error {code}")
        results = body.get("trans_result")
        expect(self.name, isinstance(results, list), "no trans_result")
        assert isinstance(results, list)
        # Baidu drops empty lines from trans_result: put them back.
        translated = iter(str(item.get("dst", "")) for item in results if isinstance(item, dict))
        out = [next(translated, "") if line.strip() else line for line in lines]
        expect(self.name, len(results) == sum(bool(x.strip()) for x in lines), "line count")
        return out
