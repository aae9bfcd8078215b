"""The composition root: everything an action or a worker needs, built once at start-up."""

import asyncio
import os
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crossdesk.config import Settings
from crossdesk.db.session import make_engine, make_read_sessionmaker, make_sessionmaker
from crossdesk.events import EventBus, make_bus
from crossdesk.guard import Lexicon, starter_packs
from crossdesk.masking import MaskingEngine
from crossdesk.pipeline.engines import (
    MaskingAdapter,
    RouterTranslator,
    language_detector,
)
from crossdesk.pipeline.factory import Pipelines, build_pipelines
from crossdesk.pipeline.guards import WorkspaceGuards
from crossdesk.pipeline.stages.translate import TextTranslator
from crossdesk.pipeline.translation_store import DatabaseCache, TranslationStore
from crossdesk.translation import LanguageDetector, TranslationConfig, build_router, config_from_env
from crossdesk.vault import Envelope, KeySource, derive_master_key, load_master_keys


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    pipelines: Pipelines
    envelope: Envelope
    http: httpx.AsyncClient
    # The same translator the pipelines use, for the composer's back-translation.
    translator: TextTranslator
    guards: WorkspaceGuards
    masker: MaskingAdapter
    # Set when an outbox row is committed so the delivery worker wakes without polling.
    delivery_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Teams whose queue may now be assignable (new conversation, capacity freed, agent
    # online); the assignment worker drains it. Only a hint: the worker also polls.
    assignment_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    assignment_teams: set[str] = field(default_factory=set)

    async def close(self) -> None:
        await self.bus.close()
        await self.http.aclose()
        await self.engine.dispose()


def build_services(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    translation: TranslationConfig | None = None,
    base_lexicons: list[Lexicon] | None = None,
) -> Services:
    """Build everything once. ``translation`` defaults to CROSSDESK_TRANSLATION__* (none
    configured: messages are honestly left untranslated); every workspace's guard is the
    starter packs (or ``base_lexicons``) plus the lists the workspace manages."""
    engine = engine or make_engine(settings.resolved_database_url)
    secret = settings.resolved_secret_key()
    http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
    translation = translation or config_from_env(os.environ)
    detector = LanguageDetector(translation.languages or None)
    sessionmaker = make_sessionmaker(engine)
    read_sessionmaker = make_read_sessionmaker(engine)
    # The router's LRU, backed by the database cache; translation memory, usage, quotas.
    cache = DatabaseCache()
    router = build_router(translation, http, detector=detector, cache=cache)
    paid = [e.name for e in router.engines.values() if not e.self_hosted]
    store = TranslationStore(
        sessionmaker,
        read_sessionmaker,
        cache,
        paid_engines=paid,
        prices=translation.prices(),
        currency=translation.currency,
    )
    translator = RouterTranslator(router, store)
    masker = MaskingAdapter(MaskingEngine())
    guards = WorkspaceGuards(make_read_sessionmaker(engine), base_lexicons or starter_packs())
    pipelines = build_pipelines(
        detector=language_detector(detector),
        guard=guards,
        masker=masker,
        translator=translator,
    )
    return Services(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        read_sessionmaker=read_sessionmaker,
        bus=make_bus(settings.redis_url),
        pipelines=pipelines,
        envelope=Envelope.from_source(vault_keys(settings, secret)),
        http=http,
        translator=translator,
        guards=guards,
        masker=masker,
    )


def vault_keys(settings: Settings, secret: bytes) -> KeySource:
    """CROSSDESK_MASTER_KEY, or the key file (generated on first run). The key formerly
    derived from the installation secret stays a previous key so older records open."""
    fallback = (derive_master_key(secret, "vault"),) if settings.vault.derived_key_fallback else ()
    return load_master_keys(
        env_key=settings.master_key.get_secret_value() if settings.master_key else None,
        env_previous=(
            settings.master_key_previous.get_secret_value()
            if settings.master_key_previous
            else None
        ),
        key_file=settings.master_key_file,
        fallback=fallback,
    )
