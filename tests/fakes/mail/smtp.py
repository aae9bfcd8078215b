"""A real SMTP server (aiosmtpd) that accepts mail after AUTH and keeps it for the tests.

Supports AUTH PLAIN/LOGIN against a fixed user, optional STARTTLS (``require_starttls``),
refusing chosen recipients with 550, deferring with 451 a number of times, and a message size
limit.
"""

import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from tests.fakes.mail.dovecot import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class MailSink:
    user: str
    password: str
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    defer: int = 0  # answer 451 to this many DATA commands first

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 Try again later"
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 2.0.0 Message accepted"


def start_smtp(
    user: str,
    password: str,
    *,
    tls_context: ssl.SSLContext | None = None,
    data_size_limit: int = 33554432,
    implicit_tls: bool = False,
) -> tuple[Controller, MailSink]:
    """``data_size_limit`` is advertised as ``SIZE`` (RFC 1870) and enforced with 552.
    With ``tls_context``: STARTTLS required, or with ``implicit_tls`` TLS from the first
    byte (SMTPS, port 465 style)."""
    sink = MailSink(user, password)
    starttls = tls_context is not None and not implicit_tls
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=sink.authenticate,
        auth_require_tls=starttls,
        tls_context=tls_context if starttls else None,
        require_starttls=starttls,
        ssl_context=tls_context if implicit_tls else None,
        data_size_limit=data_size_limit,
    )
    controller.start()
    return controller, sink
