"""Per-platform harnesses for the channel adapter contract suite."""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # make ``tests.fakes`` importable whatever the import mode
    sys.path.insert(0, str(ROOT))

from tests.fakes.platforms.graph import FakeGraphApi, graph_error  # noqa: E402
from tests.fakes.platforms.line import MONTHLY_LIMIT, RATE_LIMITED, FakeLineApi  # noqa: E402
from tests.fakes.platforms.server import ScriptedReply  # noqa: E402
from tests.fakes.platforms.telegram import FakeTelegramBotApi, flood  # noqa: E402

from crossdesk.channels.base import AccountContext, ChannelAdapter  # noqa: E402
from crossdesk.channels.line.adapter import LineAdapter  # noqa: E402
from crossdesk.channels.line.signature import sign as line_sign  # noqa: E402
from crossdesk.channels.meta.adapter import InstagramAdapter, MessengerAdapter  # noqa: E402
from crossdesk.channels.meta.signature import sign as meta_sign  # noqa: E402
from crossdesk.channels.telegram_bot.adapter import TelegramBotAdapter  # noqa: E402
from crossdesk.channels.whatsapp.adapter import WhatsAppCloudAdapter  # noqa: E402
from crossdesk.domain import ChannelKind  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "channels"

WA_PHONE_ID = "112233445566778"
PAGE_ID = "108273645501928"
IG_ID = "17841405822304914"
TG_CHAT = 5123456789
LINE_USER = "Ua76efd04aa8b2ea76678e3e630364e49"


@dataclass
class Harness:
    """Everything the contract suite needs to know about one adapter."""

    slug: str
    adapter: ChannelAdapter
    secrets: dict[str, str]
    external_id: str
    sign: Callable[[bytes], dict[str, str]]
    recipient: str
    fake_name: str
    # Configure the fake for a successful send (tokens, known chats).
    prepare: Callable[[Any], None]
    # Script a rate-limit reply; return the retry_after the adapter must report.
    rate_limit: Callable[[Any], float]
    # Script (or arrange) a documented permanent error; return the expected reason.
    permanent: Callable[[Any], str]
    # The text the fake received in the last request.
    sent_text: Callable[[Any], str]

    @property
    def fixtures(self) -> Path:
        return FIXTURES / self.slug

    def account(self, base_url: str = "http://127.0.0.1:9", **secrets: str) -> AccountContext:
        return AccountContext(
            id=f"acc-{self.slug}",
            workspace_id="ws-1",
            kind=ChannelKind(self.slug),
            external_id=self.external_id,
            config={"api_base_url": base_url},
            secrets={**self.secrets, **secrets},
        )


def _meta_headers(secret: str) -> Callable[[bytes], dict[str, str]]:
    return lambda body: {"x-hub-signature-256": meta_sign(secret, body)}


def _graph_text(fake: FakeGraphApi) -> str:
    body = fake.requests[-1].body
    if body.get("messaging_product") == "whatsapp":
        return str(body["text"]["body"])
    return str(body["message"]["text"])


def _graph_rate_limit(code: int, expected: float) -> Callable[[Any], float]:
    def script(fake: FakeGraphApi) -> float:
        fake.script(400, graph_error(code, f"(#{code}) Rate limit hit"))
        return expected

    return script


def _window_closed(recipient: str) -> Callable[[Any], str]:
    """The customer wrote more than 24 hours ago: free-form messages are refused."""

    def arrange(fake: FakeGraphApi) -> str:
        fake.window_closed.add(recipient)
        return "window_closed"

    return arrange


def _graph_prepare(node: str, token: str, product: str) -> Callable[[Any], None]:
    return lambda fake: fake.add_node(node, token, product)


def _tg_prepare(fake: FakeTelegramBotApi) -> None:
    fake.token = "7012345678:AAFakeBotToken_x"
    fake.add_chat(TG_CHAT)


def _tg_rate_limit(fake: FakeTelegramBotApi) -> float:
    fake.script(flood(17))
    return 17.0


def _tg_permanent(fake: FakeTelegramBotApi) -> str:
    fake.blocked.add(TG_CHAT)
    return "recipient_blocked"


