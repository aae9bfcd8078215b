"""Composing a reply and handing it to the account's SMTP server (aiosmtplib).

Threading headers follow RFC 5322 §3.6.4: ``In-Reply-To`` names the mail answered and
``References`` is that mail's References plus its Message-ID. The Message-ID is derived
from the outbox key, so a retried attempt carries the same id (and the thread index knows
it before the server does).

Files make the mail ``multipart/mixed``: the text first, then each file as a part with
``Content-Disposition: attachment`` and its type; a non-ASCII (Chinese) file name is sent
as an RFC 2231 ``filename*=utf-8''…`` parameter, which every current mail client reads.

Errors: a refused recipient or a 5xx reply is permanent; a 4xx reply, a refused connection
or a timeout before DATA is retryable (nothing was sent); a connection lost after DATA
leaves the outcome unknown.
"""

import asyncio
import ssl
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from crossdesk.channels.email import proxy
from crossdesk.channels.email.files import OutgoingFile
from crossdesk.channels.email.settings import EmailSettings
from crossdesk.errors import PermanentSendError, RetryableSendError, SendError

TIMEOUT = 30.0
MAX_REFERENCES = 20  # long threads: keep the first and the newest ids (RFC 5322 allows it)


def reply_subject(subject: str) -> str:
    subject = subject.strip() or "(no subject)"
    return (
        subject
        if subject.lower().startswith(("re:", "aw:", "回复:", "答复:"))
        else f"Re: {subject}"
    )


def references_header(references: list[str], in_reply_to: str | None) -> str:
    chain = [r for r in references if r]
    if in_reply_to and in_reply_to not in chain:
        chain.append(in_reply_to)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return " ".join(chain)


def compose(
    settings: EmailSettings,
    *,
    to: str,
    text: str,
    message_id: str,
    subject: str,
    in_reply_to: str | None,
    references: list[str],
    files: Sequence[OutgoingFile] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.from_name, settings.address))
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    chain = references_header(references, in_reply_to)
    if chain:
        message["References"] = chain
    message["Auto-Submitted"] = "no"
    message.set_content(text)
    for file in files:
        major, _, minor = file.content_type.partition("/")
        # Content-Type's ``name`` (what old clients read) only for ASCII names: the standard
        # library folds a non-ASCII ``name*`` next to a long type (…officedocument…) by
        # encoding the type itself as an encoded word, which breaks the type (found by
        # the round-trip test). ``filename*`` in Content-Disposition is folded correctly.
        message.add_attachment(
            file.data,
            maintype=major,
            subtype=minor,
            filename=file.filename,
            params={"name": file.filename} if file.filename.isascii() else None,
        )
    return message


def encoded_size(message: EmailMessage) -> int:
    """The mail's size as it crosses the wire (CRLF line ends), for the SIZE check."""
    return len(message.as_bytes(policy=policy.SMTP))


async def new_client(settings: EmailSettings, seconds: float) -> aiosmtplib.SMTP:
    """A client for the account's SMTP server, not yet connected. With a proxy the TCP
    connection is opened here, through it (proxy.ProxyFailed when that fails); TLS then
    runs inside the tunnel, the certificate checked against the real host name."""
    endpoint = settings.smtp
    sock = None
    if settings.proxy_url is not None:
        sock = await asyncio.to_thread(
            proxy.connect, settings.proxy_url, endpoint.host, endpoint.port, seconds
        )
    return aiosmtplib.SMTP(
        hostname=endpoint.host,
        port=None if sock is not None else endpoint.port,  # aiosmtplib: a socket or a port
        sock=sock,
        use_tls=endpoint.security == "ssl",
        start_tls=endpoint.security == "starttls",
        tls_context=settings.tls_context() if endpoint.security != "none" else None,
        timeout=seconds,
    )


async def send(settings: EmailSettings, message: EmailMessage) -> None:
    try:
        client = await new_client(settings, TIMEOUT)
    except proxy.ProxyFailed as exc:
        raise RetryableSendError(str(exc), outcome="not_sent") from None
    try:
        await client.connect()
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, OSError) as exc:
        raise RetryableSendError(
            f"could not connect to the SMTP server: {type(exc).__name__}", outcome="not_sent"
        ) from exc
    except (aiosmtplib.SMTPException, ssl.SSLError) as exc:
        raise RetryableSendError(
            f"the SMTP server broke off the connection: {type(exc).__name__}", outcome="not_sent"
        ) from exc
    try:
        await _login_and_send(client, settings, message)
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()


async def _login_and_send(
    client: aiosmtplib.SMTP, settings: EmailSettings, message: EmailMessage
) -> None:
    try:
        await client.login(settings.username, settings.smtp_password)
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise PermanentSendError(
            f"the SMTP server refused the user name or password ({exc.code})",
            reason="access_token_invalid",
            platform_code=exc.code,
        ) from None
    except aiosmtplib.SMTPException as exc:
        raise _mapped(exc, "login", sent_data=False) from None
    _check_size(client, message)
    try:
        await client.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        if all(400 <= c < 500 for c in codes):
            raise RetryableSendError(
                "the SMTP server deferred the recipient", outcome="not_sent"
            ) from None
        raise PermanentSendError(
            "the SMTP server refused the recipient address",
            reason="recipient_unknown",
            platform_code=codes[0] if codes else None,
        ) from None
    except aiosmtplib.SMTPException as exc:
        raise _mapped(exc, "send", sent_data=True) from None


def _check_size(client: aiosmtplib.SMTP, message: EmailMessage) -> None:
    """Refuse before MAIL FROM what the server said it will not take (RFC 1870 SIZE)."""
    advertised = client.esmtp_extensions.get("size", "").strip()
    if not advertised.isdigit() or int(advertised) == 0:  # 0 or absent: no stated limit
        return
    limit, size = int(advertised), encoded_size(message)
    if size > limit:
        raise PermanentSendError(
            f"the mail is {size / 1_000_000:.1f} MB with its attachments; the SMTP server "
            f"accepts at most {limit / 1_000_000:.1f} MB",
            reason="attachment_too_large",
            platform_code=552,
        )


def _mapped(exc: aiosmtplib.SMTPException, step: str, *, sent_data: bool) -> SendError:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        code = exc.code
        text = f"SMTP {step} refused ({code})"
        if 400 <= code < 500:
            return RetryableSendError(text, outcome="not_sent", platform_code=code)
        return PermanentSendError(text, reason="rejected", platform_code=code)
    # Disconnected or timed out: after DATA began the server may have taken the mail.
    outcome = "unknown" if sent_data else "not_sent"
    return RetryableSendError(f"SMTP {step} failed: {type(exc).__name__}", outcome=outcome)
