"""Check-in rows as the core's plain data, and back; and the storage steps that need the schedule math.

The store keeps columns (`bot.store.checkins`); what they mean (a `Schedule` and when it is next due, a
`ShipItem` and its result) is decided here, so the store never imports the check-ins core.
"""

from collections.abc import Iterable
from datetime import datetime, time
from typing import NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins.items import NextStep, Result, ShipItem
from bot.checkins.schedule import Prompt, Schedule, Skip, Slot, Weekday, next_occurrence
from bot.stages import Stage
from bot.store import checkins as store
from bot.store.models.checkins import SCHEDULE_ON, CheckinItem, CheckinSchedule, CheckinSkip


class LoadedSchedule(NamedTuple):
    """A channel's schedule row (state, cursor, who set it up) and the plain schedule it stores, with skips."""

    row: CheckinSchedule
    schedule: Schedule


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _clock_text(at: time) -> str:
    return f"{at:%H:%M}"


def skip_of(row: CheckinSkip) -> Skip:
    """The plain skip a row stores."""
    return Skip(row.first_day, row.last_day, row.user_id)


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
        skips=tuple(skip_of(skip) for skip in skips),
    )


def schedule_columns(schedule: Schedule) -> store.ScheduleColumns:
    """The columns that store a schedule's settings (its skips are rows of their own)."""
    return store.ScheduleColumns(
        timezone=schedule.timezone,
        ship_day=int(schedule.ship.weekday),
        ship_time=_clock_text(schedule.ship.at),
        measure_day=int(schedule.measure.weekday),
        measure_time=_clock_text(schedule.measure.at),
        reminder_day=int(schedule.reminder.weekday),
        reminder_time=_clock_text(schedule.reminder.at),
        digest_day=int(schedule.digest.weekday),
        digest_time=_clock_text(schedule.digest.at),
        enabled=sorted(prompt.value for prompt in schedule.enabled),
        participants=list(schedule.participants),
    )


def next_due_at(schedule: Schedule, after: datetime) -> datetime | None:
    """When the schedule's first prompt after `after` is due (None: nothing ever is)."""
    upcoming = next_occurrence(schedule, after)
    return upcoming.scheduled_at if upcoming else None


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


def item_columns(item: ShipItem) -> store.ItemColumns:
    """The columns that store what an item says and its result."""
    return store.ItemColumns(
        what=item.what,
        owner=item.owner,
        stage=item.stage.value,
        expected_metric=item.expected_metric,
        result=item.result.value if item.result else None,
        number=item.number,
        learned=item.learned,
        next_step=item.next_step.value if item.next_step else None,
        measured_at=item.measured_at,
    )


async def load_schedule(session: AsyncSession, *, team_id: str, channel_id: str) -> LoadedSchedule | None:
    """A channel's schedule row and its plain schedule with skips, or None when never set up."""
    row = await store.get_schedule(session, team_id=team_id, channel_id=channel_id)
    if row is None:
        return None
    skips = (await store.skips_for(session, team_id=team_id, channel_ids=[channel_id])).get(channel_id, [])
    return LoadedSchedule(row, schedule_of(row, skips))


async def turn_on(
    session: AsyncSession, *, team_id: str, channel_id: str, default: Schedule, user_id: str, now: datetime
) -> bool:
    """Start (or resume) a channel's check-ins from `now`; a new schedule takes `default`'s settings.

    True when this call turned them on; False when they were on already (or another request just did it).
    """
    loaded = await load_schedule(session, team_id=team_id, channel_id=channel_id)
    if loaded is not None and loaded.row.state == SCHEDULE_ON:
        return False
    schedule = loaded.schedule if loaded is not None else default
    return await store.turn_on(
        session,
        team_id=team_id,
        channel_id=channel_id,
        columns=schedule_columns(default),
        user_id=user_id,
        now=now,
        next_due_at=next_due_at(schedule, now),
    )


async def save_settings(
    session: AsyncSession, *, team_id: str, channel_id: str, schedule: Schedule, now: datetime
) -> CheckinSchedule | None:
    """Store new settings; the next due time follows them (None when check-ins were never set up)."""
    return await store.save_settings(
        session,
        team_id=team_id,
        channel_id=channel_id,
        columns=schedule_columns(schedule),
        now=now,
        next_due_at=next_due_at(schedule, now),
    )


async def refresh_next_due(session: AsyncSession, *, team_id: str, channel_id: str, now: datetime) -> None:
    """Recompute a running schedule's next due time (after its skips changed)."""
    loaded = await load_schedule(session, team_id=team_id, channel_id=channel_id)
    if loaded is None or loaded.row.state != SCHEDULE_ON:
        return
    after = max(loaded.row.checked_through, now)
    await store.set_next_due(
        session, team_id=team_id, channel_id=channel_id, next_due_at=next_due_at(loaded.schedule, after)
    )
