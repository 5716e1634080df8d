"""Helpers shared by the table definitions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlmodel import Field

TEAM_ID_LENGTH = 32
CHANNEL_ID_LENGTH = 32
USER_ID_LENGTH = 32
TS_LENGTH = 32


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC (the default for created/updated columns)."""
    return datetime.now(UTC)


def team_id_field() -> str:
    """The Slack workspace a row belongs to: on every table, indexed, never null."""
    return Field(max_length=TEAM_ID_LENGTH, index=True)


def timestamp_field(*, nullable: bool = False) -> datetime:
    """A timezone-aware timestamp column (defaults to now unless nullable)."""
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    return Field(default_factory=utc_now, sa_type=DateTime(timezone=True), nullable=False)
