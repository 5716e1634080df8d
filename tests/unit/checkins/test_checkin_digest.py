from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.checkins.digest import Finding, FindingCode, WeekPoint, build_digest, streak
from bot.checkins.items import NextStep, Result, ShipItem, record_result, unmeasured_owners
from bot.errors import InputError
from bot.stages import Stage


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def item(item_id: str, week: str, stage: Stage, shipped: datetime, owner: str = "U1", **result: object) -> ShipItem:
    return ShipItem(
        id=item_id,
        week=week,
        what=f"change {item_id}",
        owner=owner,
        stage=stage,
        expected_metric="activation rate",
        shipped_at=shipped,
        **result,
    )


def measured(base: ShipItem, result: Result, when: datetime, next_step: NextStep | None) -> ShipItem:
    return record_result(base, result, at=when, number=1.5, learned="  noted  ", next_step=next_step)


@pytest.fixture
def history() -> list[ShipItem]:
    """Four weeks of one channel: W07 and W08 full, W09 skipped, W10 the digest week."""
    return [
        measured(item("a", "2026-W07", Stage.COLLECTION, at(2, 10)), Result.MOVED, at(2, 12), NextStep.SCALE),
        measured(item("b", "2026-W08", Stage.COLLECTION, at(2, 17)), Result.NO_CHANGE, at(2, 20), None),
        item("c", "2026-W08", Stage.STORAGE, at(2, 17, 11), owner="U2"),
        measured(item("d", "2026-W10", Stage.COLLECTION, at(3, 3)), Result.MOVED, at(3, 5), NextStep.ITERATE),
        measured(item("e", "2026-W10", Stage.ANALYSIS, at(3, 3, 12)), Result.WORSE, at(3, 6, 12), NextStep.STOP),
        record_result(item("f", "2026-W10", Stage.COLLECTION, at(3, 4), owner="U3"), Result.NOT_YET, at=at(3, 5)),
        item("g", "2026-W10", Stage.COLLECTION, at(3, 4, 15), owner="U3"),
        item("later", "2026-W11", Stage.FEEDBACK, at(3, 10)),
    ]


def test_digest_figures_for_a_busy_week(history: list[ShipItem]) -> None:
    digest = build_digest(history, "2026-W10", skipped_weeks={"2026-W09"})

    assert [i.id for i in digest.shipped] == ["d", "e", "f", "g"]
    assert [i.id for i in digest.measured] == ["d", "e"]
    assert [i.id for i in digest.unmeasured] == ["f", "g"]
    assert digest.share_measured == 0.5
    assert digest.median_days_to_measure == 2.5  # 2.0 and 3.0 days
    assert (digest.streak, digest.week_complete) == (3, True)  # W10, W08, W07; the skipped W09 is neutral
    assert digest.effort_this_week == {
        Stage.COLLECTION: 3,
        Stage.STORAGE: 0,
        Stage.ANALYSIS: 1,
        Stage.APPLICATION: 0,
        Stage.FEEDBACK: 0,
    }
    assert digest.effort_recent[Stage.COLLECTION] == 5
    assert sum(digest.effort_recent.values()) == 7  # W07..W10; the W11 item is not counted
    assert [i.id for i in digest.measured_without_next_step] == ["b"]
    assert digest.findings == (
        Finding(FindingCode.NO_NEXT_STEP, 1),
        Finding(FindingCode.COLLECTION_WITHOUT_FEEDBACK, 5),
    )
    assert not digest.is_empty


def test_the_trend_covers_twelve_weeks_oldest_first(history: list[ShipItem]) -> None:
    trend = build_digest(history, "2026-W10", skipped_weeks={"2026-W09"}).trend

    assert [p.week for p in trend][:2] == ["2025-W51", "2025-W52"]
    assert len(trend) == 12
    assert trend[-4:] == (
        WeekPoint("2026-W07", 1, 1, 2.0),
        WeekPoint("2026-W08", 2, 1, 3.0),
        WeekPoint("2026-W09", 0, 0, None, skipped=True),
        WeekPoint("2026-W10", 4, 2, 2.5),
    )
    assert [p.share_measured for p in trend[-4:]] == [1.0, 0.5, None, 0.5]
    assert all(p == WeekPoint(p.week, 0, 0, None) for p in trend[:-4])


def test_a_late_result_attaches_to_its_week_and_updates_the_digest(history: list[ShipItem]) -> None:
    late = [
        record_result(i, Result.MOVED, at=at(3, 10), next_step=NextStep.SCALE) if i.id == "f" else i for i in history
    ]
    digest = build_digest(late, "2026-W10", skipped_weeks={"2026-W09"})

    assert [i.id for i in digest.measured] == ["d", "e", "f"]
    assert digest.share_measured == 0.75
    assert digest.median_days_to_measure == 3.0  # 2.0, 3.0 and 6.0 days
    assert digest.trend[-1] == WeekPoint("2026-W10", 4, 3, 3.0)


