"""Check-ins in storage: schedules and skips, the exactly-once dispatch record, ship items and results.

Plain values in, rows out: what a schedule or an item means (due times, results) is the check-ins core's
business (`bot.checkins.records` converts). Every function filters by `team_id`, except the scheduler's two
scans (`due_schedules`, `stale_dispatches`), which look across workspaces for work by indexed due times and
hand each row on under its own team.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy import and_, or_, update
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.inserts import column_values, insert_unless_present
from bot.store.models.checkins import (
    DISPATCH_CLAIMED,
    DISPATCH_FAILED,
    SCHEDULE_OFF,
    SCHEDULE_ON,
    SCHEDULE_PAUSED,
    CheckinDispatch,
    CheckinItem,
    CheckinSchedule,
    CheckinSkip,
)


class ScheduleColumns(TypedDict):
    """A schedule's settings as its row stores them (days 0 = Monday, times "HH:MM")."""

    timezone: str
    ship_day: int
    ship_time: str
    measure_day: int
    measure_time: str
    reminder_day: int
    reminder_time: str
    digest_day: int
    digest_time: str
    enabled: list[str]
    participants: list[str]


class ItemColumns(TypedDict):
    """What an item's row stores that can change after it was added."""

    what: str
    owner: str
    stage: str
    expected_metric: str
    result: str | None
    number: float | None
    learned: str
    next_step: str | None
    measured_at: datetime | None


# ---- schedules ------------------------------------------------------------------------------------------


def _write_schedule(row: CheckinSchedule, columns: ScheduleColumns) -> None:
    for name, value in columns.items():
        setattr(row, name, value)


async def get_schedule(session: AsyncSession, *, team_id: str, channel_id: str) -> CheckinSchedule | None:
    """A channel's schedule row, whatever its state, or None if check-ins were never set up there."""
    result = await session.exec(
        select(CheckinSchedule).where(CheckinSchedule.team_id == team_id, CheckinSchedule.channel_id == channel_id)
    )
    return result.first()


async def team_schedules(session: AsyncSession, *, team_id: str) -> list[CheckinSchedule]:
    """Every check-in schedule of a workspace that is on or paused."""
    result = await session.exec(
        select(CheckinSchedule)
        .where(CheckinSchedule.team_id == team_id, CheckinSchedule.state != SCHEDULE_OFF)
        .order_by(col(CheckinSchedule.channel_id))
    )
    return list(result.all())


async def turn_on(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    columns: ScheduleColumns,
    user_id: str,
    now: datetime,
    next_due_at: datetime | None,
) -> bool:
    """Start (or resume) a channel's check-ins from `now` (a new schedule takes `columns`): nothing before is owed.

    True only for the call that changed the state: of several turning them on at once, exactly one.
    """
    started = {"state": SCHEDULE_ON, "paused_reason": None, "checked_through": now, "next_due_at": next_due_at}
    new_row = CheckinSchedule(team_id=team_id, channel_id=channel_id, set_up_by=user_id, updated_at=now, **columns)
    inserted = await session.exec(
        insert_unless_present(
            session, CheckinSchedule, column_values(new_row) | started, key=["team_id", "channel_id"]
        ).returning(col(CheckinSchedule.id))
    )
    if inserted.scalar_one_or_none() is not None:
        return True
    resumed = await session.exec(
        update(CheckinSchedule)
        .where(
            col(CheckinSchedule.team_id) == team_id,
            col(CheckinSchedule.channel_id) == channel_id,
            col(CheckinSchedule.state) != SCHEDULE_ON,
        )
        .values(set_up_by=user_id, updated_at=now, **started)
    )
    return bool(resumed.rowcount)


async def turn_off(session: AsyncSession, *, team_id: str, channel_id: str, now: datetime) -> bool:
    """Stop a channel's check-ins (settings and history stay); False if they were not on or paused."""
    result = await session.exec(
        update(CheckinSchedule)
        .where(
            col(CheckinSchedule.team_id) == team_id,
            col(CheckinSchedule.channel_id) == channel_id,
            col(CheckinSchedule.state).in_([SCHEDULE_ON, SCHEDULE_PAUSED]),
        )
        .values(state=SCHEDULE_OFF, next_due_at=None, updated_at=now)
    )
    return bool(result.rowcount)


