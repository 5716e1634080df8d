from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.checkins.schedule import (
    LATE_AFTER,
    Disposition,
    Prompt,
    Schedule,
    Skip,
    Slot,
    Weekday,
    due_prompts,
    local_instant,
    next_occurrence,
    occurrences,
    skip_week,
)
from bot.errors import InputError

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold)


def sent(passes: list) -> list:
    return [d for batch in passes for d in batch if d.disposition is Disposition.SEND]


def walk(schedule: Schedule, start: datetime, end: datetime, step: timedelta) -> list[list]:
    """Run a pass every `step` from `start` to `end`, each looking back to the previous one."""
    batches, since, now = [], start, start + step
    while now <= end:
        batches.append(due_prompts(schedule, since=since, now=now))
        since, now = now, now + step
    return batches


# Time zones and daylight saving


def test_defaults_are_ship_tuesday_measure_thursday_digest_friday() -> None:
    schedule = Schedule(timezone=BERLIN)
    found = occurrences(schedule, local(BERLIN, 2026, 3, 2), local(BERLIN, 2026, 3, 9))
    assert [(o.prompt, o.scheduled_at) for o in found] == [
        (Prompt.SHIP, local(BERLIN, 2026, 3, 3, 10)),
        (Prompt.MEASURE, local(BERLIN, 2026, 3, 5, 10)),
        (Prompt.REMINDER, local(BERLIN, 2026, 3, 5, 16)),
        (Prompt.DIGEST, local(BERLIN, 2026, 3, 6, 15)),
    ]
    assert {o.week for o in found} == {"2026-W10"}
    assert found[0].scheduled_at == utc(2026, 3, 3, 9)  # CET is UTC+1


@pytest.mark.parametrize(
    ("zone", "start", "end"),
    [
        (NEW_YORK, date(2026, 2, 23), date(2026, 3, 23)),  # spring forward on Sunday 8 March
        (NEW_YORK, date(2026, 10, 19), date(2026, 11, 16)),  # fall back on Sunday 1 November
        (BERLIN, date(2026, 3, 16), date(2026, 4, 13)),  # spring forward on Sunday 29 March
        (BERLIN, date(2026, 10, 12), date(2026, 11, 9)),  # fall back on Sunday 25 October
    ],
)
def test_each_prompt_fires_once_a_week_at_local_time_across_dst(zone: str, start: date, end: date) -> None:
    schedule = Schedule(timezone=zone)
    begin = datetime.combine(start, time(0), ZoneInfo(zone))
    finish = datetime.combine(end, time(0), ZoneInfo(zone))

    fired = sent(walk(schedule, begin, finish, timedelta(minutes=10)))

    assert Counter((d.occurrence.week, d.occurrence.prompt) for d in fired) == Counter(
        {(week, prompt): 1 for week in {d.occurrence.week for d in fired} for prompt in Prompt}
    )
    assert len(fired) == 4 * 4  # four weeks, four prompts each
    for due in fired:
        wall = due.occurrence.scheduled_at.astimezone(ZoneInfo(zone))
        assert (wall.weekday(), wall.time()) == (
            schedule.slot(due.occurrence.prompt).weekday,
            schedule.slot(due.occurrence.prompt).at,
        )
        assert not due.is_late


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        (NEW_YORK, date(2026, 3, 8), utc(2026, 3, 8, 7)),  # 02:30 does not exist: 03:00 EDT
        (BERLIN, date(2026, 3, 29), utc(2026, 3, 29, 1)),  # 02:30 does not exist: 03:00 CEST
        (NEW_YORK, date(2026, 3, 15), utc(2026, 3, 15, 6, 30)),  # an ordinary Sunday after the change
    ],
)
def test_a_time_in_the_spring_forward_gap_fires_once_at_the_next_valid_instant(
    zone: str, day: date, expected: datetime
) -> None:
    schedule = Schedule(timezone=zone, digest=Slot(Weekday.SUNDAY, time(2, 30)))
    week_start = datetime.combine(day - timedelta(days=6), time(0), ZoneInfo(zone))

    fired = sent(walk(schedule, week_start, week_start + timedelta(days=7), timedelta(minutes=5)))
    digests = [d for d in fired if d.occurrence.prompt is Prompt.DIGEST]

    assert [d.occurrence.scheduled_at for d in digests] == [expected]
    assert digests[0].occurrence.local_day == day


@pytest.mark.parametrize(
    ("zone", "day", "first"),
    [
        (NEW_YORK, date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),  # 01:30 EDT, not 01:30 EST an hour later
        (BERLIN, date(2026, 10, 25), utc(2026, 10, 25, 0, 30)),  # 02:30 CEST, not 02:30 CET
    ],
)
def test_an_ambiguous_fall_back_time_fires_once_at_its_first_occurrence(zone: str, day: date, first: datetime) -> None:
    at = time(1, 30) if zone == NEW_YORK else time(2, 30)
    schedule = Schedule(timezone=zone, digest=Slot(Weekday.SUNDAY, at))
    week_start = datetime.combine(day - timedelta(days=6), time(0), ZoneInfo(zone))

    fired = sent(walk(schedule, week_start, week_start + timedelta(days=7), timedelta(minutes=5)))

    assert [d.occurrence.scheduled_at for d in fired if d.occurrence.prompt is Prompt.DIGEST] == [first]