def test_an_edit_updates_the_figures_but_not_the_measurement_date(history: list[ShipItem]) -> None:
    edited = [
        record_result(i, Result.NO_CHANGE, at=at(3, 12), number=0.0, next_step=NextStep.ITERATE) if i.id == "b" else i
        for i in history
    ]
    b = next(i for i in edited if i.id == "b")
    assert (b.result, b.number, b.measured_at) == (Result.NO_CHANGE, 0.0, at(2, 20))

    digest = build_digest(edited, "2026-W10", skipped_weeks={"2026-W09"})
    assert digest.measured_without_next_step == ()
    assert Finding(FindingCode.NO_NEXT_STEP, 1) not in digest.findings


def test_an_empty_week_is_a_finding_and_keeps_last_weeks_streak(history: list[ShipItem]) -> None:
    without_later = [i for i in history if i.id != "later"]
    digest = build_digest(without_later, "2026-W11", skipped_weeks={"2026-W09"})

    assert digest.is_empty
    assert digest.share_measured is None
    assert digest.median_days_to_measure is None
    assert digest.findings[0] == Finding(FindingCode.EMPTY_WEEK)
    assert (digest.streak, digest.week_complete) == (3, False)
    assert digest.trend[-1] == WeekPoint("2026-W11", 0, 0, None)


def test_a_channel_with_no_items_at_all() -> None:
    digest = build_digest([], "2027-W01")
    assert digest.findings == (Finding(FindingCode.EMPTY_WEEK),)
    assert (digest.streak, digest.week_complete) == (0, False)
    assert [p.week for p in digest.trend][-3:] == ["2026-W52", "2026-W53", "2027-W01"]
    assert all(p.shipped == 0 for p in digest.trend)


def test_a_week_with_nothing_measured_says_so() -> None:
    items = [item("x", "2026-W10", Stage.FEEDBACK, at(3, 3)), item("y", "2026-W10", Stage.APPLICATION, at(3, 3))]
    digest = build_digest(items, "2026-W10")
    assert digest.findings == (Finding(FindingCode.NOTHING_MEASURED, 2),)
    assert digest.share_measured == 0.0


def test_slow_measurement_is_flagged_beyond_a_week() -> None:
    items = [
        measured(item("x", "2026-W10", Stage.FEEDBACK, at(3, 3)), Result.MOVED, at(3, 13), NextStep.SCALE),
        measured(item("y", "2026-W10", Stage.FEEDBACK, at(3, 3)), Result.MOVED, at(3, 15), NextStep.SCALE),
    ]
    digest = build_digest(items, "2026-W10")
    assert digest.median_days_to_measure == 11.0
    assert digest.findings == (Finding(FindingCode.SLOW_MEASUREMENT, 11.0),)


def test_collection_warning_needs_half_collection_and_no_feedback() -> None:
    base = [item("x", "2026-W10", Stage.COLLECTION, at(3, 3)), item("y", "2026-W10", Stage.ANALYSIS, at(3, 3))]
    warned = build_digest(base, "2026-W10").findings
    with_feedback = build_digest([*base, item("z", "2026-W10", Stage.FEEDBACK, at(3, 3))], "2026-W10").findings
    mostly_analysis = build_digest([*base, item("z", "2026-W09", Stage.ANALYSIS, at(2, 24))], "2026-W10").findings

    assert Finding(FindingCode.COLLECTION_WITHOUT_FEEDBACK, 1) in warned
    assert all(f.code is not FindingCode.COLLECTION_WITHOUT_FEEDBACK for f in with_feedback)
    assert all(f.code is not FindingCode.COLLECTION_WITHOUT_FEEDBACK for f in mostly_analysis)


def test_streak_breaks_on_a_week_without_a_measured_item() -> None:
    def full(week: str) -> ShipItem:
        return measured(item(week, week, Stage.FEEDBACK, at(1, 6)), Result.MOVED, at(1, 8), NextStep.SCALE)

    items = [full("2026-W01"), full("2026-W02"), item("open", "2026-W03", Stage.FEEDBACK, at(1, 13))]
    items += [full("2026-W04"), full("2026-W05")]
    assert streak(items, "2026-W05") == (2, True)
    assert streak(items, "2026-W06") == (2, False)
    assert streak(items, "2026-W05", skipped_weeks={"2026-W03"}) == (4, True)  # a skipped week is neutral
    assert streak(items, "2026-W08") == (0, False)


def test_record_result_rules() -> None:
    shipped = item("x", "2026-W10", Stage.FEEDBACK, at(3, 3))
    done = record_result(shipped, Result.MOVED, at=at(3, 5), number=4.0, next_step=NextStep.SCALE)
    assert (done.measured_at, done.days_to_measure, done.is_measured) == (at(3, 5), 2.0, True)

    undone = record_result(done, Result.NOT_YET, at=at(3, 6), next_step=NextStep.SCALE)
    assert (undone.measured_at, undone.next_step, undone.is_measured) == (None, None, False)
    assert undone.days_to_measure is None

    with pytest.raises(InputError, match="before the change shipped"):
        record_result(shipped, Result.MOVED, at=at(3, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        record_result(shipped, Result.MOVED, at=datetime(2026, 3, 5))


def test_owners_to_nudge_are_the_owners_of_unmeasured_items(history: list[ShipItem]) -> None:
    assert unmeasured_owners(history, "2026-W10") == ["U3"]
    assert unmeasured_owners(history, "2026-W08") == ["U2"]
    assert unmeasured_owners([replace(history[3], result=None, measured_at=None)], "2026-W10") == ["U1"]
