"""Fake translation engines speaking each provider's documented protocol, on one loopback server.

Each engine lives under a prefix (``/deepl``, ``/google``, ``/microsoft``, ``/baidu``,
``/tencent``, ``/openai``, ``/apy``) so one server serves them all. The fakes check auth the way
the real services do (DeepL key header, Google key or bearer token, Microsoft subscription
headers, Baidu's MD5 sign, Tencent's TC3-HMAC-SHA256 signature, OpenAI bearer) and honour each
engine's protected-span markup; anything not marked is "translated", which drops bare
placeholders for engines that offer markup, as a careless integration would.

The "translation" is a fixed sentence in the target language plus the protected spans in
order and a length tag, so tests can tell outputs apart and language ID sees the target
language. Scripted failures (``FakeState.script``) come first, then normal answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

OPENAI_KEY = "sk-test-openai"
DEEPL_KEY = "deepl-test-key:fx"
GOOGLE_KEY = "google-test-key"
GOOGLE_TOKEN = "ya29.test-token"
MS_KEY = "ms-test-key"
MS_REGION = "eastasia"
BAIDU_APPID = "2015063000000001"
BAIDU_SECRET = "12345678"
TENCENT_ID = "AKIDtest"
TENCENT_KEY = "tencent-secret"

SENTENCES = {
    "en": "Thank you for your message, we will check it now",
    "es": "Gracias por su mensaje, lo revisamos ahora mismo",
    "pt": "Obrigado pela sua mensagem, vamos verificar agora",
    "fr": "Merci pour votre message, nous le vérifions maintenant",
    "de": "Danke für Ihre Nachricht, wir prüfen sie jetzt",
    "zh": "谢谢您的留言，我们马上查看",
}
_PLACEHOLDER = re.compile(r"⟦\d+⟧")


@dataclass
class Scripted:
    status: int
    body: Any = None  # Any: JSON body to send
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeState:
    """What the fakes do next, and what they received."""

    script: dict[str, list[Scripted]] = field(default_factory=dict)
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    drop_placeholders: set[str] = field(default_factory=set)
    delay: float = 0.0
    keepalive_lines: int = 0

    def reset(self) -> None:
        self.script.clear()
        self.requests.clear()
        self.drop_placeholders.clear()
        self.delay = 0.0
        self.keepalive_lines = 0

    def calls(self, engine: str) -> int:
        return len(self.requests.get(engine, []))

    def fail(self, engine: str, *responses: Scripted) -> None:
        self.script.setdefault(engine, []).extend(responses)


def fake_translate(engine: str, state: FakeState, text: str, target: str, keep: list[str]) -> str:
    """``keep`` are the spans the engine was told not to translate; bare placeholders survive
    only for engines without markup (LLMs are prompted to keep them)."""
    sentence = SENTENCES.get(target.split("-")[0].lower(), SENTENCES["en"])
    if engine in state.drop_placeholders:
        keep = []
    tail = " ".join(keep)
    return f"{sentence} {tail} [{len(text)}]".replace("  ", " ")


async def _scripted(engine: str, state: FakeState) -> Response | None:
    queue = state.script.get(engine)
    if state.delay:
        await asyncio.sleep(state.delay)
    if not queue:
        return None
    step = queue.pop(0)
    if step.delay:
        await asyncio.sleep(step.delay)
    return JSONResponse(step.body or {}, status_code=step.status, headers=step.headers)


def _record(state: FakeState, engine: str, request: Request, body: Any) -> None:  # Any: JSON
    state.requests.setdefault(engine, []).append(
        {"headers": dict(request.headers), "query": dict(request.query_params), "body": body}
    )


# -- OpenAI-compatible --------------------------------------------------------------------


def openai_routes(state: FakeState) -> list[Route]:
    async def chat(request: Request) -> Response:
        body = await request.json()
        _record(state, "openai", request, body)
        if request.headers.get("authorization") != f"Bearer {OPENAI_KEY}":
            return JSONResponse(
                {"error": {"message": "Incorrect API key", "code": "invalid_api_key"}}, 401
            )
        if (scripted := await _scripted("openai", state)) is not None:
            return scripted
        model = body.get("model", "")
        messages = body.get("messages", [])
        if model.startswith("qwen-mt"):
            options = body.get("translation_options")
            if not isinstance(options, dict) or len(messages) != 1 or messages[0]["role"] != "user":
                return JSONResponse({"error": {"message": "bad qwen-mt request"}}, 400)
            text = messages[0]["content"]
            terms = [t["target"] for t in options.get("terms", []) if t["source"] in text]
            target = {"English": "en", "Chinese": "zh", "Spanish": "es"}.get(
                options["target_lang"], "en"
            )
            content = fake_translate("openai", state, text, target, terms)
        else:
            system = messages[0]["content"]
            target = "zh" if " to Simplified Chinese" in system else "en"
            for code, name in (("es", "Spanish"), ("pt", "Portuguese"), ("fr", "French")):
                if f" to {name}." in system:
                    target = code
            items = json.loads(messages[-1]["content"])["items"]
            content = json.dumps(
                {
                    "items": [
                        {
                            "id": item["id"],
                            "text": fake_translate(
                                "openai",
                                state,
                                item["text"],
                                target,
                                _PLACEHOLDER.findall(item["text"]),
                            ),
                        }
                        for item in items
                    ]
                },
                ensure_ascii=False,
            )
        if body.get("stream"):
            return StreamingResponse(_sse(content, state), media_type="text/event-stream")
        payload = json.dumps(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            },
            ensure_ascii=False,
        )
        if state.keepalive_lines:
            return StreamingResponse(
                _blank_lines_then(payload, state.keepalive_lines), media_type="application/json"
            )
        return Response(payload, media_type="application/json")

    return [Route("/chat/completions", chat, methods=["POST"])]


async def _blank_lines_then(payload: str, lines: int) -> AsyncIterator[bytes]:
    for _ in range(lines):  # what DeepSeek sends while a busy server holds the request
        yield b"\n"
        await asyncio.sleep(0.01)
    yield payload.encode()


async def _sse(content: str, state: FakeState) -> AsyncIterator[bytes]:
    for _ in range(state.keepalive_lines):
        yield b": keep-alive\n\n"
        await asyncio.sleep(0.01)
    for start in range(0, len(content), 7):
        chunk = {"choices": [{"index": 0, "delta": {"content": content[start : start + 7]}}]}
        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
    yield b"data: [DONE]\n\n"


# -- DeepL --------------------------------------------------------------------------------


def deepl_routes(state: FakeState) -> list[Route]:
    async def translate(request: Request) -> Response:
        body = await request.json()
        _record(state, "deepl", request, body)
        if request.headers.get("authorization") != f"DeepL-Auth-Key {DEEPL_KEY}":
            return JSONResponse({"message": "Forbidden"}, 403)
        if (scripted := await _scripted("deepl", state)) is not None:
            return scripted
        if not body.get("text") or not body.get("target_lang"):
            return JSONResponse({"message": "Value for 'target_lang' not supported."}, 400)
        honoured = body.get("tag_handling") == "xml" and "x" in body.get("ignore_tags", [])
        out = []
        for text in body["text"]:
            keep = re.findall(r"<x>.*?</x>", text) if honoured else []
            target = body["target_lang"].lower()
            out.append(
                {
                    "detected_source_language": body.get("source_lang", "ES"),
                    "text": fake_translate("deepl", state, text, target, keep),
                }
            )
        return JSONResponse({"translations": out})

    return [Route("/v2/translate", translate, methods=["POST"])]


# -- Google v2 and v3 ---------------------------------------------------------------------


def _html_keep(text: str, fmt_html: bool, attr: str) -> list[str]:
    return re.findall(rf"<span {attr}>.*?</span>", text) if fmt_html else []


def google_routes(state: FakeState) -> list[Route]:
    async def v2(request: Request) -> Response:
        body = await request.json()
        _record(state, "google", request, body)
        if request.query_params.get("key") != GOOGLE_KEY:
            return JSONResponse(
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid.",
                        "status": "INVALID_ARGUMENT",
                    }
                },
                400,
            )
        if (scripted := await _scripted("google", state)) is not None:
            return scripted
        html_mode = body.get("format") == "html"
        return JSONResponse(
            {
                "data": {
                    "translations": [
                        {
                            "translatedText": fake_translate(
                                "google", state, q, body["target"],
                                _html_keep(q, html_mode, 'translate="no"'),
                            )
                        }
                        for q in body["q"]
                    ]
                }
            }
        )  # fmt: skip

    async def v3(request: Request) -> Response:
        body = await request.json()
        _record(state, "google-v3", request, body)
        if request.headers.get("authorization") != f"Bearer {GOOGLE_TOKEN}":
            return JSONResponse(
                {
                    "error": {
                        "code": 401,
                        "message": "invalid credentials",
                        "status": "UNAUTHENTICATED",
                    }
                },
                401,
            )
        if (scripted := await _scripted("google-v3", state)) is not None:
            return scripted
        html_mode = body.get("mimeType") == "text/html"
        return JSONResponse(
            {
                "translations": [
                    {
                        "translatedText": fake_translate(
                            "google-v3", state, q, body["targetLanguageCode"],
                            _html_keep(q, html_mode, 'translate="no"'),
                        )
                    }
                    for q in body["contents"]
                ]
            }
        )  # fmt: skip

    return [
        Route("/language/translate/v2", v2, methods=["POST"]),
        Route("/v3/projects/{project}/locations/{location}:translateText", v3, methods=["POST"]),
    ]


# -- Microsoft ----------------------------------------------------------------------------


def microsoft_routes(state: FakeState) -> list[Route]:
    async def translate(request: Request) -> Response:
        body = await request.json()
        _record(state, "microsoft", request, body)
        if (
            request.headers.get("ocp-apim-subscription-key") != MS_KEY
            or request.headers.get("ocp-apim-subscription-region") != MS_REGION
        ):
            return JSONResponse({"error": {"code": 401000, "message": "invalid key"}}, 401)
        if request.query_params.get("api-version") != "3.0":
            return JSONResponse({"error": {"code": 400021, "message": "bad api-version"}}, 400)
        if (scripted := await _scripted("microsoft", state)) is not None:
            return scripted
        html_mode = request.query_params.get("textType") == "html"
        target = request.query_params["to"]
        return JSONResponse(
            [
                {
                    "translations": [
                        {
                            "text": fake_translate(
                                "microsoft", state, item["Text"], target,
                                _html_keep(item["Text"], html_mode, 'class="notranslate"'),
                            ),
                            "to": target,
                        }
                    ]
                }
                for item in body
            ]
        )  # fmt: skip

    return [Route("/translate", translate, methods=["POST"])]


# -- Baidu --------------------------------------------------------------------------------


def baidu_routes(state: FakeState) -> list[Route]:
    async def translate(request: Request) -> Response:
        form = dict(await request.form())
        _record(state, "baidu", request, form)
        expected = hashlib.md5(
            f"{BAIDU_APPID}{form.get('q', '')}{form.get('salt', '')}{BAIDU_SECRET}".encode()
        ).hexdigest()
        if form.get("appid") != BAIDU_APPID:
            return JSONResponse({"error_code": "52003", "error_msg": "UNAUTHORIZED USER"})
        if form.get("sign") != expected:
            return JSONResponse({"error_code": "54001", "error_msg": "Invalid Sign"})
        if (scripted := await _scripted("baidu", state)) is not None:
            return scripted
        lines = [line for line in str(form["q"]).split("\n") if line.strip()]
        target = {"zh": "zh", "en": "en", "spa": "es"}.get(str(form["to"]), "en")
        return JSONResponse(
            {
                "from": form["from"],
                "to": form["to"],
                "trans_result": [
                    {
                        "src": line,
                        "dst": fake_translate(
                            "baidu", state, line, target, _PLACEHOLDER.findall(line)
                        ),
                    }
                    for line in lines
                ],
            }
        )

    return [Route("/api/trans/vip/translate", translate, methods=["GET", "POST"])]


# -- Tencent ------------------------------------------------------------------------------


def tencent_verify(request_headers: dict[str, str], payload: bytes, now: float) -> str | None:
    """Re-derive the TC3-HMAC-SHA256 signature; an error code, or None when it verifies."""
    auth = request_headers.get("authorization", "")
    match = re.fullmatch(
        r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/tmt/tc3_request, "
        r"SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})",
        auth,
    )
    if not match:
        return "AuthFailure.SignatureFailure"
    secret_id, date, signed, signature = match.groups()
    if secret_id != TENCENT_ID:
        return "AuthFailure.SecretIdNotFound"
    timestamp = int(request_headers.get("x-tc-timestamp", "0"))
    if abs(now - timestamp) > 300:
        return "AuthFailure.SignatureExpire"
    if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != date:
        return "AuthFailure.SignatureFailure"
    names = signed.split(";")
    canonical_headers = "".join(
        f"{n}:{request_headers.get(n, '').strip().lower()}\n" for n in names
    )
    canonical = f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(payload).hexdigest()}"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/tmt/tc3_request\n"
        f"{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = ("TC3" + TENCENT_KEY).encode()
    for part in (date, "tmt", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    good = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(good, signature) else "AuthFailure.SignatureFailure"


def tencent_routes(state: FakeState) -> list[Route]:
    async def api(request: Request) -> Response:
        raw = await request.body()
        body = json.loads(raw)
        _record(state, "tencent", request, body)
        error = tencent_verify(dict(request.headers), raw, time.time())
        if request.headers.get("x-tc-action") != "TextTranslateBatch":
            error = "InvalidAction"
        if error:
            return JSONResponse(
                {"Response": {"Error": {"Code": error, "Message": "fake"}, "RequestId": "r"}}
            )
        if (scripted := await _scripted("tencent", state)) is not None:
            return scripted
        return JSONResponse(
            {
                "Response": {
                    "TargetTextList": [
                        fake_translate("tencent", state, t, body["Target"], _PLACEHOLDER.findall(t))
                        for t in body["SourceTextList"]
                    ],
                    "RequestId": "fake-request",
                }
            }
        )

    return [Route("/", api, methods=["POST"])]


# -- Apertium APy -------------------------------------------------------------------------


def apy_routes(state: FakeState) -> list[Route]:
    async def list_pairs(request: Request) -> Response:
        pairs = [("eng", "spa"), ("spa", "eng"), ("spa", "por"), ("por", "spa")]
        return JSONResponse(
            {
                "responseData": [{"sourceLanguage": s, "targetLanguage": t} for s, t in pairs],
                "responseDetails": None,
                "responseStatus": 200,
            }
        )

    async def translate(request: Request) -> Response:
        args = dict(request.query_params)
        if request.method == "POST":
            args.update({k: str(v) for k, v in (await request.form()).items()})
        _record(state, "apy", request, args)
        if (scripted := await _scripted("apy", state)) is not None:
            return scripted
        source, _, target = args.get("langpair", "").partition("|")
        if (source, target) not in {("eng", "spa"), ("spa", "eng"), ("spa", "por")}:
            return JSONResponse(
                {"responseData": None, "responseDetails": "That pair is not installed",
                 "responseStatus": 400}, 400,
            )  # fmt: skip
        text = args.get("q", "")
        out = fake_translate("apy", state, text, target[:2], _PLACEHOLDER.findall(text))
        return JSONResponse(
            {
                "responseData": {"translatedText": out},
                "responseDetails": None,
                "responseStatus": 200,
            }
        )

    return [
        Route("/listPairs", list_pairs, methods=["GET"]),
        Route("/translate", translate, methods=["GET", "POST"]),
    ]


def create_app(state: FakeState) -> Starlette:
    return Starlette(
        routes=[
            Mount("/openai/v1", routes=openai_routes(state)),
            Mount("/deepl", routes=deepl_routes(state)),
            Mount("/google", routes=google_routes(state)),
            Mount("/microsoft", routes=microsoft_routes(state)),
            Mount("/baidu", routes=baidu_routes(state)),
            Mount("/tencent", routes=tencent_routes(state)),
            Mount("/apy", routes=apy_routes(state)),
        ]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(state: FakeState) -> Iterator[str]:
    """Run the fakes on a random loopback port in a thread; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake translation server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
