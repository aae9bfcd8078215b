"""An account's Telegram user settings, validated from its config, secrets and proxy.

Config: ``api_id`` (from my.telegram.org), optional ``dc_id``/``dc_host``/``dc_port`` to
reach a specific data centre before login (tests point these at the local fake; real
accounts leave them unset). Secrets: ``api_hash`` and, after login, ``session`` (Telethon's
StringSession: it *is* the login, so it only ever lives sealed in the vault).
"""

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from crossdesk.channels.base import AccountContext
from crossdesk.errors import InvalidInput

SESSION_SECRET = "session"  # noqa: S105  # the name of a vault secret, not its value
API_HASH_SECRET = "api_hash"  # noqa: S105
PROXY_SCHEMES = {"socks5": "socks5", "socks5h": "socks5", "socks4": "socks4", "http": "http"}


@dataclass(frozen=True, slots=True)
class Endpoint:
    dc_id: int
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class TelegramUserSettings:
    api_id: int
    api_hash: str
    session: str | None
    endpoint: Endpoint | None
    proxy: dict[str, object] | None

    def __repr__(self) -> str:  # the session string and api_hash are credentials
        return f"TelegramUserSettings(api_id={self.api_id}, logged_in={self.session is not None})"


def telegram_user_settings(account: AccountContext) -> TelegramUserSettings:
    config, secrets = account.config, account.secrets
    raw_id = config.get("api_id", "").strip()
    if not raw_id.isdigit() or int(raw_id) <= 0:
        raise InvalidInput("api_id must be the positive number shown on my.telegram.org")
    api_hash = secrets.get(API_HASH_SECRET, "").strip()
    if len(api_hash) != 32 or any(c not in "0123456789abcdefABCDEF" for c in api_hash):
        raise InvalidInput("api_hash must be the 32 hexadecimal characters from my.telegram.org")
    return TelegramUserSettings(
        api_id=int(raw_id),
        api_hash=api_hash,
        session=secrets.get(SESSION_SECRET) or None,
        endpoint=_endpoint(config),
        proxy=telethon_proxy(account.proxy_url),
    )


def _endpoint(config: object) -> Endpoint | None:
    assert hasattr(config, "get")
    host = str(config.get("dc_host", "")).strip()
    if not host:
        return None
    dc, port = str(config.get("dc_id", "2")), str(config.get("dc_port", "443"))
    if not dc.isdigit() or not 1 <= int(dc) <= 5:
        raise InvalidInput("dc_id must be a Telegram data centre number from 1 to 5")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InvalidInput("dc_port must be a TCP port from 1 to 65535")
    return Endpoint(int(dc), host, int(port))


def telethon_proxy(proxy_url: str | None) -> dict[str, object] | None:
    """The account's proxy URL as Telethon's proxy dict (SOCKS5/SOCKS4/HTTP CONNECT)."""
    if not proxy_url:
        return None
    parts = urlsplit(proxy_url)
    scheme = PROXY_SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise InvalidInput(
            "the account's proxy must be socks5://, socks4:// or http:// host:port for Telegram"
        )
    proxy: dict[str, object] = {
        "proxy_type": scheme,
        "addr": parts.hostname,
        "port": parts.port or (1080 if scheme.startswith("socks") else 8080),
        "rdns": True,
    }
    if parts.username:
        proxy["username"] = unquote(parts.username)
        proxy["password"] = unquote(parts.password or "")
    return proxy
