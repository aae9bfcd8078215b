"""The translation worker: inbound messages whose translation is pending, translated later.

An engine that is down never blocks a message: the webhook stores it untranslated with
``translation_status = "pending"`` and a visible note. This worker picks pending messages
up, runs the mask and translate stages again on the decrypted original (engines only ever
see the tokenized text), and when an engine answers writes the translation and publishes a
``message.updated`` event so open threads refresh. While engines stay down it backs off per
message (exponentially, capped); the router's circuit breakers keep those retries cheap.

It also builds the translation memory: an outbound message whose translation the agent
wrote by hand (``translation_engine == "agent"``) becomes, once stored, the preferred
translation of the same source text and pair in that workspace. Both sides are kept in
tokenized form (personal data replaced by ``⟦TYPE_n⟧`` tokens); an edit that still contains
personal data after tokenizing is not learnt.

No session is held while an engine runs (ADR 0002/0003): one read session collects the
batch, the engines run with no connection, one write transaction stores the outcomes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.models import Conversation, Message, TranslationMemory, Workspace
from crossdesk.db.session import commit
from crossdesk.domain import Direction, StageStatus
from crossdesk.pipeline import Draft
from crossdesk.pipeline.runner import Pipeline
from crossdesk.pipeline.translation_store import TranslationStore, remember
from crossdesk.services import Services
from crossdesk.translation import languages
from crossdesk.vault.crypto import associated_data

logger = logging.getLogger(__name__)

PREVIEW_LENGTH = 200
RETRY_STAGES = ("mask", "translate")


@dataclass(slots=True)
class _Backoff:
    attempts: int
    due: float


@dataclass(frozen=True, slots=True)
class _Outcome:
    message_id: str
    conversation_id: str
    body_masked: str
    draft: Draft


class TranslationWorker:
    """Retries pending translations.

    Args:
        services: the application's services (the inbound pipeline's stages are reused).
        batch: most messages per pass.
        poll_interval: seconds between passes when nothing was translated.
        base_delay: first per-message backoff after a failed retry, doubled each time.
        max_delay: longest per-message backoff.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        services: Services,
        *,
        batch: int = 20,
        poll_interval: float = 5.0,
        base_delay: float = 10.0,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._services = services
        self.batch = batch
        self.poll_interval = poll_interval
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock
        self._backoff: dict[str, _Backoff] = {}
        stages = [s for s in services.pipelines.inbound.stages if s.name in RETRY_STAGES]
        self._pipeline = Pipeline(stages)
        self._mask = Pipeline([s for s in stages if s.name == "mask"])
        self._learned_through: str | None = None  # the last message id looked at

    async def run_forever(self) -> None:
        while True:
            try:
                translated = await self.run_once()
            except Exception:
                logger.exception("translation retry pass failed")
                translated = 0
            if not translated:
                await asyncio.sleep(self.poll_interval)

    def backoff_of(self, message_id: str) -> int:
        """Failed retries so far for a message (0 when none or when it was settled)."""
        entry = self._backoff.get(message_id)
        return entry.attempts if entry else 0

    async def run_once(self) -> int:
        """Learn new agent corrections, then one pass over due pending messages; returns
        how many messages were translated."""
        try:
            await self.learn()
        except Exception:
            logger.exception("translation memory: learning failed")
        now = self._clock()
        rows = await self._due(now)
        if not rows:
            return 0
        outcomes: list[_Outcome] = []
        for row in rows:
            draft = await self._retranslate(row)
            if draft is None:
                continue
            outcomes.append(_Outcome(row.id, row.conversation_id, row.body_masked, draft))
        translated = await self._store(outcomes)
        for outcome in outcomes:
            if outcome.draft.translation_status is StageStatus.PENDING:
                entry = self._backoff.get(outcome.message_id) or _Backoff(0, now)
                entry.attempts += 1
                delay = min(self.max_delay, self.base_delay * 2 ** (entry.attempts - 1))
                entry.due = self._clock() + delay
                self._backoff[outcome.message_id] = entry
            else:
                self._backoff.pop(outcome.message_id, None)
        return translated

    async def _due(self, now: float) -> list[Any]:  # Any: SQLAlchemy rows
        skip = [mid for mid, entry in self._backoff.items() if entry.due > now]
        query = (
            select(
                Message.id,
                Message.workspace_id,
                Message.conversation_id,
                Message.body_masked,
                Message.body_raw_enc,
                Message.language,
                Message.translation_language,
                Workspace.default_language,
            )
            .join(Workspace, Workspace.id == Message.workspace_id)
            .where(
                Message.translation_status == StageStatus.PENDING.value,
                Message.direction == Direction.INBOUND.value,
            )
            .order_by(Message.id)
            .limit(self.batch)
        )
        if skip:
            query = query.where(Message.id.not_in(skip))
        async with self._services.read_sessionmaker() as session:
            return list((await session.execute(query)).all())

    async def _retranslate(self, row: Any) -> Draft | None:  # Any: a SQLAlchemy row
        target = row.translation_language or row.default_language
        if row.body_raw_enc is None or not target:
            return None
        try:
            text = self._services.envelope.open(
                row.body_raw_enc,
                associated_data(row.workspace_id, row.id, "message.body"),
                record=f"message {row.id}",
            ).decode()
        except Exception:
            logger.exception("pending translation of message %s: cannot open the body", row.id)
            return None
        draft = Draft(
            workspace_id=row.workspace_id,
            direction=Direction.INBOUND,
            text=text,
            source_language=row.language,
            target_language=target,
            language=row.language,
        )
        await self._pipeline.run(draft)
        return draft

    async def _store(self, outcomes: list[_Outcome]) -> int:
        settled = [o for o in outcomes if o.draft.translation_status is not StageStatus.PENDING]
        if not settled:
            return 0
        translated = 0
        async with self._services.sessionmaker() as session:
            for outcome in settled:
                draft = outcome.draft
                # Other workers note things on the message meanwhile (the attachment worker's
                # give-ups): merge into the row as it is now, locked, not the copy read before.
                current = await session.scalar(
                    select(Message.stage_notes)
                    .where(Message.id == outcome.message_id)
                    .with_for_update()
                )
                notes = dict(current or {})
                notes["translate"] = draft.notes.get("translate", "")
                result = await session.execute(
                    update(Message)
                    .where(
                        Message.id == outcome.message_id,
                        Message.translation_status == StageStatus.PENDING.value,
                    )
                    .values(
                        translation=draft.translation,
                        translation_language=draft.translation_language,
                        translation_engine=draft.translation_engine,
                        translation_status=draft.translation_status.value,
                        translation_note=draft.translation_note,
                        stage_notes=notes,
                    )
                )
                if not getattr(result, "rowcount", 1):
                    continue  # settled meanwhile by another worker
                conversation = await session.get(Conversation, outcome.conversation_id)
                if conversation is None:
                    continue
                if (
                    draft.translation
                    and conversation.last_message_preview == (outcome.body_masked[:PREVIEW_LENGTH])
                ):
                    conversation.last_message_preview = draft.translation[:PREVIEW_LENGTH]
                if draft.translation_status is StageStatus.TRANSLATED:
                    translated += 1
                publish_on_commit(
                    self._services,
                    session,
                    "message.updated",
                    conversation,
                    {
                        "message_id": outcome.message_id,
                        "translation_status": draft.translation_status.value,
                    },
                )
            await commit(session)
        return translated

    async def learn(self, limit: int = 50) -> int:
        """Turn new hand-edited outbound translations into translation memory entries."""
        async with self._services.read_sessionmaker() as session:
            if self._learned_through is None:
                latest = await session.scalar(select(func.max(TranslationMemory.message_id)))
                self._learned_through = latest or ""
            rows = (
                await session.execute(
                    select(
                        Message.id,
                        Message.workspace_id,
                        Message.sender_user_id,
                        Message.language,
                        Message.translation_language,
                        Message.body_raw_enc,
                        Message.outgoing_enc,
                    )
                    .where(
                        Message.id > self._learned_through,
                        Message.direction == Direction.OUTBOUND.value,
                        Message.translation_engine == "agent",
                    )
                    .order_by(Message.id)
                    .limit(limit)
                )
            ).all()
        if not rows:
            return 0
        entries = []
        for row in rows:
            entry = await self._memory_entry(row)
            if entry is not None:
                entries.append(entry)
        if entries:
            async with self._services.sessionmaker() as session:
                for entry in entries:
                    await remember(session, **entry)
                await commit(session)
            store = getattr(self._services.translator, "store", None)
            if isinstance(store, TranslationStore):
                for entry in entries:
                    store.forget_memory(entry["workspace_id"])
        self._learned_through = rows[-1].id
        return len(entries)

    async def _memory_entry(self, row: Any) -> dict[str, Any] | None:  # Any: a SQLAlchemy row
        if not (row.language and row.translation_language and row.body_raw_enc):
            return None
        if row.outgoing_enc is None:
            return None
        envelope = self._services.envelope
        try:
            text = envelope.open(
                row.body_raw_enc,
                associated_data(row.workspace_id, row.id, "message.body"),
                record=f"message {row.id}",
            ).decode()
            outgoing = envelope.open(
                row.outgoing_enc,
                associated_data(row.workspace_id, row.id, "message.outgoing"),
                record=f"message {row.id}",
            ).decode()
        except Exception:
            logger.exception("translation memory: cannot open message %s", row.id)
            return None
        source = Draft(row.workspace_id, Direction.OUTBOUND, text, row.language, None)
        await self._mask.run(source)
        if source.pii_status is StageStatus.NOT_MASKED:
            return None  # no masking engine: the texts cannot be tokenized, keep nothing
        translation = outgoing
        for token, raw in sorted(source.token_raw.items(), key=lambda kv: -len(kv[1])):
            translation = translation.replace(raw, token)
        check = Draft(row.workspace_id, Direction.OUTBOUND, translation, None, None)
        await self._mask.run(check)
        if check.pii_spans:
            return None  # personal data the source did not have: never stored in clear
        return {
            "workspace_id": row.workspace_id,
            "source": languages.normalize(row.language),
            "target": languages.normalize(row.translation_language),
            "source_text": source.engine_text if source.engine_text is not None else text,
            "translation": translation.strip(),
            "message_id": row.id,
            "user_id": row.sender_user_id,
        }
