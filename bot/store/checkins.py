"""Check-ins in storage: schedules and skips, the exactly-once dispatch record, ship items and results.

Every function filters by `team_id`, except the scheduler's two scans (`due_schedules`, `stale_dispatches`),
which look across workspaces for work by indexed due times and hand each row on under its own team.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins.items import NextStep, Result, ShipItem, Stage
from bot.checkins.schedule import Prompt, Schedule, Skip, Slot, Weekday, next_occurrence
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

MAX_ATTEMPTS = 5


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


# ---- schedules ------------------------------------------------------------------------------------------


def schedule_of(row: CheckinSchedule, skips: Iterable[CheckinSkip] = ()) -> Schedule:
    """The plain schedule a row stores (with the channel's skips)."""
    return Schedule(
        timezone=row.timezone,
        ship=Slot(Weekday(row.ship_day), _clock_time(row.ship_time)),
        measure=Slot(Weekday(row.measure_day), _clock_time(row.measure_time)),
        reminder=Slot(Weekday(row.reminder_day), _clock_time(row.reminder_time)),
        digest=Slot(Weekday(row.digest_day), _clock_time(row.digest_time)),
        enabled=frozenset(Prompt(prompt) for prompt in row.enabled),
        participants=tuple(row.participants),
        skips=tuple(Skip(skip.first_day, skip.last_day, skip.user_id) for skip in skips),
    )


def _schedule_columns(schedule: Schedule) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "timezone": schedule.timezone,
        "enabled": sorted(prompt.value for prompt in schedule.enabled),
        "participants": list(schedule.participants),
    }
    for prompt in Prompt:
        slot = schedule.slot(prompt)
        columns[f"{prompt.value}_day"] = int(slot.weekday)
        columns[f"{prompt.value}_time"] = f"{slot.at:%H:%M}"
    return columns


def _write_schedule(row: CheckinSchedule, schedule: Schedule) -> None:
    for name, value in _schedule_columns(schedule).items():
        setattr(row, name, value)


def _next_due(schedule: Schedule, after: datetime) -> datetime | None:
    upcoming = next_occurrence(schedule, after)
    return upcoming.scheduled_at if upcoming else None


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


async def load_schedule(
    session: AsyncSession, *, team_id: str, channel_id: str
) -> tuple[CheckinSchedule, Schedule] | None:
    """A channel's schedule row and its plain schedule with skips, or None."""
    row = await get_schedule(session, team_id=team_id, channel_id=channel_id)
    if row is None:
        return None
    skips = (await skips_for(session, team_id=team_id, channel_ids=[channel_id])).get(channel_id, [])
    return row, schedule_of(row, skips)


async def turn_on(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    default: Schedule,
    user_id: str,
    now: datetime,
) -> CheckinSchedule:
    """Start (or resume) a channel's check-ins from `now`: nothing scheduled before it is owed."""
    row = await get_schedule(session, team_id=team_id, channel_id=channel_id)
    if row is None:
        row = CheckinSchedule(team_id=team_id, channel_id=channel_id, set_up_by=user_id, **_schedule_columns(default))
        session.add(row)
    elif row.state != SCHEDULE_ON:
        row.set_up_by = user_id
    else:
        return row
    skips = (await skips_for(session, team_id=team_id, channel_ids=[channel_id])).get(channel_id, [])
    row.state = SCHEDULE_ON
    row.paused_reason = None
    row.checked_through = now
    row.next_due_at = _next_due(schedule_of(row, skips), now)
    row.updated_at = now
    await session.flush()
    return row


async def turn_off(session: AsyncSession, *, team_id: str, channel_id: str, now: datetime) -> bool:
    """Stop a channel's check-ins (settings and history stay); False if they were not on or paused."""
    result = await session.exec(
        update(CheckinSchedule)
        .where(
            CheckinSchedule.team_id == team_id,
            CheckinSchedule.channel_id == channel_id,
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
            CheckinSchedule.team_id == team_id,
            CheckinSchedule.channel_id == channel_id,
            CheckinSchedule.state == SCHEDULE_ON,
        )
        .values(state=SCHEDULE_PAUSED, paused_reason=reason[:255], next_due_at=None, updated_at=now)
    )
    return bool(result.rowcount)


async def save_settings(
    session: AsyncSession, *, team_id: str, channel_id: str, schedule: Schedule, now: datetime
) -> CheckinSchedule | None:
    """Store new settings; the next due time follows them (prompts already past this week stay past)."""
    row = await get_schedule(session, team_id=team_id, channel_id=channel_id)
    if row is None:
        return None
    _write_schedule(row, schedule)
    row.updated_at = now
    if row.state == SCHEDULE_ON:
        # The cursor moves to now: a change of times never makes an earlier prompt look missed.
        row.checked_through = max(row.checked_through, now)
        row.next_due_at = _next_due(schedule, now)
    await session.flush()
    return row


async def refresh_next_due(session: AsyncSession, *, team_id: str, channel_id: str, now: datetime) -> None:
    """Recompute a running schedule's next due time (after its skips changed)."""
    loaded = await load_schedule(session, team_id=team_id, channel_id=channel_id)
    if loaded is None or loaded[0].state != SCHEDULE_ON:
        return
    row, schedule = loaded
    row.next_due_at = _next_due(schedule, max(row.checked_through, now))
    await session.flush()


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
            CheckinSchedule.team_id == team_id,
            CheckinSchedule.id == schedule_id,
            CheckinSchedule.state == SCHEDULE_ON,
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


