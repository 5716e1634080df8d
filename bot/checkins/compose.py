"""What each check-in message says, from what storage holds (pure; used to post and to update).

A message here is data: the figures and people it names, and how late it goes out. The Slack layer
turns it into Block Kit and text.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.checkins.digest import Digest, build_digest
from bot.checkins.items import ShipItem, unmeasured_owners
from bot.checkins.schedule import LATE_AFTER, Occurrence, Prompt, Schedule
from bot.checkins.weeks import recent_weeks
from bot.store.models.checkins import CheckinDispatch

STREAK_HISTORY_WEEKS = 52


@dataclass(frozen=True)
class ShipMessage:
    """Tuesday's prompt: what ships this week, asking `asked` (everyone when empty)."""

    occurrence: Occurrence
    schedule: Schedule
    asked: list[str]
    late_by: timedelta | None


@dataclass(frozen=True)
class MeasureMessage:
    """Thursday's prompt: the week's items with their results so far, asking `asked`."""

    occurrence: Occurrence
    schedule: Schedule
    items: list[ShipItem]
    asked: list[str]
    late_by: timedelta | None


@dataclass(frozen=True)
class ReminderMessage:
    """The nudge to `owners` about their unmeasured items, numbered as the measure prompt lists them."""

    week: str
    owners: list[str]
    items: list[tuple[int, ShipItem]]


@dataclass(frozen=True)
class DigestMessage:
    """Friday's digest of the week's figures; `due` is when it was due, in the channel's time zone."""

    digest: Digest
    late_by: timedelta | None
    due: datetime


CheckinMessage = ShipMessage | MeasureMessage | ReminderMessage | DigestMessage


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


def compose_ship(schedule: Schedule, dispatch: CheckinDispatch, *, sent_at: datetime) -> ShipMessage:
    """The ship prompt."""
    occurrence = occurrence_of(dispatch, schedule)
    return ShipMessage(occurrence, schedule, schedule.people_to_ask(occurrence.local_day), lateness(dispatch, sent_at))


def compose_measure(
    schedule: Schedule, dispatch: CheckinDispatch, items: list[ShipItem], *, sent_at: datetime
) -> MeasureMessage:
    """The measure prompt, listing the week's items and their results so far."""
    occurrence = occurrence_of(dispatch, schedule)
    return MeasureMessage(
        occurrence, schedule, items, schedule.people_to_ask(occurrence.local_day), lateness(dispatch, sent_at)
    )


def compose_reminder(schedule: Schedule, dispatch: CheckinDispatch, items: list[ShipItem]) -> ReminderMessage | None:
    """The nudge to owners of unmeasured items who are not away; None when nobody needs one."""
    day = occurrence_of(dispatch, schedule).local_day
    owners = schedule.present(unmeasured_owners(items, dispatch.week), day)
    if not owners:
        return None
    numbered = [
        (number, item) for number, item in enumerate(items, start=1) if item.owner in owners and not item.is_measured
    ]
    return ReminderMessage(dispatch.week, owners, numbered)


def skipped_weeks(schedule: Schedule, week: str) -> set[str]:
    """The weeks up to `week` that the channel skipped (neutral for the streak)."""
    return {w for w in recent_weeks(week, STREAK_HISTORY_WEEKS) if schedule.skips_week(w)}


def compose_digest(
    schedule: Schedule, dispatch: CheckinDispatch, items: list[ShipItem], *, sent_at: datetime
) -> DigestMessage:
    """The Friday digest (its figures also draw the chart)."""
    digest = build_digest(items, dispatch.week, skipped_weeks=skipped_weeks(schedule, dispatch.week))
    due = dispatch.scheduled_at.astimezone(schedule.zone)
    return DigestMessage(digest, lateness(dispatch, sent_at), due)
