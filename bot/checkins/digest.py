"""The Friday digest's figures, computed from a channel's ship items (pure; no Slack, no database).

Definitions (the digest message and the tests rely on them):

- An item belongs to the week of the ship prompt it answers; a late result still counts for that week, and
  the figures always reflect the items' current (edited) state.
- Measured: the result is moved, no change or worse ("not measured yet" and no answer are unmeasured).
- A week has a full cycle when at least one of its items was shipped and measured. The streak counts
  weeks in a row with a full cycle, ending with this week, or with last week while this week is not full
  yet (late results can still complete it). Weeks the channel skipped neither count nor break it.
- Effort by stage looks at this week and the three before it; the collection warning fires when at least
  half of those items strengthen Collection and none strengthens Feedback.
- Measured but no next step: measured items of the trend window (the slide-deck break).
"""

import statistics
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.checkins.items import ShipItem
from bot.checkins.weeks import recent_weeks, shift_week
from bot.stages import Stage

TREND_WEEKS = 12
EFFORT_WEEKS = 4
SLOW_MEASUREMENT_DAYS = 7.0
"""A median beyond one weekly cycle means results arrive too late to steer the next ship."""


class FindingCode(StrEnum):
    """What the digest calls out, most important first."""

    EMPTY_WEEK = "empty_week"
    NOTHING_MEASURED = "nothing_measured"
    NO_NEXT_STEP = "no_next_step"
    COLLECTION_WITHOUT_FEEDBACK = "collection_without_feedback"
    SLOW_MEASUREMENT = "slow_measurement"


@dataclass(frozen=True)
class Finding:
    """One thing the digest calls out; `count` is how many items (or days, for slow measurement)."""

    code: FindingCode
    count: float = 0


@dataclass(frozen=True)
class WeekPoint:
    """One week of the trend series."""

    week: str
    shipped: int
    measured: int
    median_days_to_measure: float | None
    skipped: bool = False

    @property
    def share_measured(self) -> float | None:
        """Measured over shipped, or None in a week with nothing shipped."""
        return self.measured / self.shipped if self.shipped else None


@dataclass(frozen=True)
class Digest:
    """Everything the Friday message shows for one week."""

    week: str
    shipped: tuple[ShipItem, ...]
    measured: tuple[ShipItem, ...]
    unmeasured: tuple[ShipItem, ...]
    median_days_to_measure: float | None
    streak: int
    week_complete: bool
    effort_this_week: dict[Stage, int]
    effort_recent: dict[Stage, int]
    measured_without_next_step: tuple[ShipItem, ...]
    findings: tuple[Finding, ...]
    trend: tuple[WeekPoint, ...]

    @property
    def share_measured(self) -> float | None:
        """This week's measured share, or None when nothing shipped."""
        return len(self.measured) / len(self.shipped) if self.shipped else None

    @property
    def is_empty(self) -> bool:
        """Whether nothing was shipped this week (a finding in itself)."""
        return not self.shipped


def _median_days(items: Iterable[ShipItem]) -> float | None:
    days = [item.days_to_measure for item in items if item.days_to_measure is not None]
    return statistics.median(days) if days else None


def _stage_counts(items: Iterable[ShipItem]) -> dict[Stage, int]:
    counts = Counter(item.stage for item in items)
    return {stage: counts.get(stage, 0) for stage in Stage}


def week_point(items: Iterable[ShipItem], week: str, *, skipped: bool = False) -> WeekPoint:
    """The trend figures of one week."""
    of_week = [item for item in items if item.week == week]
    measured = [item for item in of_week if item.is_measured]
    return WeekPoint(week, len(of_week), len(measured), _median_days(measured), skipped)


def streak(items: Iterable[ShipItem], week: str, skipped_weeks: Collection[str] = ()) -> tuple[int, bool]:
    """Weeks in a row with a full cycle up to `week`, and whether `week` itself is full.

    While `week` is not full the streak ends with the week before (it may still be completed).
    """
    full_weeks = {item.week for item in items if item.is_measured}
    if not full_weeks:
        return 0, False
    earliest = min(full_weeks)
    week_complete = week in full_weeks
    count = 0
    current = week if week_complete else shift_week(week, -1)
    while current >= earliest:
        if current in full_weeks:
            count += 1
        elif current not in skipped_weeks:
            break
        current = shift_week(current, -1)
    return count, week_complete


def _findings(
    shipped: list[ShipItem],
    measured: list[ShipItem],
    median_days: float | None,
    effort_recent: dict[Stage, int],
    without_next_step: list[ShipItem],
) -> list[Finding]:
    findings = []
    if not shipped:
        findings.append(Finding(FindingCode.EMPTY_WEEK))
    elif not measured:
        findings.append(Finding(FindingCode.NOTHING_MEASURED, len(shipped)))
    if without_next_step:
        findings.append(Finding(FindingCode.NO_NEXT_STEP, len(without_next_step)))
    total = sum(effort_recent.values())
    collection = effort_recent[Stage.COLLECTION]
    if total and effort_recent[Stage.FEEDBACK] == 0 and collection * 2 >= total:
        findings.append(Finding(FindingCode.COLLECTION_WITHOUT_FEEDBACK, collection))
    if median_days is not None and median_days > SLOW_MEASUREMENT_DAYS:
        findings.append(Finding(FindingCode.SLOW_MEASUREMENT, median_days))
    return findings


def build_digest(items: Iterable[ShipItem], week: str, *, skipped_weeks: Collection[str] = ()) -> Digest:
    """The digest for `week` from all of a channel's items (items after `week` are ignored)."""
    items = [item for item in items if item.week <= week]
    shipped = sorted((item for item in items if item.week == week), key=lambda item: item.shipped_at)
    measured = [item for item in shipped if item.is_measured]
    unmeasured = [item for item in shipped if not item.is_measured]
    median_days = _median_days(measured)
    trend_weeks = recent_weeks(week, TREND_WEEKS)
    effort_window = set(recent_weeks(week, EFFORT_WEEKS))
    effort_recent = _stage_counts(item for item in items if item.week in effort_window)
    without_next_step = sorted(
        (item for item in items if item.week >= trend_weeks[0] and item.is_measured and item.next_step is None),
        key=lambda item: (item.week, item.shipped_at),
    )
    count, week_complete = streak(items, week, skipped_weeks)
    return Digest(
        week=week,
        shipped=tuple(shipped),
        measured=tuple(measured),
        unmeasured=tuple(unmeasured),
        median_days_to_measure=median_days,
        streak=count,
        week_complete=week_complete,
        effort_this_week=_stage_counts(shipped),
        effort_recent=effort_recent,
        measured_without_next_step=tuple(without_next_step),
        findings=tuple(_findings(shipped, measured, median_days, effort_recent, without_next_step)),
        trend=tuple(week_point(items, w, skipped=w in skipped_weeks) for w in trend_weeks),
    )
