"""Helpers shared by the table definitions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

TEAM_ID_LENGTH = 32
CHANNEL_ID_LENGTH = 32
USER_ID_LENGTH = 32
TS_LENGTH = 32


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC (the default for created/updated columns)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always reads back aware, in UTC.

    PostgreSQL keeps the offset; SQLite stores text without one, so a naive value read back is UTC by
    construction (only aware values are ever written). No caller converts after reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps are stored timezone-aware; got a naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def team_id_field() -> str:
    """The Slack workspace a row belongs to: on every table, indexed, never null."""
    return Field(max_length=TEAM_ID_LENGTH, index=True)


def timestamp_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware UTC timestamp column (defaults to now unless nullable)."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False, index=index)
