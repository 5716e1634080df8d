"""Ship items: what a team shipped in a week, and the measured result of that exact change."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.errors import InputError
from bot.stages import Stage


class Result(StrEnum):
    """What the expected metric did after the change shipped."""

    MOVED = "moved"
    NO_CHANGE = "no_change"
    WORSE = "worse"
    NOT_YET = "not_yet"

    @property
    def is_measured(self) -> bool:
        """Whether this result comes from an actual measurement."""
        return self is not Result.NOT_YET


class NextStep(StrEnum):
    """What the team does with a measured change."""

    ITERATE = "iterate"
    SCALE = "scale"
    STOP = "stop"


@dataclass(frozen=True)
class ShipItem:
    """One change a team shipped in a week, and (once known) its measured result.

    `week` is the ISO week of the ship prompt the item answers, so a late answer still belongs to its week.
    """

    id: str
    week: str
    what: str
    owner: str
    stage: Stage
    expected_metric: str
    shipped_at: datetime
    result: Result | None = None
    number: float | None = None
    learned: str = ""
    next_step: NextStep | None = None
    measured_at: datetime | None = None

    @property
    def is_measured(self) -> bool:
        """Whether the item has a measured result (moved, no change or worse)."""
        return self.result is not None and self.result.is_measured

    @property
    def days_to_measure(self) -> float | None:
        """Days from shipping to the first measurement, or None while unmeasured."""
        if not self.is_measured or self.measured_at is None:
            return None
        return (self.measured_at - self.shipped_at).total_seconds() / 86400


def record_result(
    item: ShipItem,
    result: Result,
    *,
    at: datetime,
    number: float | None = None,
    learned: str = "",
    next_step: NextStep | None = None,
) -> ShipItem:
    """The item with a (new or edited) result.

    An edit keeps the first measurement time, so correcting a number does not change how fast the team
    measured; going back to "not measured yet" clears it.
    """
    if at.tzinfo is None:
        raise ValueError("record_result needs a timezone-aware datetime")
    if result.is_measured:
        measured_at = item.measured_at if item.is_measured and item.measured_at is not None else at
        if measured_at < item.shipped_at:
            raise InputError("A result cannot be measured before the change shipped: check the dates.")
    else:
        measured_at = None
        next_step = None
    return replace(
        item,
        result=result,
        number=number,
        learned=learned.strip(),
        next_step=next_step,
        measured_at=measured_at,
    )


def unmeasured_owners(items: Iterable[ShipItem], week: str) -> list[str]:
    """Owners of the week's items that still lack a measured result, each once, in first-seen order."""
    owners: dict[str, None] = {}
    for item in items:
        if item.week == week and not item.is_measured:
            owners.setdefault(item.owner)
    return list(owners)
