"""Build engines and a router from plain configuration (a mapping, e.g. the environment).

Environment form (prefix ``CROSSDESK_TRANSLATION__``)::

    CROSSDESK_TRANSLATION__ENGINES=deepseek,deepl,apertium      # default chain, in order
    CROSSDESK_TRANSLATION__ROUTES={"es->en": ["apertium", "deepseek"]}
    CROSSDESK_TRANSLATION__DEEPSEEK__API_KEY=sk-...
    CROSSDESK_TRANSLATION__LOCAL__KIND=openai_compat             # a custom name needs a kind
    CROSSDESK_TRANSLATION__LOCAL__PRESET=vllm
    CROSSDESK_TRANSLATION__TIMEOUT=20  __ATTEMPTS=3  __LANGUAGES=en,es,zh-Hans
    CROSSDESK_TRANSLATION__DEEPL__PRICE_PER_MILLION=25           # cost per million characters
    CROSSDESK_TRANSLATION__CURRENCY=USD                          # of those prices

An engine's kind is its name when the name is a kind or an OpenAI-compatible preset.
The settings object of the application can build :class:`TranslationConfig` directly.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from crossdesk.errors import ConfigError
from crossdesk.translation.cache import TranslationCache
from crossdesk.translation.langid import LanguageDetector
from crossdesk.translation.providers.apertium import ApertiumAdapter, ApertiumConfig
from crossdesk.translation.providers.baidu import BaiduConfig, BaiduEngine
from crossdesk.translation.providers.deepl import DeepLConfig, DeepLEngine
from crossdesk.translation.providers.google import (
    GoogleV2Config,
    GoogleV2Engine,
    GoogleV3Config,
    GoogleV3Engine,
)
from crossdesk.translation.providers.microsoft import MicrosoftConfig, MicrosoftEngine
from crossdesk.translation.providers.openai_compat import (
    PRESETS,
    OpenAICompatConfig,
    OpenAICompatEngine,
)
from crossdesk.translation.providers.tencent import TencentConfig, TencentEngine
from crossdesk.translation.router import RetryPolicy, Router
from crossdesk.translation.types import Engine

PREFIX = "CROSSDESK_TRANSLATION__"

# kind → (config class, engine constructor)
_KINDS: dict[str, tuple[type[Any], Callable[[Any, httpx.AsyncClient], Engine]]] = {
    "openai_compat": (OpenAICompatConfig, OpenAICompatEngine),
    "deepl": (DeepLConfig, DeepLEngine),
    "google": (GoogleV2Config, GoogleV2Engine),
    "google-v3": (GoogleV3Config, GoogleV3Engine),
    "microsoft": (MicrosoftConfig, MicrosoftEngine),
    "baidu": (BaiduConfig, BaiduEngine),
    "tencent": (TencentConfig, TencentEngine),
    "apertium": (ApertiumConfig, ApertiumAdapter),
}
KINDS = tuple(_KINDS) + tuple(PRESETS)


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """One configured engine: its name, kind and options (field name → string value)."""

    name: str
    kind: str
    options: Mapping[str, str] = field(default_factory=dict)
    # What the provider charges per million characters sent (for the usage report's cost).
    price_per_million: float | None = None


@dataclass(frozen=True, slots=True)
class TranslationConfig:
    engines: tuple[EngineSpec, ...] = ()
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timeout: float = 20.0
    attempts: int = 3
    languages: tuple[str, ...] = ()
    currency: str = "USD"

    def prices(self) -> dict[str, float]:
        """Engine name → price per million characters, for the engines that have one."""
        return {
            spec.name: spec.price_per_million
            for spec in self.engines
            if spec.price_per_million is not None
        }


def config_from_env(environ: Mapping[str, str], prefix: str = PREFIX) -> TranslationConfig:
    """Read :class:`TranslationConfig` from ``environ`` (pass ``os.environ``)."""
    scoped = {k[len(prefix) :].lower(): v for k, v in environ.items() if k.startswith(prefix)}
    names = [n.strip() for n in scoped.get("engines", "").split(",") if n.strip()]
    specs = []
    for name in names:
        key = name.lower().replace("-", "_")
        options = {k.split("__", 1)[1]: v for k, v in scoped.items() if k.startswith(f"{key}__")}
        kind = options.pop("kind", name.lower())
        price = _price(name, options.pop("price_per_million", None))
        specs.append(EngineSpec(name, kind, options, price))
    try:
        raw_routes = json.loads(scoped.get("routes", "{}"))
        routes = {str(k): tuple(str(n) for n in v) for k, v in raw_routes.items()}
    except (json.JSONDecodeError, AttributeError, TypeError) as exc:
        raise ConfigError(f"{prefix}ROUTES must be a JSON object of lists") from exc
    try:
        return TranslationConfig(
            engines=tuple(specs),
            routes=routes,
            timeout=float(scoped.get("timeout", 20.0)),
            attempts=int(scoped.get("attempts", 3)),
            languages=tuple(c.strip() for c in scoped.get("languages", "").split(",") if c.strip()),
            currency=scoped.get("currency", "USD").strip().upper() or "USD",
        )
    except ValueError as exc:
        raise ConfigError(f"{prefix}TIMEOUT/ATTEMPTS must be numbers") from exc


def _price(engine: str, raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        price = float(raw)
    except ValueError:
        raise ConfigError(f"engine {engine!r}: PRICE_PER_MILLION must be a number") from None
    if not 0 <= price < 1e6:
        raise ConfigError(f"engine {engine!r}: PRICE_PER_MILLION must be 0 or more")
    return price


def build_engine(spec: EngineSpec, client: httpx.AsyncClient) -> Engine:
    """Construct one engine from its spec."""
    kind, options = spec.kind, dict(spec.options)
    if kind in PRESETS:
        options.setdefault("preset", kind)
        kind = "openai_compat"
    if kind not in _KINDS:
        raise ConfigError(f"engine {spec.name!r}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    config_cls, constructor = _KINDS[kind]
    options.setdefault("name", spec.name)
    return constructor(_typed(config_cls, spec.name, options), client)


def _typed(config_cls: type[Any], engine: str, options: Mapping[str, str]) -> Any:
    """Instantiate a provider's config dataclass from string options."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    values: dict[str, object] = {}
    for key, raw in options.items():
        if key not in fields:
            raise ConfigError(f"engine {engine!r}: unknown option {key!r}")
        kind = str(fields[key].type)
        try:
            if "bool" in kind:
                values[key] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif kind == "int":
                values[key] = int(raw)
            else:
                values[key] = raw
        except ValueError as exc:
            raise ConfigError(f"engine {engine!r}: option {key!r} must be a number") from exc
    try:
        return config_cls(**values)
    except TypeError as exc:
        missing = [
            n
            for n, f in fields.items()
            if n not in values
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        raise ConfigError(f"engine {engine!r}: missing {', '.join(missing)}") from exc


def build_router(
    config: TranslationConfig,
    client: httpx.AsyncClient,
    *,
    cache: TranslationCache | None = None,
    detector: LanguageDetector | None = None,
) -> Router:
    """A :class:`Router` over the configured engines (none configured: everything is Null)."""
    engines = [build_engine(spec, client) for spec in config.engines]
    return Router(
        engines,
        config.routes,
        cache=cache,
        detector=detector or LanguageDetector(config.languages or None),
        retry=RetryPolicy(attempts=config.attempts, timeout=config.timeout),
    )
