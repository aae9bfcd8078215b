"""Automatic assignment: each team's policy and each agent's presence and capacity."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, WorkspaceMixin, utcnow


class AssignmentPolicy(WorkspaceMixin, Base):
    """How a team's new conversations find an owner (no row: manual assignment only)."""

    __tablename__ = "assignment_policy"

    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), primary_key=True)
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=False)
    # Most open conversations per agent when the agent has no capacity of their own.
    default_capacity: Mapped[int] = mapped_column(Integer, default=5)
    # An agent offline this long loses their open conversations to the queue; None: never.
    offline_return_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    # Round-robin cursor: the member who got the team's last automatic assignment.
    last_assigned_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentState(WorkspaceMixin, Base):
    """Presence and capacity of one user. Heartbeats are throttled writes (actions/presence.py)."""

    __tablename__ = "agent_state"

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    # What the person chose: "online" (take conversations while connected) or "away".
    availability: Mapped[str] = mapped_column(String(16), default="online")
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    # Most open conversations; None: the team's default capacity.
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)
