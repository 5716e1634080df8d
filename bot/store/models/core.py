"""Tables the Slack layer itself needs: workspaces, delivered events, and which feature owns a thread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.models.base import (
    CHANNEL_ID_LENGTH,
    TEAM_ID_LENGTH,
    TS_LENGTH,
    team_id_field,
    timestamp_field,
)


class Workspace(SQLModel, table=True):
    """A Slack workspace the coach has heard from."""

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    name: str | None = Field(default=None, max_length=255)
    enterprise_id: str | None = Field(default=None, max_length=TEAM_ID_LENGTH)
    """The Enterprise Grid organisation the workspace belongs to (None outside Enterprise Grid)."""
    first_seen_at: datetime = timestamp_field()


class ProcessedEvent(SQLModel, table=True):
    """An Events API delivery already handled, so a retried delivery has no second effect."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("team_id", "event_id", name="uq_processed_event"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    event_id: str = Field(max_length=64)
    received_at: datetime = timestamp_field()


class ThreadSession(SQLModel, table=True):
    """A Slack thread owned by one feature (an answer, an interview, a check-in), for routing replies."""

    __tablename__ = "thread_session"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "thread_ts", name="uq_thread_session"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    channel_id: str = Field(max_length=CHANNEL_ID_LENGTH)
    thread_ts: str = Field(max_length=TS_LENGTH)
    kind: str = Field(max_length=32)
    ref_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp_field()
