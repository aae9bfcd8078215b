"""The FastAPI application factory."""

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from crossdesk.actions.group_commit import GroupCommitter
from crossdesk.channels.base import AccountContext
from crossdesk.channels.sandbox.platform import SandboxPlatform
from crossdesk.config import Settings
from crossdesk.guard import warm_up
from crossdesk.risk.checkpoints import checkpoint_forever
from crossdesk.services import Services, build_services
from crossdesk.translation import TranslationConfig
from crossdesk.web import metrics, sandbox, sse, webhooks
from crossdesk.web.account_cache import AccountCache
from crossdesk.web.api.v1 import account_limits as account_limits_api
from crossdesk.web.api.v1 import admin, alerts, conversations, me, messages, word_lists
from crossdesk.web.api.v1 import assignment as assignment_api
from crossdesk.web.api.v1 import contacts as contacts_api
from crossdesk.web.api.v1 import labels as labels_api
from crossdesk.web.api.v1 import notifications as notifications_api
from crossdesk.web.api.v1 import outbound_attachments as outbound_attachments_api
from crossdesk.web.api.v1 import reports as reports_api
from crossdesk.web.api.v1 import risk_rules as risk_rules_api
from crossdesk.web.api.v1 import roles as roles_api
from crossdesk.web.api.v1 import saved_views as saved_views_api
from crossdesk.web.api.v1 import search as search_api
from crossdesk.web.api.v1 import sessions as sessions_api
from crossdesk.web.api.v1 import teamwork as teamwork_api
from crossdesk.web.api.v1 import translation as translation_api
from crossdesk.web.api.v1 import translation_compare as translation_compare_api
from crossdesk.web.errors import install_error_handlers
from crossdesk.web.security import (
    BodyLimitMiddleware,
    CsrfOriginMiddleware,
    SecurityHeadersMiddleware,
)
from crossdesk.web.ui import (
    account_limits_views,
    accounts_views,
    alerts_views,
    attachment_views,
    audit_views,
    bridge_views,
    contacts_views,
    labels_views,
    notifications_views,
    outbound_file_views,
    profile_views,
    reports_views,
    risk_rules_views,
    search_views,
    settings_views,
    teamwork_views,
    translation_compare_views,
    views,
    window_views,
)
from crossdesk.workers.alert_notifications import AlertNotificationWorker
from crossdesk.workers.assignment import AssignmentWorker
from crossdesk.workers.attachments import AttachmentWorker
from crossdesk.workers.delivery import DeliveryWorker, default_client_factory
from crossdesk.workers.email import EmailWorker
from crossdesk.workers.health import HealthWorker
from crossdesk.workers.risk_rules import RiskRulesWorker
from crossdesk.workers.telegram_user import TelegramUserWorker
from crossdesk.workers.translation import TranslationWorker

logger = logging.getLogger(__name__)

# Sandbox accounts reach the sandbox platform in this process, not over the network.
INPROCESS_BASE = "http://crossdesk.internal"
SESSION_STATE_PATHS = re.compile(r"/api/v1/accounts/[^/]+/session(/checkin)?")
STATIC_DIR = Path(__file__).parent / "ui" / "static"

BackgroundTask = Callable[[FastAPI], Coroutine[Any, Any, None]]


