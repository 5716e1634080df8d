"""Loop maps and interviews in storage: versions per team channel, and interview state with safe updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import CoachError
from bot.store.models.base import utc_now
from bot.store.models.loop_map import (
    INTERVIEW_ABANDONED,
    INTERVIEW_ACTIVE,
    INTERVIEW_FINISHED,
    InterviewSession,
    LoopMapVersion,
)


class InterviewAlreadyRunning(CoachError):
    """A channel can run one interview at a time."""

    def __init__(self, interview: InterviewSession) -> None:
        super().__init__(
            "An interview is already running in this channel: answer in its thread, "
            "or start over with `/flywheel interview restart`."
        )
        # Plain values: the session that loaded the row rolls back as this error passes through it.
        self.interview_id = interview.id
        self.thread_ts = interview.thread_ts
        self.started_by = interview.started_by


async def latest_map(session: AsyncSession, *, team_id: str, channel_id: str) -> LoopMapVersion | None:
    """The newest loop-map version of a channel, or None if it has never been mapped."""
    result = await session.exec(
        select(LoopMapVersion)
        .where(LoopMapVersion.team_id == team_id, LoopMapVersion.channel_id == channel_id)
        .order_by(col(LoopMapVersion.version).desc())
        .limit(1)
    )
    return result.first()


async def map_history(session: AsyncSession, *, team_id: str, channel_id: str) -> list[LoopMapVersion]:
    """Every version of a channel's loop map, oldest first."""
    result = await session.exec(
        select(LoopMapVersion)
        .where(LoopMapVersion.team_id == team_id, LoopMapVersion.channel_id == channel_id)
        .order_by(col(LoopMapVersion.version))
    )
    return list(result.all())


async def latest_maps(
    session: AsyncSession, *, team_id: str, channel_ids: Sequence[str] | None = None
) -> list[LoopMapVersion]:
    """The newest version of each mapped channel in the workspace (optionally only these channels)."""
    newest = (
        select(LoopMapVersion.channel_id, func.max(LoopMapVersion.version).label("version"))
        .where(LoopMapVersion.team_id == team_id)
        .group_by(LoopMapVersion.channel_id)
    )
    if channel_ids is not None:
        newest = newest.where(col(LoopMapVersion.channel_id).in_(list(channel_ids)))
    newest_subquery = newest.subquery()
    result = await session.exec(
        select(LoopMapVersion)
        .join(
            newest_subquery,
            and_(
                col(LoopMapVersion.channel_id) == newest_subquery.c.channel_id,
                col(LoopMapVersion.version) == newest_subquery.c.version,
            ),
        )
        .where(LoopMapVersion.team_id == team_id)
        .order_by(col(LoopMapVersion.channel_id))
    )
    return list(result.all())


async def save_map_version(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    answers: dict[str, Any],
    diagnosis: dict[str, Any],
    created_by: str | None,
    interview_id: int | None = None,
) -> LoopMapVersion:
    """Add the next version of a channel's loop map (earlier versions stay as history).

    Versions saved at once each get their own number: the unique (channel, version) key refuses the
    slower one, which reads the newest number again and takes the next.
    """
    while True:
        current = await session.exec(
            select(func.max(LoopMapVersion.version)).where(
                LoopMapVersion.team_id == team_id, LoopMapVersion.channel_id == channel_id
            )
        )
        row = LoopMapVersion(
            team_id=team_id,
            channel_id=channel_id,
            version=(current.one() or 0) + 1,
            answers=answers,
            diagnosis=diagnosis,
            created_by=created_by,
            interview_id=interview_id,
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row


async def create_interview(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    started_by: str,
    state: dict[str, Any],
    base_version: int | None,
) -> InterviewSession:
    """Open a new interview in a channel; raises `InterviewAlreadyRunning` if one is open there."""
    running = await active_interview(session, team_id=team_id, channel_id=channel_id)
    if running is not None:
        raise InterviewAlreadyRunning(running)
    row = InterviewSession(
        team_id=team_id,
        channel_id=channel_id,
        active_channel=channel_id,
        started_by=started_by,
        state=state,
        revision=int(state.get("revision", 0)),
        base_version=base_version,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        running = await active_interview(session, team_id=team_id, channel_id=channel_id)
        if running is None:
            raise
        raise InterviewAlreadyRunning(running) from None
    return row


async def active_interview(session: AsyncSession, *, team_id: str, channel_id: str) -> InterviewSession | None:
    """The interview running in a channel, if any."""
    result = await session.exec(
        select(InterviewSession).where(
            InterviewSession.team_id == team_id, InterviewSession.active_channel == channel_id
        )
    )
    return result.first()


async def active_interviews(session: AsyncSession, *, team_id: str) -> list[InterviewSession]:
    """Every interview running in the workspace, one per channel, by channel."""
    result = await session.exec(
        select(InterviewSession)
        .where(InterviewSession.team_id == team_id, col(InterviewSession.active_channel).is_not(None))
        .order_by(col(InterviewSession.channel_id))
    )
    return list(result.all())


async def get_interview(session: AsyncSession, *, team_id: str, interview_id: int) -> InterviewSession | None:
    """One interview of this workspace by id."""
    result = await session.exec(
        select(InterviewSession).where(InterviewSession.team_id == team_id, InterviewSession.id == interview_id)
    )
    return result.first()


async def save_interview_state(
    session: AsyncSession,
    *,
    team_id: str,
    interview_id: int,
    expected_revision: int,
    state: dict[str, Any],
    finished: bool = False,
) -> bool:
    """Store a new state only if nobody stored one since `expected_revision` was read; True if stored.

    This compare-and-set is what keeps one of two racing answers: the slower one finds the revision
    moved on and is told the question was already answered.
    """
    values: dict[str, Any] = {"state": state, "revision": int(state["revision"]), "updated_at": utc_now()}
    if finished:
        values |= {"status": INTERVIEW_FINISHED, "active_channel": None}
    result = await session.exec(
        update(InterviewSession)
        .where(
            col(InterviewSession.team_id) == team_id,
            col(InterviewSession.id) == interview_id,
            col(InterviewSession.revision) == expected_revision,
            col(InterviewSession.status) == INTERVIEW_ACTIVE,
        )
        .values(**values)
    )
    return result.rowcount == 1


async def set_interview_messages(
    session: AsyncSession,
    *,
    team_id: str,
    interview_id: int,
    thread_ts: str | None = None,
    question_ts: str | None = None,
) -> None:
    """Remember the interview's thread and the message that shows the current question."""
    values: dict[str, Any] = {"updated_at": utc_now()}
    if thread_ts is not None:
        values["thread_ts"] = thread_ts
    if question_ts is not None:
        values["question_ts"] = question_ts
    await session.exec(
        update(InterviewSession)
        .where(col(InterviewSession.team_id) == team_id, col(InterviewSession.id) == interview_id)
        .values(**values)
    )


async def abandon_interview(session: AsyncSession, *, team_id: str, interview_id: int) -> bool:
    """Stop a running interview without saving a map; True if it was running."""
    result = await session.exec(
        update(InterviewSession)
        .where(
            col(InterviewSession.team_id) == team_id,
            col(InterviewSession.id) == interview_id,
            col(InterviewSession.status) == INTERVIEW_ACTIVE,
        )
        .values(status=INTERVIEW_ABANDONED, active_channel=None, updated_at=utc_now())
    )
    return result.rowcount == 1
