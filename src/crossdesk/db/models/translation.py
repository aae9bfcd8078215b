"""Translation cache, translation memory, character usage and quotas."""

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin, utcnow


class TranslationCacheEntry(CreatedMixin, Base):
    """A verified engine translation of a placeholder-form text ("Your order ⟦0⟧ has shipped").

    Content-addressed and shared by every workspace (like the in-memory LRU it backs): the
    key is the SHA-256 of engine, model, pair, glossary version and text, so it holds no
    workspace's identity and is a reference table when sharded. Failures are never stored.
    """

    __tablename__ = "translation_cache"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    engine: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(16))
    glossary_version: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    translation: Mapped[str] = mapped_column(Text)


class TranslationMemory(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """An agent's hand-edited translation, preferred over engines for the same source text
    and language pair in the same workspace. Both texts are in tokenized form (personal data
    replaced by ``⟦TYPE_n⟧`` tokens), never raw."""

    __tablename__ = "translation_memory"
    __table_args__ = (UniqueConstraint("workspace_id", "source", "target", "source_hash"),)

    source: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(16))
    source_hash: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)
    translation: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranslationUsage(Base):
    """Characters sent to one engine, per workspace, agent ("" = none) and UTC day."""

    __tablename__ = "translation_usage"
    __table_args__ = (Index("ix_translation_usage_day", "workspace_id", "day"),)

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    engine: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    characters: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)


class TranslationQuota(Base):
    """A workspace's monthly character quota for paid (third-party) engines."""

    __tablename__ = "translation_quota"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    monthly_characters: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
