"""Answers the coach gave, the passages behind them, and the votes people cast on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.models.base import (
    CHANNEL_ID_LENGTH,
    TS_LENGTH,
    USER_ID_LENGTH,
    team_id_field,
    timestamp_field,
)

PASSAGE_ID_LENGTH = 64
LABEL_LENGTH = 300
REASON_LENGTH = 1000
UP = 1
DOWN = -1


class AnswerRecord(SQLModel, table=True):
    """One question and the answer it got, with where in Slack it was asked and answered.

    An answer owed to a thread is recorded before it is posted, claimed by the process posting it
    (`post_claim`, `post_claimed_at`); `posted_at` is set with the message's ts. One left unposted by a
    process that died is posted at start-up (see `AnswerService.claim_unposted`). `message_ts` without
    `posted_at` is a streamed message whose answer was never finished.
    """

    __tablename__ = "answer"
    __table_args__ = (Index("ix_answer_unposted", "posted_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    channel_id: str = Field(max_length=CHANNEL_ID_LENGTH)
    user_id: str = Field(max_length=USER_ID_LENGTH)
    thread_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    message_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    surface: str = Field(max_length=16)
    question: str = Field(sa_type=Text)
    answer_text: str = Field(sa_type=Text)
    grounded: bool
    closest: bool = False
    """Grounded, but only the closest the material comes (`Grounding.CLOSEST`)."""
    generated: bool = False
    confidence: float = 0.0
    created_at: datetime = timestamp_field()
    posted_at: datetime | None = timestamp_field(nullable=True)
    post_claim: str | None = Field(default=None, max_length=32)
    post_claimed_at: datetime | None = timestamp_field(nullable=True)


class AnswerPassage(SQLModel, table=True):
    """A passage retrieved for an answer; `cited` ones were shown as its sources."""

    __tablename__ = "answer_passage"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    answer_id: int = Field(index=True)
    passage_id: str = Field(max_length=PASSAGE_ID_LENGTH, index=True)
    position: int
    cited: bool
    label: str = Field(max_length=LABEL_LENGTH)
    source: str = Field(max_length=LABEL_LENGTH)
    score: float


class AnswerVote(SQLModel, table=True):
    """A person's thumbs up (`UP`) or down (`DOWN`) on an answer, with an optional reason; one per person."""

    __tablename__ = "answer_vote"
    __table_args__ = (UniqueConstraint("team_id", "answer_id", "user_id", name="uq_answer_vote"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    answer_id: int = Field(index=True)
    user_id: str = Field(max_length=USER_ID_LENGTH)
    vote: int
    reason: str | None = Field(default=None, max_length=REASON_LENGTH)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
