"""A blocking IMAP4rev1 session (stdlib ``imaplib``), run in a thread by the e-mail worker.

``imaplib`` rather than an asyncio client because it does STARTTLS as well as implicit TLS;
each account gets its own thread, so a blocking IDLE never holds up the event loop.
IDLE (RFC 2177) is not in Python 3.11's ``imaplib``: it is spoken here with the client's
own tagged-command helpers, and ended with ``DONE`` at the timeout (servers drop an IDLE
after 30 minutes; the default here is far below that).

Everything is read by UID (RFC 3501 §2.3.1.1): ``UID SEARCH UID n:*`` and
``UID FETCH uid BODY.PEEK[]`` (PEEK: reading never marks the mail as seen in the user's
own mail client).
"""

import contextlib
import imaplib
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from crossdesk.channels.email import proxy
from crossdesk.channels.email.settings import EmailSettings

CONNECT_TIMEOUT = 15.0
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
MAX_MAIL_BYTES = 64 * 1024 * 1024  # larger mail is imported as headers and a note


class ImapError(Exception):
    """The server refused or broke off; ``auth`` says the credentials were refused."""

    def __init__(self, message: str, *, auth: bool = False) -> None:
        super().__init__(message)
        self.auth = auth


P = ParamSpec("P")
R = TypeVar("R")


