"""OpenAI-compatible chat completions as an engine: DeepSeek, Qwen, vLLM, Ollama, OpenAI.

Several texts go in one call as a JSON array with ids; the reply must be a JSON object with
the same ids, validated on return. Temperature 0; a short system prompt keeps placeholders
(``⟦0⟧``) and glossary terms. Qwen-MT models (``qwen-mt-*``) take no system prompt: one text per
call, with ``translation_options`` carrying the language names and the native term list.

Real servers hold a busy connection open with blank lines (non-streaming) or SSE comments such
as ``: keep-alive`` (streaming) before the body; both are tolerated.

References:
    https://platform.openai.com/docs/api-reference/chat/create
    https://api-docs.deepseek.com/api/create-chat-completion (and its rate-limit page on
    keep-alive lines)
    https://help.aliyun.com/zh/model-studio/qwen-mt-api (translation_options, terms)
    https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html
    https://github.com/ollama/ollama/blob/main/docs/openai.md
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from crossdesk.translation import languages
from crossdesk.translation.errors import EngineResponseInvalid, EngineUnavailable
from crossdesk.translation.providers._http import error_for_status, expect, json_body, send
from crossdesk.translation.types import Glossary, LanguagePair


@dataclass(frozen=True, slots=True)
class Preset:
    base_url: str
    model: str
    self_hosted: bool
    json_mode: bool = True


PRESETS: dict[str, Preset] = {
    "deepseek": Preset("https://api.deepseek.com", "deepseek-chat", self_hosted=False),
    "qwen": Preset(
        "https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus", self_hosted=False
    ),
    "vllm": Preset("http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-7B-Instruct", self_hosted=True),
    "ollama": Preset("http://127.0.0.1:11434/v1", "qwen2.5:7b", self_hosted=True),
    "openai": Preset("https://api.openai.com/v1", "gpt-4o-mini", self_hosted=False),
}
DEFAULT_PRESET = "deepseek"

SYSTEM_PROMPT = (
    "You translate customer-service chat messages from {source} to {target}. "
    'The user sends JSON {{"items": [{{"id": 0, "text": "..."}}]}}. Reply with JSON only: '
    '{{"items": [{{"id": 0, "text": "<translation>"}}]}} with every id exactly once. '
    "Copy every placeholder such as ⟦0⟧ unchanged, exactly once, and keep these terms "
    "untranslated: {terms}. Keep the tone; do not add, explain or answer anything."
)


@dataclass(frozen=True, slots=True)
class OpenAICompatConfig:
    """Settings for one OpenAI-compatible server.

    Args:
        preset: ``deepseek`` (default), ``qwen``, ``vllm``, ``ollama`` or ``openai``.
        api_key: bearer token; self-hosted servers may need none.
        base_url: overrides the preset's URL (the part before ``/chat/completions``).
        model: overrides the preset's model.
        self_hosted: overrides the preset's claim that text stays in-house.
        stream: ask for SSE streaming (keeps slow connections alive on some proxies).
        max_batch: most messages per call.
        name: the engine name in routes and results (defaults to the preset).
    """

    preset: str = DEFAULT_PRESET
    api_key: str = ""
    base_url: str = ""
    model: str = ""
    self_hosted: bool | None = None
    stream: bool = False
    max_batch: int = 16
    name: str = ""


class OpenAICompatEngine:
    """Chat-completions translation; see the module docstring."""

    gist = False

    def __init__(self, config: OpenAICompatConfig, client: httpx.AsyncClient) -> None:
        if config.preset not in PRESETS:
            raise ValueError(f"unknown preset {config.preset!r}; one of {', '.join(PRESETS)}")
        preset = PRESETS[config.preset]
        self.config = config
        self._client = client
        self.name = config.name or config.preset
        self.model = config.model or preset.model
        self.base_url = (config.base_url or preset.base_url).rstrip("/")
        self.self_hosted = preset.self_hosted if config.self_hosted is None else config.self_hosted
        self._json_mode = preset.json_mode
        self.mt_mode = self.model.startswith("qwen-mt")
        self.max_batch = 1 if self.mt_mode else config.max_batch

    def supports(self, pair: LanguagePair) -> bool:
        return pair.target != languages.AUTO

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        if self.mt_mode:
            return [await self._translate_mt(text, pair, glossary) for text in texts]
        terms = ", ".join(t.text for t in glossary.terms) or "(none)"
        source = "the detected language" if pair.source == languages.AUTO else pair.source
        payload: dict[str, Any] = {  # Any: JSON request body
            "model": self.model,
            "temperature": 0,
            "messages": [
                {
                    "role": "system",
                    "content": SYSTEM_PROMPT.format(
                        source=languages.name(source),
                        target=languages.name(pair.target),
                        terms=terms,
                    ),
                },
                {
                    "role": "user",
                    "content": json.dumps(
                        {"items": [{"id": i, "text": t} for i, t in enumerate(texts)]},
                        ensure_ascii=False,
                    ),
                },
            ],
        }
        if self._json_mode:
            payload["response_format"] = {"type": "json_object"}
        content = await self._complete(payload)
        return _parse_items(self.name, content, len(texts))

    async def _translate_mt(self, text: str, pair: LanguagePair, glossary: Glossary) -> str:
        options: dict[str, Any] = {  # Any: JSON request body
            "source_lang": "auto" if pair.source == languages.AUTO else _mt_name(pair.source),
            "target_lang": _mt_name(pair.target),
        }
        terms = [{"source": t.text, "target": t.translation or t.text} for t in glossary.terms]
        if terms:
            options["terms"] = terms
        payload = {
            "model": self.model,
            "messages": [{"role": "user", "content": text}],
            "translation_options": options,
        }
        return await self._complete(payload)

    async def _complete(self, payload: dict[str, Any]) -> str:  # Any: JSON request body
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        url = f"{self.base_url}/chat/completions"
        if self.config.stream:
            return await self._complete_streaming({**payload, "stream": True}, url, headers)
        response = await send(self._client, self.name, "POST", url, json=payload, headers=headers)
        body = json_body(self.name, response)
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise EngineResponseInvalid(self.name, "no choices[0].message.content") from exc
        expect(self.name, isinstance(content, str), "content is not a string")
        return str(content)

    async def _complete_streaming(
        self,
        payload: dict[str, Any],  # Any: JSON request body
        url: str,
        headers: dict[str, str],
    ) -> str:
        parts: list[str] = []
        try:
            async with self._client.stream("POST", url, json=payload, headers=headers) as response:
                if not response.is_success:
                    await response.aread()
                    raise error_for_status(self.name, response)
                async for line in response.aiter_lines():
                    line = line.strip()
                    if not line or line.startswith(":") or not line.startswith("data:"):
                        continue  # keep-alive blank lines and SSE comments
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        delta = json.loads(data)["choices"][0].get("delta", {})
                    except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
                        raise EngineResponseInvalid(self.name, "bad stream chunk") from exc
                    parts.append(str(delta.get("content") or ""))
        except httpx.TimeoutException as exc:
            raise EngineUnavailable(self.name, "timeout while streaming") from exc
        except httpx.TransportError as exc:
            raise EngineUnavailable(self.name, f"stream broke ({type(exc).__name__})") from exc
        return "".join(parts)


def _mt_name(code: str) -> str:
    """Qwen-MT takes English language names; Chinese is ``Chinese``/``Traditional Chinese``."""
    if code == "zh-Hans":
        return "Chinese"
    return languages.name(code)


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def _parse_items(engine: str, content: str, count: int) -> list[str]:
    """The translations from ``{"items": [{"id", "text"}]}``, in id order, each id once."""
    try:
        body = json.loads(_FENCE.sub("", content.strip()))
    except json.JSONDecodeError as exc:
        raise EngineResponseInvalid(engine, "model reply is not JSON") from exc
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise EngineResponseInvalid(engine, "model reply has no items list")
    found: dict[int, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise EngineResponseInvalid(engine, "model reply item without text")
        try:
            index = int(item.get("id", -1))
        except (TypeError, ValueError) as exc:
            raise EngineResponseInvalid(engine, "model reply item with a bad id") from exc
        if index in found or not 0 <= index < count:
            raise EngineResponseInvalid(engine, "model reply ids do not match the request")
        found[index] = item["text"]
    if len(found) != count:
        raise EngineResponseInvalid(engine, f"model returned {len(found)} of {count} items")
    return [found[i] for i in range(count)]
