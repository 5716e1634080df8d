from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.checkins.weeks import recent_weeks, shift_week, week_days, week_key, week_key_of, week_monday
from bot.errors import InputError


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2026, 12, 31), "2026-W53"),  # 2026 starts on a Thursday: a 53-week year
        (date(2027, 1, 1), "2026-W53"),
        (date(2027, 1, 3), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
        (date(2024, 12, 30), "2025-W01"),  # a Monday in December that opens the next ISO year
        (date(2021, 1, 3), "2020-W53"),
        (date(2026, 3, 3), "2026-W10"),
    ],
)
def test_week_key_follows_iso_weeks_across_year_ends(day: date, key: str) -> None:
    assert week_key(day) == key


def test_week_key_of_reads_the_local_wall_clock() -> None:
    moment = datetime(2024, 12, 29, 11, 30, tzinfo=UTC)  # a Sunday in UTC, already Monday in Auckland
    assert week_key_of(moment) == "2024-W52"
    assert week_key_of(moment.astimezone(ZoneInfo("Pacific/Auckland"))) == "2025-W01"


def test_week_key_of_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        week_key_of(datetime(2026, 1, 1))  # noqa: DTZ001


def test_week_arithmetic_crosses_year_ends() -> None:
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert shift_week("2025-W01", -1) == "2024-W52"
    assert recent_weeks("2027-W02", 4) == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    assert week_monday("2026-W53") == date(2026, 12, 28)
    assert week_days("2025-W01") == (date(2024, 12, 30), date(2025, 1, 5))


@pytest.mark.parametrize("bad", ["2026-W54", "2025-W53", "2026-13", "W10", ""])
def test_bad_week_keys_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError):
        week_monday(bad)
