"""Fetching inbound media (photos, documents, voice notes, ...) from the platforms.

Adapters store attachment metadata with the message (``attachment`` rows); this worker
downloads the bytes into ``settings.data_dir / "attachments" / <workspace> / <id><ext>`` and
records the relative path in ``attachment.storage_path``.

- Platforms: Telegram bot (``getFile``), WhatsApp Cloud API (media URL), LINE (content
  endpoint), WhatsApp bridge (WAHA file URL, with its API key, on the bridge only):
  ``channels/<platform>/media.py`` builds the authenticated download request.
  Messenger and Instagram attachments (and LINE content from an external provider) carry a
  plain ``https://`` URL in the signed webhook, fetched as it is.
- Through the account's own proxy (the client comes from the same factory as sends).
- No database session is held while a platform answers (ADR 0002): rows are read in a short
  session, the download runs with none, the result is written in a transaction of its own.
- Size-limited (the declared size is checked first, then the stream is cut at the limit) and
  content-type checked: the type is taken from the bytes where they identify it (images,
  PDF), a claimed image that is not one is refused, and only an allow-list is stored.
- Failures are retried with backoff; permanent ones (unknown file, refused type, too big)
  are given up for the life of the process. Why is recorded in the message's stage notes
  (``attachments``: {attachment id: note}, no column for it), so the conversation shows
  "refused" or "could not be downloaded" instead of "not downloaded yet"
  (``download_problem``; the Telegram user worker writes the same notes, one string for its
  message's file). A later run (after a restart) may still fetch it: a stored file wins.
"""

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from crossdesk.actions.accounts import account_context
from crossdesk.channels.base import AccountContext
from crossdesk.channels.line import media as line_media
from crossdesk.channels.telegram_bot import media as telegram_media
from crossdesk.channels.whatsapp import media as whatsapp_media
from crossdesk.channels.whatsapp_bridge import media as bridge_media
from crossdesk.db.models import Attachment, ChannelAccount, Message
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind
from crossdesk.domain.media_types import extension_for
from crossdesk.errors import PermanentSendError, RetryableSendError
from crossdesk.services import Services
from crossdesk.workers.attachment_sweep import sweep_orphans

logger = logging.getLogger(__name__)

ClientFactory = Callable[[AccountContext], httpx.AsyncClient]
RequestBuilder = Callable[[httpx.AsyncClient, AccountContext, str], Awaitable[httpx.Request]]

DOWNLOADERS: dict[ChannelKind, RequestBuilder] = {
    ChannelKind.TELEGRAM_BOT: telegram_media.download_request,
    ChannelKind.WHATSAPP: whatsapp_media.download_request,
    ChannelKind.LINE: line_media.download_request,
    ChannelKind.WHATSAPP_WEB: bridge_media.download_request,
}
# Platforms whose download answer wraps the file (Evolution API: JSON with base64):
# (account, body, served content type) → (file bytes, content type).
Decoder = Callable[[AccountContext, bytes, str | None], tuple[bytes, str | None]]
DECODERS: dict[ChannelKind, Decoder] = {ChannelKind.WHATSAPP_WEB: bridge_media.decode_download}
# Platforms whose webhooks carry a plain https:// URL to the file (no authentication).
URL_KINDS = frozenset({ChannelKind.MESSENGER, ChannelKind.INSTAGRAM, ChannelKind.LINE})
FETCHABLE_KINDS = ("image", "video", "audio", "document", "sticker")
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
MAX_ATTEMPTS = 6
SWEEP_EVERY = 3600.0  # seconds between removals of files no attachment refers to

# What may be stored (and later served, images inline, everything else as a download).
ALLOWED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/quicktime",
        "video/3gpp",
        "video/webm",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "audio/webm",
        "application/pdf",
        "text/plain",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/octet-stream",
    }
)
INLINE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


class AttachmentRefused(Exception):
    """The file may not be stored (too big, type not allowed or not what it claims)."""


