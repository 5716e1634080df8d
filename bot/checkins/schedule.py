"""A channel's check-in schedule as plain data, and the pure math of which prompts are due when.

Rules (the scheduler and the messages rely on them):

- Every prompt has a weekday and a wall-clock time in the schedule's IANA time zone. One week's cycle runs
  ship, measure, reminder, digest in that order within Monday..Sunday, so the ISO week of the scheduled
  day ties the four together, and (team, channel, week, prompt) identifies a prompt exactly once.
- Daylight saving: a wall-clock time that does not exist that day (spring forward) fires once at the first
  valid instant after the gap; a time that happens twice (fall back) fires once, at its first occurrence.
- Catch-up after downtime: a missed prompt is still sent while it is useful, and marked late. Ship and
  measure stay useful until the next enabled step of the cycle is due (ship until measure, measure until
  the digest); the reminder until the digest; the digest until the end of its week (Sunday midnight, local
  time), so a Friday digest missed over the weekend is dropped on Monday, when the new week starts.
  A reminder is dropped (superseded) when its week's measure prompt goes out late in the same pass.
- Skips: a channel skip suppresses every prompt scheduled on its days; a person's skip (vacation) only
  leaves that person out of who is asked or nudged.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.checkins.weeks import week_days, week_key, week_monday
from bot.errors import InputError

LATE_AFTER = timedelta(minutes=30)
"""A prompt sent this long after its time says it is late (a pass runs every minute or so)."""

MAX_LOOKBACK = timedelta(days=14)
"""How far back a pass looks for missed prompts; anything older has expired anyway."""

_LOOKAHEAD_WEEKS = 106


class Prompt(StrEnum):
    """The four messages of a week's cycle, in cycle order."""

    SHIP = "ship"
    MEASURE = "measure"
    REMINDER = "reminder"
    DIGEST = "digest"


CYCLE_ORDER = (Prompt.SHIP, Prompt.MEASURE, Prompt.REMINDER, Prompt.DIGEST)
# The reminder is a nudge, not a step: it never closes another prompt's catch-up window.
_CYCLE_STEPS = (Prompt.SHIP, Prompt.MEASURE, Prompt.DIGEST)