def test_a_day_that_does_not_exist_fires_at_the_start_of_the_next() -> None:
    # Samoa skipped Friday 30 December 2011 when it crossed the date line.
    instant = local_instant(date(2011, 12, 30), time(15), ZoneInfo("Pacific/Apia"))
    assert instant == utc(2011, 12, 30, 10)
    assert instant.astimezone(ZoneInfo("Pacific/Apia")) == local("Pacific/Apia", 2011, 12, 31)


def test_week_key_comes_from_the_local_day_not_utc() -> None:
    schedule = Schedule(timezone="Pacific/Auckland", ship=Slot(Weekday.MONDAY, time(8)))
    (ship,) = [o for o in occurrences(schedule, utc(2024, 12, 28), utc(2025, 1, 1)) if o.prompt is Prompt.SHIP]
    assert ship.scheduled_at == utc(2024, 12, 29, 19)  # still Sunday in UTC
    assert ship.week == "2025-W01"
    assert ship.key("T1", "C1") == "T1/C1/2025-W01/ship"


# Catch-up after downtime


def test_a_missed_ship_prompt_is_sent_late_on_wednesday_morning() -> None:
    schedule = Schedule(timezone=NEW_YORK)
    now = local(NEW_YORK, 2026, 3, 11, 8)  # Wednesday, after a Tuesday outage (across the DST change)

    (due,) = due_prompts(schedule, since=local(NEW_YORK, 2026, 3, 10, 9), now=now)

    assert due.occurrence.prompt is Prompt.SHIP
    assert due.disposition is Disposition.SEND
    assert due.is_late
    assert due.late_by == timedelta(hours=22)


def test_a_ship_prompt_expires_once_the_measure_prompt_is_due() -> None:
    schedule = Schedule(timezone=NEW_YORK)
    since = local(NEW_YORK, 2026, 3, 10, 9)

    before = due_prompts(schedule, since=since, now=local(NEW_YORK, 2026, 3, 12, 9, 59))
    at_measure = due_prompts(schedule, since=since, now=local(NEW_YORK, 2026, 3, 12, 10))

    assert [(d.occurrence.prompt, d.disposition) for d in before] == [(Prompt.SHIP, Disposition.SEND)]
    assert [(d.occurrence.prompt, d.disposition, d.is_late) for d in at_measure] == [
        (Prompt.SHIP, Disposition.EXPIRED, True),
        (Prompt.MEASURE, Disposition.SEND, False),
    ]


def test_a_late_measure_prompt_supersedes_its_reminder() -> None:
    schedule = Schedule(timezone=BERLIN)
    due = due_prompts(schedule, since=local(BERLIN, 2026, 3, 5, 9), now=local(BERLIN, 2026, 3, 5, 17))
    assert [(d.occurrence.prompt, d.disposition) for d in due] == [
        (Prompt.MEASURE, Disposition.SEND),
        (Prompt.REMINDER, Disposition.SUPERSEDED),
    ]


def test_a_missed_reminder_alone_is_still_sent_before_the_digest() -> None:
    schedule = Schedule(timezone=BERLIN)
    due = due_prompts(schedule, since=local(BERLIN, 2026, 3, 5, 11), now=local(BERLIN, 2026, 3, 6, 9))
    assert [(d.occurrence.prompt, d.disposition, d.is_late) for d in due] == [(Prompt.REMINDER, Disposition.SEND, True)]


@pytest.mark.parametrize(
    ("now", "disposition"),
    [
        (local(BERLIN, 2026, 3, 7, 9), Disposition.SEND),  # Saturday morning
        (local(BERLIN, 2026, 3, 8, 23, 59), Disposition.SEND),  # Sunday night
        (local(BERLIN, 2026, 3, 9, 0, 0), Disposition.EXPIRED),  # Monday: a new week has begun
    ],
)
def test_a_missed_digest_is_sent_until_the_end_of_its_weekend(now: datetime, disposition: Disposition) -> None:
    schedule = Schedule(timezone=BERLIN)
    due = due_prompts(schedule, since=local(BERLIN, 2026, 3, 6, 14), now=now)
    assert [(d.occurrence.prompt, d.disposition) for d in due] == [(Prompt.DIGEST, disposition)]


def test_without_a_measure_prompt_the_ship_prompt_waits_for_the_digest() -> None:
    schedule = Schedule(timezone=BERLIN, enabled=frozenset({Prompt.SHIP, Prompt.DIGEST}))
    due = due_prompts(schedule, since=local(BERLIN, 2026, 3, 3, 9), now=local(BERLIN, 2026, 3, 6, 14))
    assert [(d.occurrence.prompt, d.disposition) for d in due] == [(Prompt.SHIP, Disposition.SEND)]