# Stage-notes key and note prefixes for files that were not stored (see the module doc).
NOTES_KEY = "attachments"
REFUSED = "refused: "
NOT_DOWNLOADED = "not downloaded: "


@dataclass(frozen=True, slots=True)
class DownloadProblem:
    state: str  # "refused" (too big, type not allowed) or "failed" (gave up fetching it)
    reason: str


def download_problem(notes: Mapping[str, Any] | None, attachment_id: str) -> DownloadProblem | None:
    """Why this attachment of a message with these stage notes was not stored, if known."""
    value = (notes or {}).get(NOTES_KEY)
    if isinstance(value, dict):  # this worker: one note per attachment
        value = value.get(attachment_id)
    if not isinstance(value, str) or not value:  # the Telegram user worker: one string
        return None
    if value.startswith(REFUSED):
        return DownloadProblem("refused", value.removeprefix(REFUSED))
    return DownloadProblem("failed", value.removeprefix(NOT_DOWNLOADED))


def download_problems(
    rows: Iterable[Attachment], notes_by_message: Mapping[str, Mapping[str, Any] | None]
) -> dict[str, DownloadProblem]:
    """The problems of the attachments without a stored file, by attachment id."""
    found: dict[str, DownloadProblem] = {}
    for row in rows:
        if row.storage_path:
            continue
        problem = download_problem(notes_by_message.get(row.message_id), row.id)
        if problem is not None:
            found[row.id] = problem
    return found


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, for the types that matter for safety."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _bare(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def checked_type(claimed: str | None, served: str | None, head: bytes) -> str:
    """The type to store the file as, or AttachmentRefused.

    The bytes win where they identify the type; a file claimed (by the platform's metadata
    or its response) to be an image must really be one; the result must be allowed.
    """
    claimed, served = _bare(claimed), _bare(served)
    sniffed = sniff(head)
    stated = claimed or (served if served != "application/octet-stream" else None)
    if sniffed is not None:
        return sniffed
    if stated is not None and stated.startswith("image/") and stated != "image/svg+xml":
        raise AttachmentRefused(f"the file claims to be {stated} but is not an image")
    effective = stated or "application/octet-stream"
    if effective not in ALLOWED_TYPES:
        raise AttachmentRefused(f"files of type {effective} are not accepted")
    return effective


@dataclass(frozen=True, slots=True)
class Pending:
    attachment_id: str
    workspace_id: str
    account_id: str
    account_kind: str
    file_id: str
    content_type: str | None
    size: int | None
    filename: str | None
    url: str | None = None

    @property
    def direct_url(self) -> str | None:
        """The plain URL to fetch, when the platform API is not the way (see module doc)."""
        kind = ChannelKind(self.account_kind)
        if not (self.url or "").startswith("https://") or kind not in URL_KINDS:
            return None
        if kind in DOWNLOADERS and self.file_id and kind is not ChannelKind.LINE:
            return None
        return self.url

    @property
    def fetchable(self) -> bool:
        kind = ChannelKind(self.account_kind)
        return self.direct_url is not None or (kind in DOWNLOADERS and bool(self.file_id))


@dataclass(frozen=True, slots=True)
class Stored:
    relative_path: str
    content_type: str
    size: int


def attachments_root(services: Services) -> Path:
    return Path(services.settings.data_dir) / "attachments"


def _default_client(account: AccountContext) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0), proxy=account.proxy_url)


