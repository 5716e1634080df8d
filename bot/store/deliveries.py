"""Which Events API deliveries were already handled (Slack retries; a retry must have no second effect)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ProcessedEvent


async def claim_event(session: AsyncSession, *, team_id: str, event_id: str) -> bool:
    """Record the event as handled; False when it had been handled before (a redelivery)."""
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(team_id=team_id, event_id=event_id))
    except IntegrityError:
        return False
    return True


async def forget_events_before(session: AsyncSession, *, team_id: str, before: datetime) -> int:
    """Drop one workspace's records older than `before` (Slack stops retrying after minutes)."""
    result = await session.exec(
        delete(ProcessedEvent).where(col(ProcessedEvent.team_id) == team_id, col(ProcessedEvent.received_at) < before)
    )
    return result.rowcount or 0