def test_a_long_outage_only_looks_back_two_weeks() -> None:
    schedule = Schedule(timezone=BERLIN)
    now = local(BERLIN, 2026, 3, 4, 12)
    due = due_prompts(schedule, since=utc(2025, 1, 1), now=now)
    assert min(d.occurrence.scheduled_at for d in due) >= now - timedelta(days=14)
    assert {d.occurrence.week for d in due} == {"2026-W08", "2026-W09", "2026-W10"}
    assert [d.occurrence.prompt for d in due if d.disposition is Disposition.SEND] == [Prompt.SHIP]


def test_a_prompt_on_time_is_not_late() -> None:
    schedule = Schedule(timezone=BERLIN)
    ship_time = local(BERLIN, 2026, 3, 3, 10)
    (due,) = due_prompts(schedule, since=ship_time - timedelta(minutes=1), now=ship_time + LATE_AFTER / 2)
    assert not due.is_late


def test_nothing_is_due_before_check_ins_were_turned_on() -> None:
    schedule = Schedule(timezone=BERLIN)
    turned_on = local(BERLIN, 2026, 3, 4, 12)  # Wednesday: this week's ship prompt was never owed
    assert due_prompts(schedule, since=turned_on, now=turned_on + timedelta(hours=1)) == []


# Skips and who is asked


def test_a_channel_skip_week_records_every_prompt_as_skipped() -> None:
    schedule = Schedule(timezone=BERLIN, skips=(skip_week("2026-W10"),))
    due = due_prompts(schedule, since=local(BERLIN, 2026, 3, 2), now=local(BERLIN, 2026, 3, 8, 23))
    assert [d.disposition for d in due] == [Disposition.SKIPPED] * 4
    assert schedule.skips_week("2026-W10")
    assert not schedule.skips_week("2026-W11")


def test_next_occurrence_passes_over_skipped_weeks() -> None:
    schedule = Schedule(timezone=BERLIN, skips=(skip_week("2026-W10"), skip_week("2026-W11")))
    upcoming = next_occurrence(schedule, local(BERLIN, 2026, 3, 1))
    assert upcoming is not None
    assert (upcoming.prompt, upcoming.week) == (Prompt.SHIP, "2026-W12")


def test_next_occurrence_within_the_week_and_when_nothing_is_on() -> None:
    schedule = Schedule(timezone=NEW_YORK)
    upcoming = next_occurrence(schedule, local(NEW_YORK, 2026, 3, 10, 10))  # exactly at the ship prompt
    assert upcoming is not None
    assert (upcoming.prompt, upcoming.scheduled_at) == (Prompt.MEASURE, local(NEW_YORK, 2026, 3, 12, 10))
    assert next_occurrence(Schedule(enabled=frozenset()), utc(2026, 3, 1)) is None


def test_a_person_on_vacation_is_not_asked_but_the_channel_still_is() -> None:
    vacation = Skip(date(2026, 3, 2), date(2026, 3, 13), user_id="U2")
    schedule = Schedule(timezone=BERLIN, participants=("U1", "U2", "U3"), skips=(vacation,))

    due = due_prompts(schedule, since=local(BERLIN, 2026, 3, 2), now=local(BERLIN, 2026, 3, 3, 10))

    assert [d.disposition for d in due] == [Disposition.SEND]
    assert schedule.people_to_ask(date(2026, 3, 3)) == ["U1", "U3"]
    assert schedule.people_to_ask(date(2026, 3, 17)) == ["U1", "U2", "U3"]
    assert schedule.present(["U2", "U9"], date(2026, 3, 5)) == ["U9"]
    assert schedule.is_away("U2", date(2026, 3, 13))
    assert not schedule.is_away("U2", date(2026, 3, 14))


def test_a_channel_skip_makes_everyone_away() -> None:
    schedule = Schedule(participants=("U1",), skips=(skip_week("2026-W10"),))
    assert schedule.people_to_ask(date(2026, 3, 4)) == []


# Validation


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Europe/"])
def test_an_unknown_time_zone_is_an_input_error(name: str) -> None:
    with pytest.raises(InputError, match="IANA"):
        Schedule(timezone=name)


def test_prompts_must_follow_the_cycle_order() -> None:
    with pytest.raises(InputError, match="ship, then measure"):
        Schedule(measure=Slot(Weekday.MONDAY, time(9)))
    with pytest.raises(InputError):
        Schedule(reminder=Slot(Weekday.THURSDAY, time(10)))  # same time as the measure prompt


def test_slots_and_skips_are_validated() -> None:
    with pytest.raises(InputError):
        Slot(Weekday.TUESDAY, time(10, tzinfo=UTC))
    with pytest.raises(InputError):
        Skip(date(2026, 3, 9), date(2026, 3, 2))
    assert Slot(1, time(10)).weekday is Weekday.TUESDAY


def test_schedules_are_plain_comparable_data() -> None:
    assert Schedule(timezone=BERLIN) == Schedule(timezone=BERLIN)
    assert Schedule(timezone=BERLIN).zone == ZoneInfo(BERLIN)
    assert Schedule(enabled=frozenset({"ship"})).enabled == frozenset({Prompt.SHIP})