def _session_errors(
    method: "Callable[Concatenate[ImapSession, P], R]",
) -> "Callable[Concatenate[ImapSession, P], R]":
    """A live session that breaks (BYE, reset, timeout) raises ImapError, which the worker
    answers by reconnecting; dovecot, for one, ends a session with BYE when the mailbox
    is recreated under it. The server's text is not passed on."""

    def wrapper(self: "ImapSession", /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except imaplib.IMAP4.abort as exc:
            raise ImapError("the IMAP server ended the session") from exc
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ImapError(f"the IMAP session broke off: {type(exc).__name__}") from exc

    wrapper.__doc__ = method.__doc__
    return wrapper


@dataclass(frozen=True, slots=True)
class FetchedMail:
    uid: int
    raw: bytes  # the first ``limit`` bytes when ``truncated``
    size: int = 0  # RFC822.SIZE, the whole mail
    truncated: bool = False


class ImapSession:
    """One logged-in connection with ``mailbox`` selected."""

    def __init__(self, settings: EmailSettings) -> None:
        self._settings = settings
        self._conn = self._connect()
        self.uidvalidity = 0
        self.capabilities: frozenset[str] = frozenset()
        try:
            self._login()
            self.capabilities = self._capabilities()
            self._select()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> imaplib.IMAP4:
        endpoint, proxy_url = self._settings.imap, self._settings.proxy_url
        host, port = endpoint.host, endpoint.port
        try:
            if endpoint.security == "ssl":
                context = self._settings.tls_context()
                if proxy_url:
                    return _ProxiedIMAP4_SSL(
                        proxy_url, host, port, ssl_context=context, timeout=CONNECT_TIMEOUT
                    )
                return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=CONNECT_TIMEOUT)
            conn = (
                _ProxiedIMAP4(proxy_url, host, port, timeout=CONNECT_TIMEOUT)
                if proxy_url
                else imaplib.IMAP4(host, port, timeout=CONNECT_TIMEOUT)
            )
            if endpoint.security == "starttls":
                conn.starttls(ssl_context=self._settings.tls_context())
            return conn
        except proxy.ProxyFailed as exc:
            raise ImapError(str(exc)) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"could not connect to the IMAP server: {type(exc).__name__}") from exc

    def _login(self) -> None:
        try:
            self._conn.login(self._settings.username, self._settings.password)
        except imaplib.IMAP4.error:
            # The server's text may echo the user name; it is not passed on.
            raise ImapError(
                "the IMAP server refused the user name or password", auth=True
            ) from None

    def _capabilities(self) -> frozenset[str]:
        """The list after login: it may differ from the greeting's (RFC 3501 §6.2.3; a
        proxy in front of the real server, or a server that offers IDLE only logged in)."""
        status, data = self._conn.capability()
        if status != "OK":
            raise ImapError("CAPABILITY failed")
        words: set[str] = set()
        for line in data:
            if isinstance(line, bytes):
                words.update(line.decode("ascii", "replace").upper().split())
        return frozenset(words)

    def _select(self) -> None:
        status, _ = self._conn.select(_quote(self._settings.mailbox), readonly=True)
        if status != "OK":
            raise ImapError(f"the mailbox {self._settings.mailbox!r} cannot be opened")
        _, values = self._conn.response("UIDVALIDITY")
        for value in values:
            if isinstance(value, bytes) and value.isdigit():
                self.uidvalidity = int(value)
        if not self.uidvalidity:
            raise ImapError("the IMAP server reported no UIDVALIDITY for the mailbox")

    @property
    def supports_idle(self) -> bool:
        """IDLE (RFC 2177) offered after login; otherwise the worker polls."""
        return "IDLE" in self.capabilities

    @_session_errors
    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than ``last_uid``, ascending. ``n:*`` always matches the newest mail
        even when it is below n (RFC 3501 §6.4.8), hence the filter."""
        self._take_announcements()  # this SEARCH covers everything announced so far
        self._check_uidvalidity()
        status, data = self._conn.uid("SEARCH", f"UID {last_uid + 1}:*")
        if status != "OK":
            raise ImapError("UID SEARCH failed")
        found: set[int] = set()
        for line in data:
            if isinstance(line, bytes):
                found.update(int(token) for token in line.split() if token.isdigit())
        return sorted(uid for uid in found if uid > last_uid)

    @_session_errors
    def fetch(self, uid: int, limit: int = MAX_MAIL_BYTES) -> FetchedMail | None:
        """The message (at most its first ``limit`` bytes: a partial fetch, RFC 3501
        §6.4.5, so a huge mail never fills the memory), or None if it was expunged."""
        status, data = self._conn.uid(
            "FETCH", str(uid), f"(UID RFC822.SIZE BODY.PEEK[]<0.{limit + 1}>)"
        )
        if status != "OK":
            raise ImapError(f"UID FETCH {uid} failed")
        size = 0
        found: bytes | None = None
        for item in data:
            # The size may come before the literal or after it (in the closing line).
            text = item[0] if isinstance(item, tuple) else item
            if isinstance(text, bytes) and (match := _FETCH_SIZE.search(text)) is not None:
                size = int(match.group(1))
            if isinstance(item, tuple) and len(item) == 2:
                header, raw = item
                match = _FETCH_UID.search(header)
                if match is not None and int(match.group(1)) == uid:
                    found = raw
        if found is None:
            return None
        truncated = len(found) > limit or size > limit
        return FetchedMail(uid, found[:limit], size or len(found), truncated)

    @_session_errors
    def idle(self, timeout: float) -> bool:
        """Wait in IDLE until the server reports new mail or ``timeout`` passes.

        Returns True when the server announced something (EXISTS/RECENT), False on timeout.
        """
        if self._take_announcements():
            # New mail was announced in the replies to SEARCH/FETCH (RFC 3501 §7: a server
            # may send EXISTS with any command); IDLE would not announce it again.
            return True
        conn = self._conn
        tag = conn._new_tag()  # imaplib's own tag counter
        conn.send(tag + b" IDLE\r\n")
        first = conn.readline()
        if not first.startswith(b"+"):
            raise ImapError("the server refused IDLE")
        sock = conn.sock
        announced = False
        sock.settimeout(timeout)
        try:
            while True:
                line = conn.readline()
                if not line:
                    raise ImapError("the IMAP server closed the connection during IDLE")
                if line.startswith(b"* ") and (b"EXISTS" in line or b"RECENT" in line):
                    announced = True
                    break
                if line.startswith(b"* BYE"):
                    raise ImapError("the IMAP server ended the session")
        except TimeoutError:
            pass
        finally:
            sock.settimeout(CONNECT_TIMEOUT)
        conn.send(b"DONE\r\n")
        while True:  # the tagged completion of IDLE; untagged lines before it are dropped
            line = conn.readline()
            if not line:
                raise ImapError("the IMAP server closed the connection after IDLE")
            if line.startswith(tag):
                break
        return announced

    def _check_uidvalidity(self) -> None:
        """A server may announce a new UIDVALIDITY in a live session (the mailbox was
        recreated): UIDs from here on mean other mail, so the session must start over."""
        _, values = self._conn.response("UIDVALIDITY")
        for value in values:
            if isinstance(value, bytes) and value.isdigit() and int(value) != self.uidvalidity:
                raise ImapError("the mailbox's UIDVALIDITY changed during the session")

    def _take_announcements(self) -> bool:
        """Whether the server announced new mail since the last call (and forget it)."""
        announced = False
        for name in ("EXISTS", "RECENT"):
            _, values = self._conn.response(name)
            announced = announced or any(v is not None for v in values)
        return announced

    def close(self) -> None:
        """Log out; a connection already broken is simply dropped."""
        try:
            self._conn.logout()
        except (OSError, imaplib.IMAP4.error, AttributeError):
            with contextlib.suppress(OSError):
                self._conn.shutdown()

    def interrupt(self) -> None:
        """From another thread: break off a blocking IDLE or fetch (the worker is stopping)."""
        with contextlib.suppress(OSError, AttributeError):
            self._conn.sock.shutdown(socket.SHUT_RDWR)


# imaplib opens its socket in ``_create_socket``, called by its constructor (IMAP4_SSL wraps
# the socket in TLS there); the proxied classes open it through the account's proxy.
class _ProxiedIMAP4(imaplib.IMAP4):
    def __init__(self, proxy_url: str, host: str, port: int, *, timeout: float) -> None:
        self._proxy_url = proxy_url
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return proxy.connect(self._proxy_url, self.host, self.port, timeout or CONNECT_TIMEOUT)


class _ProxiedIMAP4_SSL(imaplib.IMAP4_SSL):
    def __init__(
        self, proxy_url: str, host: str, port: int, *, ssl_context: ssl.SSLContext, timeout: float
    ) -> None:
        self._proxy_url = proxy_url
        super().__init__(host, port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = proxy.connect(self._proxy_url, self.host, self.port, timeout or CONNECT_TIMEOUT)
        context: ssl.SSLContext = self.ssl_context
        return context.wrap_socket(sock, server_hostname=self.host)


def _quote(mailbox: str) -> str:
    """Mailbox names with spaces or quotes must be sent as quoted strings."""
    if re.fullmatch(r"[A-Za-z0-9._/-]+", mailbox):
        return mailbox
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
