"""The composition root: everything an action or a worker needs, built once at start-up."""

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crossdesk.config import Settings
from crossdesk.db.session import make_engine, make_sessionmaker
from crossdesk.events import EventBus, make_bus
from crossdesk.pipeline.factory import Pipelines, build_pipelines
from crossdesk.vault import Envelope, derive_master_key


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    pipelines: Pipelines
    envelope: Envelope
    # Set when an outbox row is committed so the delivery worker wakes without polling.
    delivery_wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    async def close(self) -> None:
        await self.bus.close()
        await self.engine.dispose()


def build_services(settings: Settings, *, engine: AsyncEngine | None = None) -> Services:
    engine = engine or make_engine(settings.resolved_database_url)
    secret = settings.resolved_secret_key()
    return Services(
        settings=settings,
        engine=engine,
        sessionmaker=make_sessionmaker(engine),
        bus=make_bus(settings.redis_url),
        pipelines=build_pipelines(),
        envelope=Envelope(derive_master_key(secret, "vault")),
    )
