"""IMAP and SMTP through the account's own proxy (python-socks, already used for Telegram).

An account's proxy gives it a stable egress address; mail must not bypass it, so a proxy
that cannot carry IMAP or SMTP (``https://``) makes the account misconfigured instead of
being ignored. ``socks5://`` and ``socks5h://`` (RFC 1928, user name and password by RFC
1929) and ``http://`` (a ``CONNECT`` tunnel; many HTTP proxies allow CONNECT to port 443
only) are supported. The mail server's host name is resolved by the proxy in every case,
so the machine running crossdesk does not even look the server up itself.

TLS runs inside the tunnel, end to end with the mail server, its certificate checked as on
a direct connection: the proxy sees only encrypted bytes (``none`` is allowed only for a
server on this machine anyway).
"""

import socket
from urllib.parse import unquote, urlsplit

from python_socks import ProxyError, ProxyTimeoutError, ProxyType
from python_socks._errors import IncompleteReadError  # the proxy hung up mid-handshake
from python_socks.sync import Proxy

from crossdesk.errors import InvalidInput

_TYPES = {"socks5": ProxyType.SOCKS5, "socks5h": ProxyType.SOCKS5, "http": ProxyType.HTTP}


class ProxyFailed(Exception):
    """The proxy refused or could not reach the mail server (its text is not passed on)."""


def checked_proxy_url(proxy_url: str | None) -> str | None:
    """The proxy URL if e-mail can use it, None without one, else InvalidInput."""
    if not proxy_url or not proxy_url.strip():
        return None
    url = proxy_url.strip()
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in _TYPES or not parts.hostname or port is None:
        raise InvalidInput(
            "e-mail goes through the account's proxy only as socks5://, socks5h:// or "
            "http:// host:port (an https:// proxy cannot carry IMAP or SMTP)",
            field="proxy_url",
        )
    return url


def connect(proxy_url: str, host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to ``host:port`` through the proxy (blocking: run it in a thread)."""
    parts = urlsplit(proxy_url)
    assert parts.hostname is not None and parts.port is not None  # checked_proxy_url
    proxy = Proxy(
        _TYPES[parts.scheme],
        parts.hostname,
        parts.port,
        username=_unquoted(parts.username),
        password=_unquoted(parts.password),
        rdns=True,
    )
    try:
        sock = proxy.connect(host, port, timeout=timeout)
    except ProxyTimeoutError:
        raise ProxyFailed("the account's proxy did not answer in time") from None
    except IncompleteReadError:
        raise ProxyFailed("the account's proxy closed the connection") from None
    except ProxyError as exc:
        code = getattr(exc, "error_code", None)
        raise ProxyFailed(
            f"the account's proxy refused the connection to the mail server ({code})"
        ) from None
    except OSError as exc:  # python-socks' ProxyConnectionError is an OSError
        raise ProxyFailed(f"could not reach the account's proxy ({type(exc).__name__})") from None
    sock.settimeout(timeout)
    return sock


def _unquoted(value: str | None) -> str | None:
    return unquote(value) if value else None
