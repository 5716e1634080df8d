"""The text and blocks of each check-in message, from what storage holds (pure; used to post and to update)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.blocks import checkins as blocks
from bot.checkins.digest import Digest, build_digest
from bot.checkins.items import ShipItem, unmeasured_owners
from bot.checkins.schedule import LATE_AFTER, Occurrence, Prompt, Schedule
from bot.checkins.weeks import recent_weeks
from bot.store.models.checkins import CheckinDispatch

STREAK_HISTORY_WEEKS = 52


@dataclass(frozen=True)
class Composed:
    """A message ready for chat.postMessage / chat.update."""

    text: str
    blocks: list[dict[str, Any]]


def occurrence_of(dispatch: CheckinDispatch, schedule: Schedule) -> Occurrence:
    """The occurrence a dispatch row stands for."""
    scheduled_at = dispatch.scheduled_at
    return Occurrence(
        prompt=Prompt(dispatch.prompt),
        week=dispatch.week,
        local_day=scheduled_at.astimezone(schedule.zone).date(),
        scheduled_at=scheduled_at,
        deadline=dispatch.deadline,
    )


def lateness(dispatch: CheckinDispatch, sent_at: datetime) -> timedelta | None:
    """How late the message went out, when late enough to say so."""
    late_by = sent_at - dispatch.scheduled_at
    return late_by if late_by >= LATE_AFTER else None


def compose_ship(schedule: Schedule, dispatch: CheckinDispatch, *, sent_at: datetime) -> Composed:
    """The ship prompt."""
    occurrence = occurrence_of(dispatch, schedule)
    built = blocks.build_ship_prompt(
        occurrence,
        schedule,
        asked=schedule.people_to_ask(occurrence.local_day),
        late_by=lateness(dispatch, sent_at),
    )
    return Composed(blocks.ship_prompt_text(dispatch.week), built)


def compose_measure(
    schedule: Schedule, dispatch: CheckinDispatch, items: list[ShipItem], *, sent_at: datetime
) -> Composed:
    """The measure prompt, listing the week's items and their results so far."""
    occurrence = occurrence_of(dispatch, schedule)
    built = blocks.build_measure_prompt(
        occurrence,
        schedule,
        items,
        asked=schedule.people_to_ask(occurrence.local_day),
        late_by=lateness(dispatch, sent_at),
    )
    return Composed(blocks.measure_prompt_text(dispatch.week, len(items)), built)


def compose_reminder(schedule: Schedule, dispatch: CheckinDispatch, items: list[ShipItem]) -> Composed | None:
    """The nudge to owners of unmeasured items who are not away; None when nobody needs one."""
    day = occurrence_of(dispatch, schedule).local_day
    owners = schedule.present(unmeasured_owners(items, dispatch.week), day)
    if not owners:
        return None
    numbered = [
        (number, item) for number, item in enumerate(items, start=1) if item.owner in owners and not item.is_measured
    ]
    return Composed(blocks.reminder_text(len(numbered)), blocks.build_reminder(dispatch.week, owners, numbered))


def skipped_weeks(schedule: Schedule, week: str) -> set[str]:
    """The weeks up to `week` that the channel skipped (neutral for the streak)."""
    return {w for w in recent_weeks(week, STREAK_HISTORY_WEEKS) if schedule.skips_week(w)}


def compose_digest(
    schedule: Schedule, dispatch: CheckinDispatch, items: list[ShipItem], *, sent_at: datetime
) -> tuple[Composed, Digest]:
    """The Friday digest (and its figures, for the chart)."""
    digest = build_digest(items, dispatch.week, skipped_weeks=skipped_weeks(schedule, dispatch.week))
    due = dispatch.scheduled_at.astimezone(schedule.zone)
    built = blocks.build_digest(digest, late_by=lateness(dispatch, sent_at), due=due)
    return Composed(blocks.digest_text(digest), built), digest