class AttachmentWorker:
    def __init__(
        self,
        services: Services,
        client_factory: ClientFactory = _default_client,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        batch: int = 20,
        idle_seconds: float = 2.0,
    ) -> None:
        self._services = services
        self._client_factory = client_factory
        self.max_bytes = max_bytes
        self._batch = batch
        self._idle = idle_seconds
        self._attempts: dict[str, tuple[int, float]] = {}  # id → (attempts, not before)
        self.given_up: dict[str, str] = {}  # id → reason

    async def run_forever(self) -> None:
        next_sweep = time.monotonic() + SWEEP_EVERY
        while True:
            try:
                worked = await self.run_once()
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_EVERY
                    await sweep_orphans(self._services, attachments_root(self._services))
            except Exception:
                logger.exception("attachment pass failed")
                worked = 0
            if not worked:
                await asyncio.sleep(self._idle)

    async def _pending(self) -> list[Pending]:
        now = time.monotonic()
        skip = set(self.given_up) | {
            key for key, (_, not_before) in self._attempts.items() if not_before > now
        }
        async with self._services.read_sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Attachment, ChannelAccount.id, ChannelAccount.kind)
                    .join(Message, Message.id == Attachment.message_id)
                    .join(ChannelAccount, ChannelAccount.id == Message.account_id)
                    .where(
                        Attachment.storage_path.is_(None),
                        Attachment.kind.in_(FETCHABLE_KINDS),
                        ChannelAccount.kind.in_([k.value for k in set(DOWNLOADERS) | URL_KINDS]),
                    )
                    .order_by(Attachment.created_at)
                    .limit(self._batch + len(skip))
                )
            ).all()
        found = [
            Pending(
                a.id,
                a.workspace_id,
                account_id,
                kind,
                a.platform_file_id or "",
                a.content_type,
                a.size,
                a.filename,
                a.url,
            )
            for a, account_id, kind in rows
            if a.id not in skip
        ]
        for item in found:
            if not item.fetchable:
                await self._give_up(item, "no file id or https URL to fetch")
        return [item for item in found if item.fetchable][: self._batch]

    async def run_once(self) -> int:
        """Fetch one batch of pending attachments; returns how many were attempted."""
        pending = await self._pending()
        for item in pending:
            await self.fetch(item)
        return len(pending)

    async def fetch(self, item: Pending) -> Stored | None:
        async with self._services.read_sessionmaker() as session:
            account = await session.get(ChannelAccount, item.account_id)
            if account is None:
                self.given_up[item.attachment_id] = "account gone"
                return None
            context = await account_context(self._services, session, account)
        # The session is closed: downloads may take a while.
        try:
            stored = await self._download(context, item)
        except AttachmentRefused as exc:
            await self._give_up(item, str(exc), refused=True)
            return None
        except PermanentSendError as exc:
            await self._give_up(item, str(exc))
            return None
        except (RetryableSendError, httpx.TransportError) as exc:
            await self._retry_later(item, exc)
            return None
        async with transaction(self._services.sessionmaker) as session:
            row = await session.get(Attachment, item.attachment_id)
            if row is None:
                return None
            row.storage_path = stored.relative_path
            row.content_type = stored.content_type
            row.size = stored.size
        self._attempts.pop(item.attachment_id, None)
        return stored

    async def _give_up(
        self, item: Pending, reason: str, *, refused: bool = False, shown: str | None = None
    ) -> None:
        """Stop fetching it in this process and record why on its message (``shown``: the
        reason for people, when ``reason`` may carry more than they should see)."""
        logger.warning("attachment %s not fetched: %s", item.attachment_id, reason)
        self.given_up[item.attachment_id] = reason
        self._attempts.pop(item.attachment_id, None)
        note = (REFUSED if refused else NOT_DOWNLOADED) + (shown or reason)
        try:
            await self._record(item.attachment_id, note[:500])
        except Exception:  # the in-process give-up still holds; the view says "not yet"
            logger.exception(
                "recording why attachment %s was not fetched failed", item.attachment_id
            )

    async def _record(self, attachment_id: str, note: str) -> None:
        async with transaction(self._services.sessionmaker) as session:
            message = await session.scalar(
                select(Message)
                .join(Attachment, Attachment.message_id == Message.id)
                .where(Attachment.id == attachment_id)
                .with_for_update(of=Message)  # other workers note on the same message
            )
            if message is None:
                return
            notes = dict(message.stage_notes or {})
            current = notes.get(NOTES_KEY)
            files = dict(current) if isinstance(current, dict) else {}
            files[attachment_id] = note
            notes[NOTES_KEY] = files
            message.stage_notes = notes  # a new dict: the JSON column sees the change

    async def _retry_later(self, item: Pending, exc: Exception) -> None:
        attempts, _ = self._attempts.get(item.attachment_id, (0, 0.0))
        attempts += 1
        if attempts >= MAX_ATTEMPTS:
            # Shown to agents: our own message, or only the error's name (a transport
            # error's text may name the download URL, which can carry a token).
            cause = exc.message if isinstance(exc, RetryableSendError) else type(exc).__name__
            await self._give_up(
                item,
                f"still failing after {attempts} attempts: {exc}",
                shown=f"still failing after {attempts} attempts ({cause})",
            )
            return
        retry_after = getattr(exc, "retry_after", None)
        delay = max(float(retry_after or 0), min(300.0, 2.0**attempts))
        self._attempts[item.attachment_id] = (attempts, time.monotonic() + delay)

    async def _download(self, account: AccountContext, item: Pending) -> Stored:
        if item.size is not None and item.size > self.max_bytes:
            raise AttachmentRefused(
                f"the file has {item.size} bytes; the limit is {self.max_bytes}"
            )
        async with self._client_factory(account) as client:
            if item.direct_url is not None:
                request = client.build_request("GET", item.direct_url)
            else:
                builder = DOWNLOADERS[ChannelKind(item.account_kind)]
                request = await builder(client, account, item.file_id)
            response = await client.send(request, stream=True, follow_redirects=True)
            try:
                if response.status_code == 202:  # LINE: still preparing the content
                    raise RetryableSendError("the platform is still preparing the file")
                if response.status_code in (429,) or response.status_code >= 500:
                    raise RetryableSendError(f"the platform answered {response.status_code}")
                if not response.is_success:
                    raise PermanentSendError(
                        f"the platform answered {response.status_code}", reason="media_unavailable"
                    )
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise AttachmentRefused(
                        f"the file has {declared} bytes; the limit is {self.max_bytes}"
                    )
                chunks: list[bytes] = []
                total = 0
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    if total > self.max_bytes:
                        raise AttachmentRefused(f"the file exceeds {self.max_bytes} bytes")
                    chunks.append(chunk)
                served = response.headers.get("content-type")
            finally:
                await response.aclose()
        data = b"".join(chunks)
        decode = DECODERS.get(ChannelKind(item.account_kind))
        if decode is not None:
            data, served = decode(account, data, served)
        content_type = checked_type(item.content_type, served, data[:16])
        return await asyncio.to_thread(self._write, item, content_type, data)

    def _write(self, item: Pending, content_type: str, data: bytes) -> Stored:
        return write_checked(
            self._services, item.workspace_id, item.attachment_id, content_type, data
        )


