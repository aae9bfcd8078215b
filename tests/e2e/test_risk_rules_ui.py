"""Risk rules live in a real server and Chromium: an agent's blocked diversion attempts make
the running worker demand an approval; a supervisor approves it on /ui/risk-rules."""

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Response, expect
from sqlalchemy import select
from tests.e2e.test_browser import _log_in, browser, live_server  # noqa: F401  # fixtures
from tests.factories import DemoWorld

from crossdesk.config import Settings
from crossdesk.db.models import AuditEvent, RiskApproval
from crossdesk.db.session import transaction
from crossdesk.risk import audit
from crossdesk.services import build_services

pytestmark = pytest.mark.e2e


async def test_supervisor_approves_what_a_rule_held_back(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
    tmp_path: Path,
) -> None:
    base, world = live_server
    page = await browser.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)  # CSP refusals, script errors

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    await _log_in(page, base, world.users["supervisor"].email)
    await page.goto(f"{base}/ui/risk-rules")
    await expect(page.locator('tr[data-rule-id="guard-diversion-agent"]')).to_be_visible()
    await asyncio.sleep(2.5)  # the server's worker has started and placed its cursor

    # The same database the server uses (the live_server fixture's file).
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        secret_key="e2e-writer-0123456789abcdef",  # type: ignore[arg-type]
        run_workers=False,
    )
    services = build_services(settings)
    try:
        async with transaction(services.sessionmaker) as session:
            for _ in range(3):  # the shipped rule: 3 diversion hits by one agent in 1 h
                await audit.record(
                    session,
                    world.workspace_id,
                    "message.blocked",
                    audit.Actor(world.users["agent_a"].id),
                    target_type="conversation",
                    target_id="c1",
                    data={"categories": ["diversion"], "terms": ["wechat"]},
                )
        pending = page.locator("tr[data-approval-id]")
        for _ in range(40):  # the worker runs every 2 s
            await page.reload()
            if await pending.count():
                break
            await asyncio.sleep(0.5)
        await expect(pending).to_have_count(1)
        await expect(pending).to_contain_text("agent_a")
        await pending.locator("input[name=note]").fill("talked to them")
        await pending.locator("button[type=submit]").click()
        await expect(page).to_have_url(f"{base}/ui/risk-rules#approvals")
        await expect(page.locator("tr[data-approval-id]")).to_have_count(0)
        await expect(page.locator("#firings tbody tr").first).to_contain_text(
            "guard-diversion-agent"
        )
        async with services.read_sessionmaker() as session:
            approval = await session.scalar(select(RiskApproval))
            granted = await session.scalar(
                select(AuditEvent).where(AuditEvent.action == "risk.approval_granted")
            )
        assert approval is not None and approval.status == "approved"
        assert granted is not None and granted.data["note"] == "talked to them"
    finally:
        await services.close()
    assert problems == []  # no CSP or script errors