async def add_skip(session: AsyncSession, *, team_id: str, channel_id: str, skip: Skip, created_by: str) -> CheckinSkip:
    """Record a skip (channel-wide when `skip.user_id` is None)."""
    row = CheckinSkip(
        team_id=team_id,
        channel_id=channel_id,
        user_id=skip.user_id,
        first_day=skip.first_day,
        last_day=skip.last_day,
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return row


async def end_skips(session: AsyncSession, *, team_id: str, channel_id: str, user_id: str | None, today: date) -> int:
    """End someone's (or the channel's) skips from `today` on; returns how many were changed."""
    who = CheckinSkip.user_id == user_id if user_id else col(CheckinSkip.user_id).is_(None)
    scope = (CheckinSkip.team_id == team_id, CheckinSkip.channel_id == channel_id, who)
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
    prompt: Prompt,
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
        prompt=prompt.value,
        status=status,
        scheduled_at=scheduled_at,
        deadline=deadline,
        late=late,
        claimed_at=now,
        claim_token=token,
        attempts=1 if status == DISPATCH_CLAIMED else 0,
    )
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(CheckinDispatch)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "week", "prompt"])
        .returning(CheckinDispatch.id)
    )
    result = await session.exec(statement)
    return result.scalar_one_or_none()


async def stale_dispatches(session: AsyncSession, *, now: datetime, lease: timedelta) -> list[CheckinDispatch]:
    """Dispatches to finish: claims older than the lease (their process died) and retryable failures."""
    result = await session.exec(
        select(CheckinDispatch).where(
            or_(
                and_(CheckinDispatch.status == DISPATCH_CLAIMED, col(CheckinDispatch.claimed_at) < now - lease),
                and_(
                    CheckinDispatch.status == DISPATCH_FAILED,
                    col(CheckinDispatch.attempts) < MAX_ATTEMPTS,
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
            CheckinDispatch.team_id == team_id,
            CheckinDispatch.id == dispatch.id,
            CheckinDispatch.claim_token == dispatch.claim_token,
            CheckinDispatch.status == dispatch.status,
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
            CheckinDispatch.team_id == team_id,
            CheckinDispatch.id == dispatch_id,
            CheckinDispatch.claim_token == token,
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
    session: AsyncSession, *, team_id: str, channel_id: str, week: str, prompt: Prompt
) -> CheckinDispatch | None:
    """The dispatch of one prompt of one week in a channel, if any."""
    result = await session.exec(
        select(CheckinDispatch).where(
            CheckinDispatch.team_id == team_id,
            CheckinDispatch.channel_id == channel_id,
            CheckinDispatch.week == week,
            CheckinDispatch.prompt == prompt.value,
        )
    )
    return result.first()


# ---- items ---------------------------------------------------------------------------------------------


def ship_item(row: CheckinItem) -> ShipItem:
    """The plain item a row stores."""
    return ShipItem(
        id=row.id,
        week=row.week,
        what=row.what,
        owner=row.owner,
        stage=Stage(row.stage),
        expected_metric=row.expected_metric,
        shipped_at=row.shipped_at,
        result=Result(row.result) if row.result else None,
        number=row.number,
        learned=row.learned,
        next_step=NextStep(row.next_step) if row.next_step else None,
        measured_at=row.measured_at,
    )


def _write_item(row: CheckinItem, item: ShipItem) -> None:
    row.what = item.what[:300]
    row.owner = item.owner
    row.stage = item.stage.value
    row.expected_metric = item.expected_metric[:200]
    row.result = item.result.value if item.result else None
    row.number = item.number
    row.learned = item.learned[:1000]
    row.next_step = item.next_step.value if item.next_step else None
    row.measured_at = item.measured_at


async def add_item(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    item: ShipItem,
    created_by: str,
    source_ts: str | None = None,
) -> CheckinItem:
    """Store a new item (its id, week and ship time come with it)."""
    row = CheckinItem(
        id=item.id,
        team_id=team_id,
        channel_id=channel_id,
        week=item.week,
        what="",
        owner=item.owner,
        stage=item.stage.value,
        shipped_at=item.shipped_at,
        created_by=created_by,
        source_ts=source_ts,
    )
    _write_item(row, item)
    session.add(row)
    await session.flush()
    return row


async def save_item(
    session: AsyncSession, *, team_id: str, item: ShipItem, now: datetime, **tracking: str
) -> CheckinItem | None:
    """Store an item's new state (`tracking`: result_ts or reply_ts); None if it is not in this workspace."""
    row = await get_item(session, team_id=team_id, item_id=item.id)
    if row is None:
        return None
    _write_item(row, item)
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
            CheckinItem.team_id == team_id,
            CheckinItem.channel_id == channel_id,
            col(CheckinItem.week) >= since_week,
        )
        .order_by(col(CheckinItem.week), col(CheckinItem.shipped_at), col(CheckinItem.id))
    )
    return list(result.all())


def new_item_id() -> str:
    """A fresh item id."""
    return uuid.uuid4().hex
