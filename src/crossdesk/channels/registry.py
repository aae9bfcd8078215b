"""Channel kind → adapter instance. Adding a platform is one line here."""

from crossdesk.channels.base import ChannelAdapter
from crossdesk.domain import ChannelKind
from crossdesk.errors import NotFound

_ADAPTERS: dict[ChannelKind, ChannelAdapter] = {}


def register(adapter: ChannelAdapter) -> None:
    _ADAPTERS[adapter.kind] = adapter


def get_adapter(kind: ChannelKind) -> ChannelAdapter:
    _load_builtin()
    try:
        return _ADAPTERS[kind]
    except KeyError:
        raise NotFound(f"no adapter for channel kind {kind.value!r}") from None


def registered_kinds() -> list[ChannelKind]:
    _load_builtin()
    return sorted(_ADAPTERS, key=lambda k: k.value)


def _load_builtin() -> None:
    if _ADAPTERS:
        return
    from crossdesk.channels.email.adapter import EmailAdapter
    from crossdesk.channels.line.adapter import LineAdapter
    from crossdesk.channels.meta.adapter import InstagramAdapter, MessengerAdapter
    from crossdesk.channels.sandbox.adapter import SandboxAdapter
    from crossdesk.channels.telegram_bot.adapter import TelegramBotAdapter
    from crossdesk.channels.telegram_user.adapter import TelegramUserAdapter
    from crossdesk.channels.whatsapp.adapter import WhatsAppCloudAdapter
    from crossdesk.channels.whatsapp_bridge.adapter import WhatsAppBridgeAdapter

    for adapter in (
        SandboxAdapter(),
        WhatsAppCloudAdapter(),
        MessengerAdapter(),
        InstagramAdapter(),
        TelegramBotAdapter(),
        TelegramUserAdapter(),
        LineAdapter(),
        EmailAdapter(),
        WhatsAppBridgeAdapter(),
    ):
        register(adapter)