def _line_prepare(fake: FakeLineApi) -> None:
    fake.token = "test-long-lived-channel-access-token"


def _line_rate_limit(fake: FakeLineApi) -> float:
    fake.script(ScriptedReply(RATE_LIMITED.status, RATE_LIMITED.body, {"retry-after": "3"}))
    return 3.0


def _line_permanent(fake: FakeLineApi) -> str:
    fake.script(MONTHLY_LIMIT)
    return "quota_exhausted"


HARNESSES: dict[str, Harness] = {
    "whatsapp": Harness(
        slug="whatsapp",
        adapter=WhatsAppCloudAdapter(),
        secrets={
            "app_secret": "wa-app-secret",
            "verify_token": "crossdesk-verify-7f3a",
            "access_token": "EAAG-test-system-user-token",
        },
        external_id=WA_PHONE_ID,
        sign=_meta_headers("wa-app-secret"),
        recipient="819012345678",
        fake_name="graph",
        prepare=_graph_prepare(WA_PHONE_ID, "EAAG-test-system-user-token", "whatsapp"),
        rate_limit=_graph_rate_limit(130429, 5.0),
        permanent=_window_closed("819012345678"),
        sent_text=_graph_text,
    ),
    "messenger": Harness(
        slug="messenger",
        adapter=MessengerAdapter(),
        secrets={
            "app_secret": "fb-app-secret",
            "verify_token": "v",
            "access_token": "EAAP-test-page-token",
        },
        external_id=PAGE_ID,
        sign=_meta_headers("fb-app-secret"),
        recipient="7391028465012734",
        fake_name="graph",
        prepare=_graph_prepare(PAGE_ID, "EAAP-test-page-token", "messenger"),
        rate_limit=_graph_rate_limit(613, 60.0),
        permanent=_window_closed("7391028465012734"),
        sent_text=_graph_text,
    ),
    "instagram": Harness(
        slug="instagram",
        adapter=InstagramAdapter(),
        secrets={
            "app_secret": "ig-app-secret",
            "verify_token": "v",
            "access_token": "IGAA-test-token",
        },
        external_id=IG_ID,
        sign=_meta_headers("ig-app-secret"),
        recipient="1120349587716203",
        fake_name="graph",
        prepare=_graph_prepare(IG_ID, "IGAA-test-token", "instagram"),
        rate_limit=_graph_rate_limit(4, 60.0),
        permanent=_window_closed("1120349587716203"),
        sent_text=_graph_text,
    ),
    "telegram_bot": Harness(
        slug="telegram_bot",
        adapter=TelegramBotAdapter(),
        secrets={"bot_token": "7012345678:AAFakeBotToken_x", "webhook_secret": "tg-Secret_123"},
        external_id="7012345678",
        sign=lambda body: {"x-telegram-bot-api-secret-token": "tg-Secret_123"},
        recipient=str(TG_CHAT),
        fake_name="telegram",
        prepare=_tg_prepare,
        rate_limit=_tg_rate_limit,
        permanent=_tg_permanent,
        sent_text=lambda fake: str(fake.requests[-1].body["text"]),
    ),
    "line": Harness(
        slug="line",
        adapter=LineAdapter(),
        secrets={
            "channel_secret": "line-channel-secret",
            "channel_access_token": "test-long-lived-channel-access-token",
        },
        external_id="Ua2d0aa3000b7f26a985a56332657b27e",
        sign=lambda body: {"x-line-signature": line_sign("line-channel-secret", body)},
        recipient=LINE_USER,
        fake_name="line",
        prepare=_line_prepare,
        rate_limit=_line_rate_limit,
        permanent=_line_permanent,
        sent_text=lambda fake: str(fake.requests[-1].body["messages"][0]["text"]),
    ),
}


def fixture_cases() -> list[tuple[str, Path]]:
    """(slug, webhook body path) for every recorded webhook fixture."""
    cases = []
    for slug in HARNESSES:
        for path in sorted((FIXTURES / slug).glob("*.events.json")):
            cases.append((slug, path.with_name(path.name.replace(".events.json", ".json"))))
    return cases


def expected_events(body_path: Path) -> list[dict[str, Any]]:
    return list(json.loads(body_path.with_name(body_path.stem + ".events.json").read_text()))
