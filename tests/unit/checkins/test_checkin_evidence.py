from datetime import UTC, datetime

from bot.checkins.evidence import NOTE_PREFIX, loop_map_evidence
from bot.checkins.items import NextStep, Result, ShipItem, record_result
from bot.stages import Stage


def item(item_id: str, week: str, shipped: datetime, measured: datetime | None, step: NextStep | None) -> ShipItem:
    base = ShipItem(item_id, week, "change", "U1", Stage.FEEDBACK, "metric", shipped)
    if measured is None:
        return base
    return record_result(base, Result.MOVED, at=measured, next_step=step)


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def test_nothing_measured_changes_nothing() -> None:
    assert loop_map_evidence([item("a", "2026-W10", at(3), None, None)], "2026-W10", {}) == {}


def test_measurements_set_the_time_to_learn_and_close_the_loop_by_hand() -> None:
    items = [item("a", "2026-W10", at(3), at(5), None)]
    changes = loop_map_evidence(items, "2026-W10", {"loop_closes": {"value": "no"}, "insight_path": "deck"})
    assert changes["live_to_learn"]["value"] == 2.0
    assert changes["live_to_learn"]["note"] == f"{NOTE_PREFIX}: median of 1 measured change, last 12 weeks"
    assert changes["live_to_learn"]["user_id"] is None
    assert changes["loop_closes"]["value"] == "manual"
    assert "insight_path" not in changes  # a single measured change is too little to judge


def test_decided_next_steps_raise_how_findings_reach_the_product() -> None:
    items = [
        item("a", "2026-W09", at(2), at(4), NextStep.SCALE),
        item("b", "2026-W10", at(3), at(6), None),
    ]
    changes = loop_map_evidence(items, "2026-W10", {"insight_path": {"value": "nothing"}})
    assert changes["insight_path"]["value"] == "ticket"
    assert changes["live_to_learn"]["value"] == 2.5


def test_evidence_never_lowers_better_answers_or_repeats_itself() -> None:
    items = [item("a", "2026-W10", at(3), at(5), NextStep.STOP), item("b", "2026-W10", at(3), at(5), NextStep.STOP)]
    answers = {
        "live_to_learn": {"value": 2.0},
        "loop_closes": {"value": "auto"},
        "insight_path": {"value": "automated"},
    }
    assert loop_map_evidence(items, "2026-W10", answers) == {}


def test_old_measurements_fall_out_of_the_window() -> None:
    items = [item("a", "2025-W40", datetime(2025, 9, 30, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC), None)]
    assert loop_map_evidence(items, "2026-W10", {}) == {}
