"""Tencent Machine Translation (TMT) ``TextTranslateBatch``, API version 2018-03-21.

``POST https://tmt.tencentcloudapi.com/`` with JSON ``{"Source", "Target", "ProjectId",
"SourceTextList"}`` and headers ``X-TC-Action``, ``X-TC-Version``, ``X-TC-Timestamp``,
``X-TC-Region`` and an ``Authorization`` signed with TC3-HMAC-SHA256 (see :func:`tc3_sign`).
Answers ``{"Response": {"TargetTextList": [...], "RequestId"}}``, or with HTTP 200
``{"Response": {"Error": {"Code", "Message"}}}``: ``RequestLimitExceeded*`` is a rate limit,
``InternalError*`` transient, anything else (``AuthFailure.*``,
``UnsupportedOperation.UnsupportedLanguage``, ``FailedOperation.NoFreeAmount``) permanent.

References:
    https://cloud.tencent.com/document/api/551/40566 (TextTranslateBatch)
    https://cloud.tencent.com/document/api/551/30636 (signature v3, TC3-HMAC-SHA256)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from crossdesk.translation import languages
from crossdesk.translation.errors import EngineRateLimited, EngineRejected, EngineUnavailable
from crossdesk.translation.providers._http import expect, json_body, send
from crossdesk.translation.types import Glossary, LanguagePair

HOST = "tmt.tencentcloudapi.com"
SERVICE = "tmt"
VERSION = "2018-03-21"
ACTION = "TextTranslateBatch"
CONTENT_TYPE = "application/json; charset=utf-8"
_CODES = {
    "zh-Hans": "zh", "zh-Hant": "zh-TW", "en": "en", "ja": "ja", "ko": "ko", "fr": "fr",
    "es": "es", "it": "it", "de": "de", "tr": "tr", "ru": "ru", "pt": "pt", "vi": "vi",
    "id": "id", "th": "th", "ms": "ms", "ar": "ar", "hi": "hi", "auto": "auto",
}  # fmt: skip


def tc3_sign(
    secret_id: str, secret_key: str, host: str, payload: str, timestamp: int, service: str = SERVICE
) -> str:
    """The ``Authorization`` header value for a POST of ``payload`` (TC3-HMAC-SHA256)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE}\nhost:{host}\n",
            signed_headers,
            hashlib.sha256(payload.encode()).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )


@dataclass(frozen=True, slots=True)
class TencentConfig:
    secret_id: str
    secret_key: str
    region: str = "ap-guangzhou"
    project_id: int = 0
    base_url: str = f"https://{HOST}"
    name: str = "tencent"


class TencentEngine:
    model = VERSION
    self_hosted = False
    gist = False
    max_batch = 50

    def __init__(
        self,
        config: TencentConfig,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.name = config.name
        self._client = client
        self._clock = clock
        self._host = httpx.URL(config.base_url).host if config.base_url else HOST

    def supports(self, pair: LanguagePair) -> bool:
        return pair.source in _CODES and pair.target in _CODES and pair.target != "auto"

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        cfg = self.config
        source = languages.AUTO if pair.source == languages.AUTO else _CODES[pair.source]
        payload = json.dumps(
            {
                "Source": source,
                "Target": _CODES[pair.target],
                "ProjectId": cfg.project_id,
                "SourceTextList": list(texts),
            },
            ensure_ascii=False,
        )
        timestamp = int(self._clock())
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": self._host,
            "X-TC-Action": ACTION,
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": cfg.region,
            "Authorization": tc3_sign(
                cfg.secret_id, cfg.secret_key, self._host, payload, timestamp
            ),
        }
        response = await send(
            self._client, self.name, "POST", cfg.base_url, content=payload.encode(), headers=headers
        )
        body = json_body(self.name, response)
        inner = body.get("Response") if isinstance(body, dict) else None
        expect(self.name, isinstance(inner, dict), "no Response object")
        assert isinstance(inner, dict)
        error = inner.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", "unknown"))
            if code.startswith("RequestLimitExceeded"):
                raise EngineRateLimited(self.name, code, retry_after=1.0)
            if code.startswith("InternalError"):
                raise EngineUnavailable(self.name, code)
            raise EngineRejected(self.name, code)
        targets = inner.get("TargetTextList")
        expect(
            self.name, isinstance(targets, list) and len(targets) == len(texts), "TargetTextList"
        )
        assert isinstance(targets, list)
        return [str(t) for t in targets]
