"""Which feature owns a Slack thread, so replies in it reach the right flow."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ThreadSession


async def claim_thread(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    kind: str,
    ref_id: str | None = None,
) -> None:
    """Mark the thread as owned by `kind`, unless it has an owner already: the first claim wins."""
    if await find_thread(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(
                ThreadSession(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, kind=kind, ref_id=ref_id)
            )
    except IntegrityError:
        # A concurrent claim won; on SQLite its row need not be visible in this transaction yet, so don't look.
        return


async def find_thread(session: AsyncSession, *, team_id: str, channel_id: str, thread_ts: str) -> ThreadSession | None:
    """The owner of a thread in this workspace, or None."""
    result = await session.exec(
        select(ThreadSession).where(
            ThreadSession.team_id == team_id,
            ThreadSession.channel_id == channel_id,
            ThreadSession.thread_ts == thread_ts,
        )
    )
    return result.first()