class Weekday(IntEnum):
    """Days as `date.weekday()` numbers them."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@dataclass(frozen=True, order=True)
class Slot:
    """A weekday and a wall-clock time (no time zone: the schedule's zone applies)."""

    weekday: Weekday
    at: time

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None:
            raise InputError("A check-in time is a wall-clock time: give it without a time zone.")
        object.__setattr__(self, "weekday", Weekday(self.weekday))


@dataclass(frozen=True)
class Skip:
    """Days (inclusive, local dates) when the channel, or one person if `user_id` is set, is away."""

    first_day: date
    last_day: date
    user_id: str | None = None

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise InputError("A skip must end on or after the day it starts: swap the two dates.")

    def covers(self, day: date) -> bool:
        """Whether `day` falls inside this skip."""
        return self.first_day <= day <= self.last_day


def skip_week(week: str, user_id: str | None = None) -> Skip:
    """A skip covering the whole ISO week `week` (for the channel, or for one person)."""
    first_day, last_day = week_days(week)
    return Skip(first_day, last_day, user_id)


DEFAULT_SLOTS = {
    Prompt.SHIP: Slot(Weekday.TUESDAY, time(10, 0)),
    Prompt.MEASURE: Slot(Weekday.THURSDAY, time(10, 0)),
    Prompt.REMINDER: Slot(Weekday.THURSDAY, time(16, 0)),
    Prompt.DIGEST: Slot(Weekday.FRIDAY, time(15, 0)),
}


def zone_for(name: str) -> ZoneInfo:
    """The IANA time zone called `name`, or an InputError that says how to name one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise InputError(
            f"Unknown time zone '{name}': use an IANA name such as Europe/Berlin or America/New_York."
        ) from error


@dataclass(frozen=True)
class Schedule:
    """When a channel's prompts go out, in which time zone, which are on, who is asked, who is away."""

    timezone: str = "UTC"
    ship: Slot = DEFAULT_SLOTS[Prompt.SHIP]
    measure: Slot = DEFAULT_SLOTS[Prompt.MEASURE]
    reminder: Slot = DEFAULT_SLOTS[Prompt.REMINDER]
    digest: Slot = DEFAULT_SLOTS[Prompt.DIGEST]
    enabled: frozenset[Prompt] = frozenset(Prompt)
    participants: tuple[str, ...] = ()
    skips: tuple[Skip, ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    # Per enabled prompt in cycle order: its slot, and the later step whose time closes its catch-up.
    _plan: tuple[tuple[Prompt, Slot, Prompt | None], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", zone_for(self.timezone))
        object.__setattr__(self, "enabled", frozenset(Prompt(prompt) for prompt in self.enabled))
        slots = {prompt: self.slot(prompt) for prompt in CYCLE_ORDER}
        ordered = list(slots.values())
        if any(later <= earlier for earlier, later in zip(ordered, ordered[1:], strict=False)):
            raise InputError(
                "Check-in times must follow the week's cycle, Monday to Sunday: ship, then measure, "
                "then the reminder, then the digest, each strictly later than the one before."
            )
        enabled_steps = [step for step in _CYCLE_STEPS if step in self.enabled]
        plan = tuple(
            (prompt, slots[prompt], next((s for s in enabled_steps if slots[s] > slots[prompt]), None))
            for prompt in CYCLE_ORDER
            if prompt in self.enabled
        )
        object.__setattr__(self, "_plan", plan)

    def slot(self, prompt: Prompt) -> Slot:
        """The weekday and time of `prompt`."""
        return getattr(self, Prompt(prompt).value)

    def channel_skips(self, day: date) -> bool:
        """Whether the whole channel skips check-ins on `day`."""
        return any(skip.user_id is None and skip.covers(day) for skip in self.skips)

    def is_away(self, user_id: str, day: date) -> bool:
        """Whether `user_id` is away (skip or vacation) on `day`, on their own or with the channel."""
        return any(skip.user_id in (None, user_id) and skip.covers(day) for skip in self.skips)

    def present(self, user_ids: Iterable[str], day: date) -> list[str]:
        """`user_ids` without whoever is away on `day`, order kept."""
        return [user_id for user_id in user_ids if not self.is_away(user_id, day)]

    def people_to_ask(self, day: date) -> list[str]:
        """The participants to ask on `day` (empty when the schedule asks the channel as a whole)."""
        return self.present(self.participants, day)

    def skips_week(self, week: str) -> bool:
        """Whether the channel skips `week`: it is away on the day of that week's ship prompt."""
        return self.channel_skips(week_monday(week) + timedelta(days=self.ship.weekday))


@dataclass(frozen=True)
class Occurrence:
    """One prompt of one week: when it fires, and until when a missed one is still worth sending."""

    prompt: Prompt
    week: str
    local_day: date
    scheduled_at: datetime
    deadline: datetime

    def key(self, team_id: str, channel_id: str) -> str:
        """The exactly-once key: one dispatch per (team, channel, week, prompt)."""
        return f"{team_id}/{channel_id}/{self.week}/{self.prompt.value}"


class Disposition(StrEnum):
    """What a pass does with an occurrence it finds."""

    SEND = "send"
    SKIPPED = "skipped"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class DuePrompt:
    """An occurrence found by a pass, what to do with it, and how late it is."""

    occurrence: Occurrence
    disposition: Disposition
    late_by: timedelta

    @property
    def is_late(self) -> bool:
        """Whether the message should say it comes late (the coach was down or behind)."""
        return self.late_by >= LATE_AFTER


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant when the wall clock in `zone` shows `at` on `day`.

    An ambiguous time (fall back) resolves to its first occurrence; a time inside a spring-forward gap
    resolves to the first valid instant after the gap, which is the transition itself.
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # Inside a gap: fold=0 used the offset from before the transition (an instant after it), fold=1 the
    # offset from after (an instant before it). Bisect for the transition, whole seconds.
    offset_before = wall.replace(tzinfo=zone, fold=0).utcoffset()
    before = int(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    after = int(first.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return datetime.fromtimestamp(after, UTC)


def _week_occurrences(schedule: Schedule, monday: date) -> list[Occurrence]:
    """The enabled prompts of the week starting `monday`, in cycle order, with their catch-up deadlines."""
    week = week_key(monday)
    instants = {}
    result = []
    for prompt, slot, _ in schedule._plan:
        day = monday + timedelta(days=slot.weekday)
        instants[prompt] = (day, local_instant(day, slot.at, schedule.zone))
    end_of_week = None
    for prompt, _, closer in schedule._plan:
        day, scheduled_at = instants[prompt]
        if closer is not None:
            deadline = instants[closer][1]
        else:
            end_of_week = end_of_week or local_instant(monday + timedelta(days=7), time(0), schedule.zone)
            deadline = end_of_week
        result.append(Occurrence(prompt, week, day, scheduled_at, deadline))
    return result


def _monday_of(moment: datetime, zone: ZoneInfo) -> date:
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def occurrences(schedule: Schedule, start: datetime, end: datetime) -> list[Occurrence]:
    """Occurrences of the enabled prompts scheduled in (start, end], oldest first."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("occurrences needs timezone-aware datetimes")
    if end <= start or not schedule.enabled:
        return []
    monday = _monday_of(start, schedule.zone)
    if start.astimezone(schedule.zone).weekday() == Weekday.MONDAY:
        # A gap late on a Sunday can push last week's prompt into the first hours of this Monday.
        monday -= timedelta(weeks=1)
    last_monday = _monday_of(end, schedule.zone)
    found: list[Occurrence] = []
    while monday <= last_monday:
        found.extend(o for o in _week_occurrences(schedule, monday) if start < o.scheduled_at <= end)
        monday += timedelta(weeks=1)
    return sorted(found, key=lambda o: o.scheduled_at)


def due_prompts(schedule: Schedule, *, since: datetime, now: datetime) -> list[DuePrompt]:
    """Everything scheduled after `since` (the last pass, or when check-ins were turned on) up to `now`.

    Each comes with what to do: send it (maybe late), or record it as skipped, expired or superseded.
    The caller drops the ones it has already dispatched (the database's unique key is the authority).
    """
    found = occurrences(schedule, max(since, now - MAX_LOOKBACK), now)
    due = []
    for occurrence in found:
        if schedule.channel_skips(occurrence.local_day):
            disposition = Disposition.SKIPPED
        elif now >= occurrence.deadline:
            disposition = Disposition.EXPIRED
        else:
            disposition = Disposition.SEND
        due.append(DuePrompt(occurrence, disposition, now - occurrence.scheduled_at))
    late_measure_weeks = {
        d.occurrence.week for d in due if d.occurrence.prompt is Prompt.MEASURE and d.disposition is Disposition.SEND
    }
    return [
        DuePrompt(d.occurrence, Disposition.SUPERSEDED, d.late_by)
        if d.occurrence.prompt is Prompt.REMINDER
        and d.disposition is Disposition.SEND
        and d.occurrence.week in late_measure_weeks
        else d
        for d in due
    ]


def next_occurrence(schedule: Schedule, after: datetime) -> Occurrence | None:
    """The first prompt scheduled strictly after `after` that the channel does not skip, if any."""
    if after.tzinfo is None:
        raise ValueError("next_occurrence needs a timezone-aware datetime")
    monday = _monday_of(after, schedule.zone)
    if after.astimezone(schedule.zone).weekday() == Weekday.MONDAY:
        monday -= timedelta(weeks=1)
    for _ in range(_LOOKAHEAD_WEEKS if schedule.enabled else 0):
        for occurrence in _week_occurrences(schedule, monday):
            if occurrence.scheduled_at > after and not schedule.channel_skips(occurrence.local_day):
                return occurrence
        monday += timedelta(weeks=1)
    return None