async def pause(session: AsyncSession, *, team_id: str, channel_id: str, reason: str, now: datetime) -> bool:
    """Pause a channel's check-ins because Slack refuses to post there; False if already not on."""
    result = await session.exec(
        update(CheckinSchedule)
        .where(
            col(CheckinSchedule.team_id) == team_id,
            col(CheckinSchedule.channel_id) == channel_id,
            col(CheckinSchedule.state) == SCHEDULE_ON,
        )
        .values(state=SCHEDULE_PAUSED, paused_reason=reason[:255], next_due_at=None, updated_at=now)
    )
    return bool(result.rowcount)


async def save_settings(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    columns: ScheduleColumns,
    now: datetime,
    next_due_at: datetime | None,
) -> CheckinSchedule | None:
    """Store new settings and, while running, their next due time (prompts already past this week stay past)."""
    row = await get_schedule(session, team_id=team_id, channel_id=channel_id)
    if row is None:
        return None
    _write_schedule(row, columns)
    row.updated_at = now
    if row.state == SCHEDULE_ON:
        # The cursor moves to now: a change of times never makes an earlier prompt look missed.
        row.checked_through = max(row.checked_through, now)
        row.next_due_at = next_due_at
    await session.flush()
    return row


async def set_next_due(session: AsyncSession, *, team_id: str, channel_id: str, next_due_at: datetime | None) -> None:
    """Store when a running schedule's next prompt is due (after its skips changed)."""
    await session.exec(
        update(CheckinSchedule)
        .where(
            col(CheckinSchedule.team_id) == team_id,
            col(CheckinSchedule.channel_id) == channel_id,
            col(CheckinSchedule.state) == SCHEDULE_ON,
        )
        .values(next_due_at=next_due_at)
    )


async def due_schedules(session: AsyncSession, *, now: datetime) -> list[CheckinSchedule]:
    """Running schedules with a prompt due by `now` (across workspaces: the scheduler's scan)."""
    result = await session.exec(
        select(CheckinSchedule)
        .where(col(CheckinSchedule.next_due_at) <= now, CheckinSchedule.state == SCHEDULE_ON)
        .order_by(col(CheckinSchedule.next_due_at))
    )
    return list(result.all())


async def earliest_due(session: AsyncSession) -> datetime | None:
    """When the next prompt of any running schedule is due (the scheduler sleeps until then)."""
    result = await session.exec(
        select(CheckinSchedule.next_due_at)
        .where(col(CheckinSchedule.next_due_at).is_not(None))
        .order_by(col(CheckinSchedule.next_due_at))
        .limit(1)
    )
    return result.first()


async def advance_cursor(
    session: AsyncSession, *, team_id: str, schedule_id: int, checked_through: datetime, next_due_at: datetime | None
) -> None:
    """Record that a pass considered every prompt up to `checked_through` (never moving it back)."""
    await session.exec(
        update(CheckinSchedule)
        .where(
            col(CheckinSchedule.team_id) == team_id,
            col(CheckinSchedule.id) == schedule_id,
            col(CheckinSchedule.state) == SCHEDULE_ON,
            col(CheckinSchedule.checked_through) < checked_through,
        )
        .values(checked_through=checked_through, next_due_at=next_due_at)
    )


# ---- skips ---------------------------------------------------------------------------------------------


async def skips_for(session: AsyncSession, *, team_id: str, channel_ids: Sequence[str]) -> dict[str, list[CheckinSkip]]:
    """The skips of these channels (channel-wide and personal), by channel."""
    found: dict[str, list[CheckinSkip]] = defaultdict(list)
    for start in range(0, len(channel_ids), 500):
        chunk = list(channel_ids[start : start + 500])
        result = await session.exec(
            select(CheckinSkip).where(CheckinSkip.team_id == team_id, col(CheckinSkip.channel_id).in_(chunk))
        )
        for skip in result.all():
            found[skip.channel_id].append(skip)
    return found


