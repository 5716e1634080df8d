"""Loop maps (versioned per team channel) and the interviews that build them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.models.base import (
    CHANNEL_ID_LENGTH,
    TS_LENGTH,
    USER_ID_LENGTH,
    team_id_field,
    timestamp_field,
)

INTERVIEW_ACTIVE = "active"
INTERVIEW_FINISHED = "finished"
INTERVIEW_ABANDONED = "abandoned"


class LoopMapVersion(SQLModel, table=True):
    """One version of a channel's loop map: the answers that made it and the diagnosis drawn from them."""

    __tablename__ = "loop_map_version"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "version", name="uq_loop_map_version"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    channel_id: str = Field(max_length=CHANNEL_ID_LENGTH)
    version: int
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    diagnosis: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    created_by: str | None = Field(default=None, max_length=USER_ID_LENGTH)
    interview_id: int | None = Field(default=None)
    created_at: datetime = timestamp_field()


class InterviewSession(SQLModel, table=True):
    """An interview in a channel thread: its engine state, stored after every answer."""

    __tablename__ = "interview_session"
    # `active_channel` holds the channel id only while the interview runs (NULL otherwise), so this
    # constraint allows at most one running interview per channel on SQLite and PostgreSQL alike.
    __table_args__ = (UniqueConstraint("team_id", "active_channel", name="uq_interview_active_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    channel_id: str = Field(max_length=CHANNEL_ID_LENGTH)
    active_channel: str | None = Field(default=None, max_length=CHANNEL_ID_LENGTH)
    thread_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    question_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    """The message showing the current question's buttons (replaced by a summary once answered)."""
    started_by: str = Field(max_length=USER_ID_LENGTH)
    status: str = Field(default=INTERVIEW_ACTIVE, max_length=16)
    base_version: int | None = Field(default=None)
    revision: int = Field(default=0)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
