"""Pending work: what a committed step still has to do in Slack, recorded in the step's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from bot.store.models.base import TS_LENGTH, team_id_field, timestamp_field

EFFECT_PENDING = "pending"
EFFECT_CLAIMED = "claimed"
EFFECT_DONE = "done"


class PendingEffect(SQLModel, table=True):
    """One Slack effect of an interview step (post the intro, a question, the map; close a question).

    An interview's effects run one at a time in `id` order. A claim (token and time) comes before the
    Slack call and the message's ts after it; a claim left by a dead process is taken over, and the taker
    first looks for a message carrying the effect's id, so nothing is posted twice.
    """

    __tablename__ = "pending_effect"
    __table_args__ = (Index("ix_pending_effect_open", "team_id", "interview_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    interview_id: int
    kind: str = Field(max_length=24)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    status: str = Field(default=EFFECT_PENDING, max_length=12)
    claim_token: str | None = Field(default=None, max_length=32)
    claimed_at: datetime | None = timestamp_field(nullable=True)
    attempts: int = Field(default=0)
    result_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    error: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp_field()
    done_at: datetime | None = timestamp_field(nullable=True)