async def add_skip(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    user_id: str | None,
    first_day: date,
    last_day: date,
    created_by: str,
) -> CheckinSkip:
    """Record a skip of the days `first_day` to `last_day` (channel-wide when `user_id` is None)."""
    row = CheckinSkip(
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        first_day=first_day,
        last_day=last_day,
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return row


async def end_skips(session: AsyncSession, *, team_id: str, channel_id: str, user_id: str | None, today: date) -> int:
    """End someone's (or the channel's) skips from `today` on; returns how many were changed."""
    who = col(CheckinSkip.user_id) == user_id if user_id else col(CheckinSkip.user_id).is_(None)
    scope = (col(CheckinSkip.team_id) == team_id, col(CheckinSkip.channel_id) == channel_id, who)
    removed = await session.exec(delete(CheckinSkip).where(*scope, col(CheckinSkip.first_day) >= today))
    shortened = await session.exec(
        update(CheckinSkip).where(*scope, col(CheckinSkip.last_day) >= today).values(last_day=today - timedelta(days=1))
    )
    return (removed.rowcount or 0) + (shortened.rowcount or 0)


# ---- dispatch ------------------------------------------------------------------------------------------


def new_token() -> str:
    """A claim token: who holds a dispatch row right now."""
    return uuid.uuid4().hex


async def claim_dispatch(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    week: str,
    prompt: str,
    status: str,
    scheduled_at: datetime,
    deadline: datetime,
    late: bool,
    token: str,
    now: datetime,
) -> int | None:
    """Write the dispatch key; its id when this caller wrote it, None when someone else already had."""
    values: dict[str, Any] = dict(
        team_id=team_id,
        channel_id=channel_id,
        week=week,
        prompt=prompt,
        status=status,
        scheduled_at=scheduled_at,
        deadline=deadline,
        late=late,
        claimed_at=now,
        claim_token=token,
        attempts=1 if status == DISPATCH_CLAIMED else 0,
    )
    statement = insert_unless_present(
        session, CheckinDispatch, values, key=["team_id", "channel_id", "week", "prompt"]
    ).returning(col(CheckinDispatch.id))
    result = await session.exec(statement)
    return result.scalar_one_or_none()


async def stale_dispatches(
    session: AsyncSession, *, now: datetime, lease: timedelta, max_attempts: int
) -> list[CheckinDispatch]:
    """Dispatches to finish: claims older than the lease (their process died), failures with attempts left."""
    result = await session.exec(
        select(CheckinDispatch).where(
            or_(
                and_(col(CheckinDispatch.status) == DISPATCH_CLAIMED, col(CheckinDispatch.claimed_at) < now - lease),
                and_(
                    col(CheckinDispatch.status) == DISPATCH_FAILED,
                    col(CheckinDispatch.attempts) < max_attempts,
                ),
            )
        )
    )
    return list(result.all())


async def reclaim_dispatch(
    session: AsyncSession, *, team_id: str, dispatch: CheckinDispatch, token: str, now: datetime
) -> bool:
    """Take over a stale dispatch, only if nobody else took it since it was read (compare and swap)."""
    result = await session.exec(
        update(CheckinDispatch)
        .where(
            col(CheckinDispatch.team_id) == team_id,
            col(CheckinDispatch.id) == dispatch.id,
            col(CheckinDispatch.claim_token) == dispatch.claim_token,
            col(CheckinDispatch.status) == dispatch.status,
        )
        .values(status=DISPATCH_CLAIMED, claim_token=token, claimed_at=now, attempts=dispatch.attempts + 1)
    )
    return bool(result.rowcount)


async def finish_dispatch(
    session: AsyncSession,
    *,
    team_id: str,
    dispatch_id: int,
    token: str,
    status: str,
    now: datetime,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    error: str | None = None,
) -> bool:
    """Record how a claimed dispatch ended (posted with its ts, failed, abandoned); only by its holder."""
    result = await session.exec(
        update(CheckinDispatch)
        .where(
            col(CheckinDispatch.team_id) == team_id,
            col(CheckinDispatch.id) == dispatch_id,
            col(CheckinDispatch.claim_token) == token,
        )
        .values(
            status=status,
            message_ts=message_ts,
            thread_ts=thread_ts,
            error=error[:64] if error else None,
            posted_at=now if message_ts else None,
        )
    )
    return bool(result.rowcount)


async def get_dispatch(session: AsyncSession, *, team_id: str, dispatch_id: int) -> CheckinDispatch | None:
    """A dispatch of this workspace by id."""
    result = await session.exec(
        select(CheckinDispatch).where(CheckinDispatch.team_id == team_id, CheckinDispatch.id == dispatch_id)
    )
    return result.first()


async def find_dispatch(
    session: AsyncSession, *, team_id: str, channel_id: str, week: str, prompt: str
) -> CheckinDispatch | None:
    """The dispatch of one prompt of one week in a channel, if any."""
    result = await session.exec(
        select(CheckinDispatch).where(
            col(CheckinDispatch.team_id) == team_id,
            col(CheckinDispatch.channel_id) == channel_id,
            col(CheckinDispatch.week) == week,
            col(CheckinDispatch.prompt) == prompt,
        )
    )
    return result.first()


# ---- items ---------------------------------------------------------------------------------------------


def _write_item(row: CheckinItem, columns: ItemColumns) -> None:
    row.what = columns["what"][:300]
    row.owner = columns["owner"]
    row.stage = columns["stage"]
    row.expected_metric = columns["expected_metric"][:200]
    row.result = columns["result"]
    row.number = columns["number"]
    row.learned = columns["learned"][:1000]
    row.next_step = columns["next_step"]
    row.measured_at = columns["measured_at"]


async def add_item(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    item_id: str,
    week: str,
    shipped_at: datetime,
    columns: ItemColumns,
    created_by: str,
    source_ts: str | None = None,
) -> CheckinItem:
    """Store a new item of `week`, shipped at `shipped_at`."""
    row = CheckinItem(
        id=item_id,
        team_id=team_id,
        channel_id=channel_id,
        week=week,
        what="",
        owner=columns["owner"],
        stage=columns["stage"],
        shipped_at=shipped_at,
        created_by=created_by,
        source_ts=source_ts,
    )
    _write_item(row, columns)
    session.add(row)
    await session.flush()
    return row


async def save_item(
    session: AsyncSession, *, team_id: str, item_id: str, columns: ItemColumns, now: datetime, **tracking: str
) -> CheckinItem | None:
    """Store an item's new state (`tracking`: result_ts or reply_ts); None if it is not in this workspace."""
    row = await get_item(session, team_id=team_id, item_id=item_id)
    if row is None:
        return None
    _write_item(row, columns)
    for name, value in tracking.items():
        setattr(row, name, value)
    row.updated_at = now
    await session.flush()
    return row


async def get_item(session: AsyncSession, *, team_id: str, item_id: str) -> CheckinItem | None:
    """An item of this workspace by id."""
    result = await session.exec(select(CheckinItem).where(CheckinItem.team_id == team_id, CheckinItem.id == item_id))
    return result.first()


async def item_by_reply(
    session: AsyncSession, *, team_id: str, channel_id: str, ts: str, field: str = "source_ts"
) -> CheckinItem | None:
    """The item a person's thread reply created (`source_ts`) or reported a result for (`result_ts`)."""
    column = getattr(CheckinItem, field)
    result = await session.exec(
        select(CheckinItem).where(CheckinItem.team_id == team_id, CheckinItem.channel_id == channel_id, column == ts)
    )
    return result.first()


async def week_items(session: AsyncSession, *, team_id: str, channel_id: str, week: str) -> list[CheckinItem]:
    """A week's items in a channel, in the order they were shipped (the measure prompt numbers them so)."""
    result = await session.exec(
        select(CheckinItem)
        .where(CheckinItem.team_id == team_id, CheckinItem.channel_id == channel_id, CheckinItem.week == week)
        .order_by(col(CheckinItem.shipped_at), col(CheckinItem.id))
    )
    return list(result.all())


async def channel_items(session: AsyncSession, *, team_id: str, channel_id: str, since_week: str) -> list[CheckinItem]:
    """A channel's items from `since_week` on."""
    result = await session.exec(
        select(CheckinItem)
        .where(
            col(CheckinItem.team_id) == team_id,
            col(CheckinItem.channel_id) == channel_id,
            col(CheckinItem.week) >= since_week,
        )
        .order_by(col(CheckinItem.week), col(CheckinItem.shipped_at), col(CheckinItem.id))
    )
    return list(result.all())


def new_item_id() -> str:
    """A fresh item id."""
    return uuid.uuid4().hex