class LimitedBuffer:
    """A write-only in-memory file that refuses to grow past ``max_bytes``: for clients that
    download into a file object (Telethon's ``download_media``), so a file that is bigger
    than declared is cut at the limit like a streamed HTTP download."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._chunks: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> int:
        self._size += len(data)
        if self._size > self.max_bytes:
            raise AttachmentRefused(f"the file exceeds {self.max_bytes} bytes")
        self._chunks.append(bytes(data))
        return len(data)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        return None

    def getvalue(self) -> bytes:
        return b"".join(self._chunks)


def write_checked(
    services: Services, workspace_id: str, name: str, content_type: str, data: bytes
) -> Stored:
    """Write bytes already checked as ``content_type`` (see ``checked_type``) into the
    attachment store as ``<workspace>/<name><ext>``: fsynced, then renamed into place, so a
    crash never leaves half a file under the final name (blocking: run it in a thread)."""
    relative = f"{workspace_id}/{name}{extension_for(content_type)}"
    write_atomically(attachments_root(services) / relative, (data,))
    return Stored(relative, content_type, len(data))


def write_atomically(target: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` next to ``target``, fsync, then rename into place: a crash never
    leaves half a file under the final name, and the partial file never stays behind."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = target.with_suffix(target.suffix + ".part")
    try:
        with temporary.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
