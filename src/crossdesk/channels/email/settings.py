"""An e-mail account's connection settings, read from its ``AccountContext``.

Config: ``imap_host``, ``imap_port``, ``imap_security`` (``ssl`` | ``starttls`` | ``none``),
``smtp_host``, ``smtp_port``, ``smtp_security``, ``username`` (default: the address),
``from_name``, ``mailbox`` (default ``INBOX``), ``poll_seconds`` (when the server has no
IDLE), ``ca_file`` (a CA bundle for a company's own certificate authority).
Secrets: ``password`` (IMAP and SMTP), ``smtp_password`` (when SMTP has its own).
``external_id`` is the account's e-mail address (the From of replies). The account's proxy
(``proxy_url``) carries IMAP and SMTP too (proxy.py).

``none`` (no TLS) is accepted only for a server on this machine: a password is never sent
in clear over a network.
"""

import ipaddress
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr

from crossdesk.channels.base import AccountContext
from crossdesk.channels.email.proxy import checked_proxy_url
from crossdesk.errors import InvalidInput

SECURITY = ("ssl", "starttls", "none")
DEFAULT_PORTS = {
    ("imap", "ssl"): 993,
    ("imap", "starttls"): 143,
    ("imap", "none"): 143,
    ("smtp", "ssl"): 465,
    ("smtp", "starttls"): 587,
    ("smtp", "none"): 25,
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    security: str  # ssl | starttls | none

    def __repr__(self) -> str:
        return f"Endpoint({self.host}:{self.port}, {self.security})"


@dataclass(frozen=True, slots=True)
class EmailSettings:
    address: str
    from_name: str
    username: str
    password: str
    smtp_password: str
    imap: Endpoint
    smtp: Endpoint
    mailbox: str
    poll_seconds: float
    ca_file: str | None
    proxy_url: str | None = None  # checked by proxy.checked_proxy_url

    def __repr__(self) -> str:  # never print the password
        return f"EmailSettings({self.address}, imap={self.imap!r}, smtp={self.smtp!r})"

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1]

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name checked, against ``ca_file`` when one is given."""
        return ssl.create_default_context(cafile=self.ca_file)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def valid_address(value: str) -> str:
    """A bare ``local@domain`` address, or InvalidInput."""
    _, address = parseaddr(value.strip())
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError):
        raise InvalidInput(f"not an e-mail address: {value!r}", field="external_id") from None
    if not parsed.username or not parsed.domain or "." not in parsed.domain.strip("."):
        raise InvalidInput(f"not an e-mail address: {value!r}", field="external_id")
    return parsed.addr_spec


def endpoint(config: dict[str, str], protocol: str) -> Endpoint:
    host = config.get(f"{protocol}_host", "").strip()
    if not host:
        raise InvalidInput(f"the {protocol.upper()} host is required", field=f"{protocol}_host")
    security = config.get(f"{protocol}_security", "ssl").strip().lower() or "ssl"
    if security not in SECURITY:
        raise InvalidInput(
            f"{protocol.upper()} security must be one of ssl, starttls, none",
            field=f"{protocol}_security",
        )
    if security == "none" and not is_loopback(host):
        raise InvalidInput(
            f"{protocol.upper()} without TLS is only allowed for a server on this machine",
            field=f"{protocol}_security",
        )
    raw_port = config.get(f"{protocol}_port", "").strip()
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise InvalidInput(
                f"the {protocol.upper()} port must be a number from 1 to 65535",
                field=f"{protocol}_port",
            )
        port = int(raw_port)
    else:
        port = DEFAULT_PORTS[(protocol, security)]
    return Endpoint(host, port, security)


def email_settings(account: AccountContext) -> EmailSettings:
    """The account's settings, or InvalidInput naming the missing or wrong one."""
    config = dict(account.config)
    address = valid_address(account.external_id)
    password = account.secrets.get("password", "")
    if not password:
        raise InvalidInput("the mailbox password is not configured", field="password")
    poll = config.get("poll_seconds", "60").strip() or "60"
    try:
        poll_seconds = max(1.0, float(poll))
    except ValueError:
        raise InvalidInput("poll_seconds must be a number", field="poll_seconds") from None
    return EmailSettings(
        address=address,
        from_name=config.get("from_name", "").strip(),
        username=config.get("username", "").strip() or address,
        password=password,
        smtp_password=account.secrets.get("smtp_password", "") or password,
        imap=endpoint(config, "imap"),
        smtp=endpoint(config, "smtp"),
        mailbox=config.get("mailbox", "").strip() or "INBOX",
        poll_seconds=poll_seconds,
        ca_file=config.get("ca_file", "").strip() or None,
        proxy_url=checked_proxy_url(account.proxy_url),
    )
