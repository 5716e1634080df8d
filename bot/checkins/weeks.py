"""ISO week keys ("2026-W03"): the label that ties a week's ship, measure and digest prompts together."""

import re
from datetime import date, datetime, timedelta

from bot.errors import InputError

_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")


def week_key(day: date) -> str:
    """The ISO week key of a calendar date, e.g. 2027-01-01 -> "2026-W53"."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_key_of(moment: datetime) -> str:
    """The ISO week key of an aware moment, read on the wall clock of its own time zone."""
    if moment.tzinfo is None:
        raise ValueError("week_key_of needs a timezone-aware datetime")
    return week_key(moment.date())


def week_monday(key: str) -> date:
    """The Monday that starts the ISO week `key`."""
    match = _WEEK_KEY.match(key)
    if match is None:
        raise InputError(f"'{key}' is not a week: write it as YYYY-Www, for example 2026-W09.")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError as error:
        raise InputError(f"{year} has no ISO week {week}: pick a week between 01 and 52 (or 53).") from error


def shift_week(key: str, weeks: int) -> str:
    """The week `weeks` after `key` (negative: before)."""
    return week_key(week_monday(key) + timedelta(weeks=weeks))


def recent_weeks(last: str, count: int) -> list[str]:
    """`count` consecutive week keys ending with `last`, oldest first."""
    return [shift_week(last, offset) for offset in range(1 - count, 1)]


def week_days(key: str) -> tuple[date, date]:
    """The first (Monday) and last (Sunday) day of the week `key`."""
    monday = week_monday(key)
    return monday, monday + timedelta(days=6)


def week_span(key: str) -> str:
    """The days of the week `key` for people: "Mar 2 – Mar 8"."""
    first, last = week_days(key)
    return f"{first:%b} {first.day} – {last:%b} {last.day}"


def week_label(key: str) -> str:
    """The week `key` for people: "week 10 (Mar 2 – Mar 8)"."""
    return f"week {int(key[-2:])} ({week_span(key)})"
