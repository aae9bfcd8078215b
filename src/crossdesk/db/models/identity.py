"""Workspaces, people, teams and their credentials."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class Workspace(IdMixin, CreatedMixin, Base):
    __tablename__ = "workspace"

    name: Mapped[str] = mapped_column(String(200))
    default_language: Mapped[str] = mapped_column(String(16), default="en")
    # Head of the audit hash chain; updated under a row lock by every audit write.
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="0" * 64)


class User(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "user_account"

    # Login identifier; unique across the installation so the login form needs no workspace.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16), default="en")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    # A custom role (same workspace) refining the permissions of ``role``, its base role.
    custom_role_id: Mapped[str | None] = mapped_column(String(32), default=None)


class Team(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "team"

    name: Mapped[str] = mapped_column(String(200))


class TeamMember(WorkspaceMixin, Base):
    __tablename__ = "team_member"

    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), primary_key=True)


class WebSession(WorkspaceMixin, CreatedMixin, Base):
    """A browser login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)


class ApiToken(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A token for API clients; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
