"""Vault maintenance over every sealed column: re-wrap under the current key, verify.

Rotation only re-wraps data keys (the sealed data is untouched), batch by batch, each batch
its own short transaction, so servers keep running. A row is written back only if its blob
is still the one that was read (``WHERE col = old``): a row re-sealed concurrently by a
server is left alone and caught by the next pass. Progress is reported after every batch
with a cursor that a later run can resume from.
"""

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select, update

from crossdesk.db.models import AccountSession, Message, Secret
from crossdesk.db.session import transaction
from crossdesk.errors import VaultError
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data, blob_key_id


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """One column holding vault blobs, and how its associated data and record name are made."""

    name: str  # "message.body_raw_enc"
    table: Table
    column: str
    # (row) -> (purpose, record name); row has id, workspace_id and the ``extra`` columns.
    describe: Callable[[Any], tuple[str, str]]  # Any: a SQLAlchemy Row
    extra: tuple[str, ...] = ()


def _table(model: Any) -> Table:  # Any: a mapped class
    table: Table = model.__table__
    return table


SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn(
        "secret.blob",
        _table(Secret),
        "blob",
        lambda r: (f"account.{r.name}", f"secret {r.id} ({r.name} of {r.owner_id})"),
        ("name", "owner_id"),
    ),
    SealedColumn(
        "account_session.state_enc",
        _table(AccountSession),
        "state_enc",
        lambda r: ("session.state", f"account_session {r.id} (account {r.account_id})"),
        ("account_id",),
    ),
    SealedColumn(
        "message.body_raw_enc",
        _table(Message),
        "body_raw_enc",
        lambda r: ("message.body", f"message {r.id} (original body)"),
    ),
    SealedColumn(
        "message.outgoing_enc",
        _table(Message),
        "outgoing_enc",
        lambda r: ("message.outgoing", f"message {r.id} (outgoing translation)"),
    ),
)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a pass stands: the column and the last id done (ids are time-ordered)."""

    column: str
    after: str = ""


@dataclass(frozen=True, slots=True)
class Progress:
    column: str
    seen: int
    total: int
    changed: int
    cursor: Cursor


@dataclass
class Report:
    seen: int = 0
    changed: int = 0  # rewrapped (rotate) or opened (verify)
    raced: int = 0  # changed by someone else while being rewrapped
    failures: list[str] = field(default_factory=list)  # one line per bad record
    by_key: dict[str, int] = field(default_factory=dict)  # key id hex -> records

    @property
    def ok(self) -> bool:
        return not self.failures


ProgressFn = Callable[[Progress], None]


def _not_null(sealed: SealedColumn) -> ColumnElement[bool]:
    return sealed.table.c[sealed.column].is_not(None)


async def _count(services: Services, sealed: SealedColumn) -> int:
    async with services.read_sessionmaker() as session:
        total = await session.scalar(
            select(func.count()).select_from(sealed.table).where(_not_null(sealed))
        )
    return int(total or 0)


async def _batches(
    services: Services, sealed: SealedColumn, after: str, size: int
) -> AsyncIterator[Sequence[Any]]:  # Any: SQLAlchemy rows (id, workspace_id, extras, blob)
    """Batches of rows in id order, each read in its own short read-only session."""
    table = sealed.table
    columns = [table.c.id, table.c.workspace_id, *(table.c[c] for c in sealed.extra)]
    while True:
        async with services.read_sessionmaker() as session:
            rows = (
                await session.execute(
                    select(*columns, table.c[sealed.column].label("blob"))
                    .where(_not_null(sealed), table.c.id > after)
                    .order_by(table.c.id)
                    .limit(size)
                )
            ).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _columns_from(start: Cursor | None) -> Iterator[tuple[SealedColumn, str]]:
    names = [c.name for c in SEALED_COLUMNS]
    first = names.index(start.column) if start and start.column in names else 0
    for index, sealed in enumerate(SEALED_COLUMNS[first:], start=first):
        yield sealed, (start.after if start and index == first else "")


def _key_hex(blob: bytes) -> str:
    key_id = blob_key_id(blob)
    return key_id.hex() if key_id else "not-a-vault-blob"


async def rotate_vault(
    services: Services,
    *,
    batch: int | None = None,
    start: Cursor | None = None,
    progress: ProgressFn | None = None,
) -> Report:
    """Re-wrap every record not under the current master key. Records that fail to open
    are named in the report and left as they are (keep the old key until they are fixed)."""
    size = batch or services.settings.vault.rotation_batch
    envelope = services.envelope
    report = Report()
    for sealed, after in _columns_from(start):
        total = await _count(services, sealed)
        seen = changed = 0
        table, column = sealed.table, sealed.table.c[sealed.column]
        async for rows in _batches(services, sealed, after, size):
            updates: list[tuple[str, bytes, bytes]] = []
            for row in rows:
                seen += 1
                if envelope.is_current(row.blob):
                    continue
                purpose, record = sealed.describe(row)
                try:
                    new = envelope.rewrap(
                        row.blob, associated_data(row.workspace_id, row.id, purpose), record=record
                    )
                except VaultError as exc:
                    report.failures.append(exc.message)
                    continue
                updates.append((row.id, row.blob, new))
            if updates:
                async with transaction(services.sessionmaker) as session:
                    for row_id, old, new in updates:
                        result = await session.execute(
                            update(table)
                            .where(table.c.id == row_id, column == old)
                            .values({sealed.column: new})
                        )
                        if result.rowcount == 1:  # type: ignore[attr-defined]  # CursorResult
                            changed += 1
                        else:
                            report.raced += 1
            if progress:
                progress(
                    Progress(sealed.name, seen, total, changed, Cursor(sealed.name, rows[-1].id))
                )
        report.seen += seen
        report.changed += changed
    return report


async def verify_vault(
    services: Services, *, batch: int | None = None, progress: ProgressFn | None = None
) -> Report:
    """Open every record; the report names each one that does not open, and counts
    records per master key (``by_key``)."""
    size = batch or services.settings.vault.rotation_batch
    envelope = services.envelope
    report = Report()
    for sealed, after in _columns_from(None):
        total = await _count(services, sealed)
        seen = opened = 0
        async for rows in _batches(services, sealed, after, size):
            for row in rows:
                seen += 1
                key = _key_hex(row.blob)
                report.by_key[key] = report.by_key.get(key, 0) + 1
                purpose, record = sealed.describe(row)
                try:
                    envelope.open(
                        row.blob, associated_data(row.workspace_id, row.id, purpose), record=record
                    )
                except VaultError as exc:
                    report.failures.append(exc.message)
                    continue
                opened += 1
            if progress:
                progress(
                    Progress(sealed.name, seen, total, opened, Cursor(sealed.name, rows[-1].id))
                )
        report.seen += seen
        report.changed += opened
    return report
