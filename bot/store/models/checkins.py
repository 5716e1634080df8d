"""Check-ins: each channel's schedule and skips, the exactly-once dispatch record, ship items and results."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.models.base import (
    CHANNEL_ID_LENGTH,
    TS_LENGTH,
    USER_ID_LENGTH,
    team_id_field,
    timestamp_field,
)

SCHEDULE_ON = "on"
SCHEDULE_OFF = "off"
SCHEDULE_PAUSED = "paused"

DISPATCH_CLAIMED = "claimed"
"""The key is written and the message not (yet) known to be posted."""
DISPATCH_POSTED = "posted"
DISPATCH_FAILED = "failed"
"""Posting failed in a way worth retrying while the prompt is still useful."""
DISPATCH_ABANDONED = "abandoned"
"""Posting failed for good (the channel went away, or the prompt stopped being useful)."""
DISPATCH_NOTHING = "nothing"
"""Due, but there was nothing to say (a reminder with every item measured)."""


class CheckinSchedule(SQLModel, table=True):
    """A channel's check-in schedule, its state, and the scheduler's cursor (`checked_through`)."""

    __tablename__ = "checkin_schedule"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", name="uq_checkin_schedule_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    channel_id: str = Field(max_length=CHANNEL_ID_LENGTH)
    state: str = Field(default=SCHEDULE_ON, max_length=16)
    timezone: str = Field(max_length=64)
    ship_day: int
    ship_time: str = Field(max_length=5)
    measure_day: int
    measure_time: str = Field(max_length=5)
    reminder_day: int
    reminder_time: str = Field(max_length=5)
    digest_day: int
    digest_time: str = Field(max_length=5)
    enabled: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    participants: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    set_up_by: str = Field(max_length=USER_ID_LENGTH)
    paused_reason: str | None = Field(default=None, max_length=255)
    checked_through: datetime = timestamp_field()
    """Every prompt scheduled up to this moment has been considered by a pass."""
    next_due_at: datetime | None = timestamp_field(nullable=True, index=True)
    """When the next prompt is due; NULL while check-ins are off or paused (the scheduler's index)."""
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class CheckinSkip(SQLModel, table=True):
    """Days a channel (user_id NULL) or one person skips check-ins."""

    __tablename__ = "checkin_skip"
    __table_args__ = (Index("ix_checkin_skip_channel", "team_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    channel_id: str = Field(max_length=CHANNEL_ID_LENGTH)
    user_id: str | None = Field(default=None, max_length=USER_ID_LENGTH)
    first_day: date = Field(sa_type=Date)
    last_day: date = Field(sa_type=Date)
    created_by: str = Field(max_length=USER_ID_LENGTH)
    created_at: datetime = timestamp_field()


class CheckinDispatch(SQLModel, table=True):
    """One prompt of one week in one channel: the unique key is written before posting, the ts after."""

    __tablename__ = "checkin_dispatch"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "week", "prompt", name="uq_checkin_dispatch"),
        Index("ix_checkin_dispatch_status", "status", "claimed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_id_field()
    channel_id: str = Field(max_length=CHANNEL_ID_LENGTH)
    week: str = Field(max_length=8)
    prompt: str = Field(max_length=16)
    status: str = Field(max_length=16)
    scheduled_at: datetime = timestamp_field()
    deadline: datetime = timestamp_field()
    late: bool = Field(default=False)
    claimed_at: datetime = timestamp_field()
    claim_token: str = Field(max_length=32)
    attempts: int = Field(default=0)
    message_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    thread_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    error: str | None = Field(default=None, max_length=64)
    posted_at: datetime | None = timestamp_field(nullable=True)


class CheckinItem(SQLModel, table=True):
    """A change a team shipped in a week, and its measured result once reported."""

    __tablename__ = "checkin_item"
    __table_args__ = (Index("ix_checkin_item_channel_week", "team_id", "channel_id", "week"),)

    id: str = Field(primary_key=True, max_length=32)
    team_id: str = team_id_field()
    channel_id: str = Field(max_length=CHANNEL_ID_LENGTH)
    week: str = Field(max_length=8)
    what: str = Field(max_length=300)
    owner: str = Field(max_length=USER_ID_LENGTH)
    stage: str = Field(max_length=16)
    expected_metric: str = Field(default="", max_length=200)
    shipped_at: datetime = timestamp_field()
    result: str | None = Field(default=None, max_length=16)
    number: float | None = Field(default=None)
    learned: str = Field(default="", max_length=1000)
    next_step: str | None = Field(default=None, max_length=16)
    measured_at: datetime | None = timestamp_field(nullable=True)
    created_by: str = Field(max_length=USER_ID_LENGTH)
    source_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    """The thread reply that described the item (its edits update the item)."""
    result_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    """The thread reply that reported the result (its edits update the result)."""
    reply_ts: str | None = Field(default=None, max_length=TS_LENGTH)
    """The coach's reply listing the item, updated when the item changes."""
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