def create_app(
    settings: Settings,
    *,
    services: Services | None = None,
    background: list[BackgroundTask] | None = None,
    translation: TranslationConfig | None = None,
) -> FastAPI:
    """Build the app. Workers run as tasks inside it unless ``settings.run_workers`` is off;
    ``background`` adds more tasks (the demo's customer simulator). Services built here
    (with ``translation`` if given) are closed with the app; passed-in ones are not."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        # Load the guard's tables and jieba (1–2 s) before accepting traffic, off the loop,
        # so that the first customer message is not the one that pays for it.
        await asyncio.to_thread(warm_up)
        if settings.run_workers:
            tasks.append(asyncio.create_task(app.state.delivery.run_forever()))
            tasks.append(asyncio.create_task(HealthWorker(app.state.services).run_forever()))
            tasks.append(asyncio.create_task(EmailWorker(app.state.services).run_forever()))
            tasks.append(asyncio.create_task(TelegramUserWorker(app.state.services).run_forever()))
            tasks.append(asyncio.create_task(RiskRulesWorker(app.state.services).run_forever()))
            tasks.append(asyncio.create_task(app.state.attachments.run_forever()))
            tasks.append(asyncio.create_task(app.state.translation_worker.run_forever()))
            tasks.append(asyncio.create_task(checkpoint_forever(app.state.services)))
            tasks.append(asyncio.create_task(AssignmentWorker(app.state.services).run_forever()))
            tasks.append(asyncio.create_task(app.state.alert_notifications.run_forever()))
        for task in background or []:
            tasks.append(asyncio.create_task(task(app)))
        try:
            yield
        finally:
            for running in tasks:
                running.cancel()
            for running in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await running
            await app.state.sandbox.drain()
            if owns_services:
                await app.state.services.close()

    owns_services = services is None
    services = services or build_services(settings, translation=translation)
    app = FastAPI(
        title="crossdesk",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.services = services

    def inprocess_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=INPROCESS_BASE)

    def client_for(account: AccountContext) -> httpx.AsyncClient:
        if account.config.get("api_base_url", "").startswith(INPROCESS_BASE):
            return inprocess_client()
        return default_client_factory(account)

    app.state.sandbox = SandboxPlatform(
        services.sessionmaker, settings.resolved_secret_key(), inprocess_client
    )
    app.state.delivery = DeliveryWorker(services, client_for)
    app.state.attachments = AttachmentWorker(services)
    app.state.translation_worker = TranslationWorker(services)
    app.state.alert_notifications = AlertNotificationWorker(services)
    app.state.webhook_targets = AccountCache(services)
    app.state.group_commit = GroupCommitter(services)

    install_error_handlers(app)
    app.include_router(conversations.router, prefix="/api/v1")
    app.include_router(me.router, prefix="/api/v1")
    app.include_router(messages.router, prefix="/api/v1")
    app.include_router(translation_api.router, prefix="/api/v1")
    app.include_router(translation_compare_api.router, prefix="/api/v1")
    app.include_router(word_lists.router, prefix="/api/v1")
    app.include_router(teamwork_api.router, prefix="/api/v1")
    app.include_router(labels_api.router, prefix="/api/v1")
    app.include_router(saved_views_api.router, prefix="/api/v1")
    app.include_router(contacts_api.router, prefix="/api/v1")
    app.include_router(search_api.router, prefix="/api/v1")
    app.include_router(alerts.router, prefix="/api/v1")
    app.include_router(risk_rules_api.router, prefix="/api/v1")
    app.include_router(reports_api.router, prefix="/api/v1")
    app.include_router(admin.router, prefix="/api/v1")
    app.include_router(roles_api.router, prefix="/api/v1")
    app.include_router(sessions_api.router, prefix="/api/v1")
    app.include_router(account_limits_api.router, prefix="/api/v1")
    app.include_router(sse.router, prefix="/api/v1")
    app.include_router(notifications_api.router, prefix="/api/v1")
    app.include_router(assignment_api.router, prefix="/api/v1")
    app.include_router(outbound_attachments_api.router, prefix="/api/v1")
    app.include_router(webhooks.router)
    app.include_router(metrics.router)
    app.include_router(sandbox.router)
    app.include_router(views.router)
    app.include_router(views.pages)
    app.include_router(audit_views.router)
    app.include_router(alerts_views.router)
    app.include_router(reports_views.router)
    app.include_router(risk_rules_views.router)
    app.include_router(settings_views.router)
    app.include_router(teamwork_views.router)
    app.include_router(labels_views.router)
    app.include_router(contacts_views.router)
    app.include_router(accounts_views.router)
    app.include_router(bridge_views.router)
    app.include_router(bridge_views.hooks)
    app.include_router(window_views.router)
    app.include_router(account_limits_views.router)
    app.include_router(translation_compare_views.router)
    app.include_router(attachment_views.router)
    app.include_router(profile_views.router)
    app.include_router(notifications_views.router)
    app.include_router(search_views.router)
    app.include_router(outbound_file_views.router)
    app.include_router(outbound_file_views.public)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_middleware(CsrfOriginMiddleware, exempt_prefixes=("/webhooks/",))
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.web.max_body_bytes,
        # Browser session states (cookies, localStorage, IndexedDB) are checked in whole.
        # Outbound files are uploaded whole, up to the file cap.
        larger=(
            (SESSION_STATE_PATHS, settings.sessions.max_state_bytes),
            outbound_attachments_api.upload_body_limit(settings),
        ),
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(metrics.MetricsMiddleware)
    return app
