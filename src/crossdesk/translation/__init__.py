"""Translation engine: language ID, protected spans, providers, cache and routing.

No database, no web, no settings object: strings in, typed results out.

Typical use::

    config = config_from_env(os.environ)            # or TranslationConfig(...) from settings
    async with httpx.AsyncClient() as client:
        router = build_router(config, client)
        [result] = await router.translate([TranslationRequest("hola", target="en")])
        result.text, result.status, result.engine, result.reason
"""

from crossdesk.translation.breaker import BreakerState, CircuitBreaker
from crossdesk.translation.cache import CacheKey, InFlight, LRUCache, TranslationCache
from crossdesk.translation.errors import (
    EngineError,
    EngineRateLimited,
    EngineRejected,
    EngineResponseInvalid,
    EngineUnavailable,
)
from crossdesk.translation.factory import (
    EngineSpec,
    TranslationConfig,
    build_engine,
    build_router,
    config_from_env,
)
from crossdesk.translation.langid import Detection, LanguageDetector
from crossdesk.translation.placeholders import ProtectedText, Restored, protect, restore
from crossdesk.translation.providers.null import NullTranslator
from crossdesk.translation.router import RetryPolicy, Router
from crossdesk.translation.types import (
    Engine,
    Glossary,
    GlossaryTerm,
    LanguagePair,
    Status,
    TranslationRequest,
    TranslationResult,
    Translator,
)

__all__ = [
    "BreakerState",
    "CacheKey",
    "CircuitBreaker",
    "Detection",
    "Engine",
    "EngineError",
    "EngineRateLimited",
    "EngineRejected",
    "EngineResponseInvalid",
    "EngineSpec",
    "EngineUnavailable",
    "Glossary",
    "GlossaryTerm",
    "InFlight",
    "LRUCache",
    "LanguageDetector",
    "LanguagePair",
    "NullTranslator",
    "ProtectedText",
    "Restored",
    "RetryPolicy",
    "Router",
    "Status",
    "TranslationCache",
    "TranslationConfig",
    "TranslationRequest",
    "TranslationResult",
    "Translator",
    "build_engine",
    "build_router",
    "config_from_env",
    "protect",
    "restore",
]
