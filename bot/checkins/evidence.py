"""What a channel's measured check-ins say about its loop map (pure: answers in, changed answers out).

Rules, applied when the Friday digest goes out and the channel has a loop map:

- Time from live to knowing (`live_to_learn`) becomes the median days from ship to measurement of the
  measured items of the last 12 weeks.
- Whether the loop closes (`loop_closes`): measured results in the last 4 weeks show the team closes it by
  hand at least, so "no" or no answer becomes "manual"; an "auto" answer is never lowered.
- How findings reach the product (`insight_path`): when at least two measured items of the last 12 weeks
  and at least half of them got a next step (iterate, scale, stop), "deck", "nothing" or no answer becomes
  "ticket" (results turn into decided work); better answers are never lowered.

Evidence only ever raises what the interview recorded from what the team actually did, never lowers it:
a quiet month says nothing about the loop the team described.
"""

import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from bot.checkins.digest import EFFORT_WEEKS, TREND_WEEKS
from bot.checkins.items import ShipItem
from bot.checkins.weeks import recent_weeks

NOTE_PREFIX = "From weekly check-ins"


def _value(record: Any) -> Any:
    if isinstance(record, Mapping):
        return None if record.get("skipped") else record.get("value")
    return record


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def _record(value: Any, note: str) -> dict[str, Any]:
    return {"value": value, "note": f"{NOTE_PREFIX}: {note}", "user_id": None, "skipped": False}


def loop_map_evidence(items: Iterable[ShipItem], week: str, answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The interview answers that the channel's check-ins up to `week` change (empty when none)."""
    trend = set(recent_weeks(week, TREND_WEEKS))
    recent = set(recent_weeks(week, EFFORT_WEEKS))
    measured = [item for item in items if item.week in trend and item.is_measured]
    if not measured:
        return {}
    changes: dict[str, dict[str, Any]] = {}

    days = [item.days_to_measure for item in measured if item.days_to_measure is not None]
    median = round(statistics.median(days), 2)
    if _value(answers.get("live_to_learn")) != median:
        changes["live_to_learn"] = _record(
            median, f"median of {len(days)} measured change{_plural(len(days))}, last {TREND_WEEKS} weeks"
        )

    measured_recently = sum(1 for item in measured if item.week in recent)
    if measured_recently and _value(answers.get("loop_closes")) in (None, "no"):
        changes["loop_closes"] = _record(
            "manual",
            f"{measured_recently} result{_plural(measured_recently)} measured by hand, last {EFFORT_WEEKS} weeks",
        )

    decided = sum(1 for item in measured if item.next_step is not None)
    if (
        len(measured) >= 2
        and decided * 2 >= len(measured)
        and _value(answers.get("insight_path")) in (None, "deck", "nothing")
    ):
        changes["insight_path"] = _record(
            "ticket", f"{decided} of {len(measured)} measured changes got a next step, last {TREND_WEEKS} weeks"
        )
    return changes
