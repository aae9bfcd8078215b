""" "Test connection" for an e-mail account: IMAP login and mailbox, then SMTP login."""

import asyncio

import aiosmtplib

from crossdesk.channels.base import AccountContext
from crossdesk.channels.email import proxy, smtp
from crossdesk.channels.email.imap import ImapError, ImapSession
from crossdesk.channels.email.settings import email_settings
from crossdesk.errors import InvalidInput


async def probe_mailbox(account: AccountContext) -> tuple[str, str]:
    """(health, detail): ``connected``, ``auth_failed``, ``unreachable`` or ``error``."""
    try:
        settings = email_settings(account)
    except InvalidInput as exc:
        return "error", exc.message
    try:
        session = await asyncio.to_thread(ImapSession, settings)
    except ImapError as exc:
        return ("auth_failed" if exc.auth else "unreachable"), f"IMAP: {exc}"
    idle = session.supports_idle
    await asyncio.to_thread(session.close)
    try:
        client = await smtp.new_client(settings, 15.0)
    except proxy.ProxyFailed as exc:
        return "unreachable", f"SMTP: {exc}"
    try:
        await client.connect()
        await client.login(settings.username, settings.smtp_password)
    except aiosmtplib.SMTPAuthenticationError:
        return "auth_failed", "SMTP: the server refused the user name or password"
    except (aiosmtplib.SMTPException, OSError) as exc:
        return "unreachable", f"SMTP: {type(exc).__name__}"
    finally:
        if client.is_connected:
            try:
                await client.quit()  # a polite end: the server closes its side itself
            except (aiosmtplib.SMTPException, OSError):
                client.close()
    mode = "IMAP IDLE" if idle else f"IMAP polling every {settings.poll_seconds:g}s"
    return "connected", f"{settings.address}: {mode}, SMTP login accepted"
