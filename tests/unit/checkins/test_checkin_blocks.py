import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.blocks import checkins as blocks
from bot.checkins.digest import Finding, FindingCode, build_digest
from bot.checkins.items import NextStep, Result, ShipItem, record_result
from bot.checkins.schedule import Prompt, Schedule, occurrences
from bot.emulator.checks import block_errors, view_errors
from bot.stages import Stage

SCHEDULE = Schedule(timezone="Europe/Berlin", participants=("U1", "U2"))
WEEK = "2026-W10"


def occurrence(prompt: Prompt):
    found = occurrences(SCHEDULE, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))
    return next(o for o in found if o.prompt is prompt)


def item(item_id: str, what: str = "Retry emails", **changes: object) -> ShipItem:
    base = ShipItem(
        id=item_id,
        week=WEEK,
        what=what,
        owner="U1",
        stage=Stage.APPLICATION,
        expected_metric="reactivation <rate>",
        shipped_at=datetime(2026, 3, 3, 9, tzinfo=UTC),
    )
    return record_result(base, **changes) if changes else base


def all_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_ship_prompt_is_valid_and_says_when_it_is_late() -> None:
    on_time = blocks.build_ship_prompt(occurrence(Prompt.SHIP), SCHEDULE, asked=["U1", "U2"])
    late = blocks.build_ship_prompt(occurrence(Prompt.SHIP), SCHEDULE, asked=[], late_by=timedelta(hours=22, minutes=5))

    assert block_errors(on_time) == []
    assert block_errors(late) == []
    assert "<@U1>, <@U2>" in all_text(on_time)
    assert "late" not in all_text(on_time).lower()
    assert "Sent late: this was due Tuesday at 10:00 CET, 22 hours ago" in all_text(late)
    assert blocks.ship_prompt_text(WEEK) == "What ships this week? Week 10, Mar 2 – Mar 8"


def test_user_text_is_escaped_everywhere() -> None:
    hostile = item("i1", what="<!channel> ping @here *bold*")
    rendered = all_text(
        [
            blocks.build_item_added(hostile),
            blocks.build_measure_prompt(occurrence(Prompt.MEASURE), SCHEDULE, [hostile]),
            blocks.build_reminder(WEEK, ["U1"], [(1, hostile)]),
        ]
    )
    assert "<!channel>" not in rendered
    assert "&lt;!channel&gt;" in rendered
    assert "@\u200dhere" in rendered
    assert "&lt;rate&gt;" in rendered


def test_measure_prompt_lists_items_with_results_and_buttons() -> None:
    items = [
        item("i1"),
        item(
            "i2",
            what="Thumbs on answers",
            result=Result.MOVED,
            at=datetime(2026, 3, 5, tzinfo=UTC),
            number=3.5,
            learned="People rate short answers",
            next_step=NextStep.SCALE,
        ),
    ]
    built = blocks.build_measure_prompt(occurrence(Prompt.MEASURE), SCHEDULE, items, asked=["U2"])

    assert block_errors(built) == []
    text = all_text(built)
    assert "*1. Retry emails*" in text
    assert "📈 Moved · +3.5 · next: Scale" in text
    buttons = [b["accessory"] for b in built if b.get("accessory")]
    assert [b["text"]["text"] for b in buttons] == ["Report result", "Edit result"]
    assert [json.loads(b["value"]) for b in buttons] == [{"item": "i1"}, {"item": "i2"}]


def test_measure_prompt_without_items_invites_a_late_entry() -> None:
    built = blocks.build_measure_prompt(occurrence(Prompt.MEASURE), SCHEDULE, [])
    assert block_errors(built) == []
    assert "Nothing was logged as shipped this week" in all_text(built)
    assert blocks.measure_prompt_text(WEEK, 0).startswith("Did it work? 0 shipped items")


def test_reminder_names_owners_and_items() -> None:
    built = blocks.build_reminder(WEEK, ["U1", "U3"], [(2, item("i2")), (3, item("i3"))])
    assert block_errors(built) == []
    assert "<@U1>, <@U3>: 2 changes" in all_text(built)
    assert "2. Retry emails" in all_text(built)
    assert blocks.reminder_text(1) == "1 shipped item still without a measured result"


@pytest.mark.parametrize("code", list(FindingCode))
def test_every_finding_has_words(code: FindingCode) -> None:
    text = blocks.finding_text(Finding(code, 2))
    assert text.startswith("*")
    assert "{" not in text


def test_digest_blocks_show_the_figures() -> None:
    items = [
        item("i1", result=Result.MOVED, at=datetime(2026, 3, 5, 9, tzinfo=UTC), next_step=NextStep.SCALE),
        item("i2", result=Result.NO_CHANGE, at=datetime(2026, 3, 6, 9, tzinfo=UTC)),
        item("i3"),
    ]
    digest = build_digest(items, WEEK)
    built = blocks.build_digest(digest)

    assert block_errors(built) == []
    text = all_text(built)
    assert "2 of 3 (67%)" in text
    assert "2.5 days" in text
    assert "1 week in a row" in text
    assert "Application 3" in text
    assert "Waiting for a next step" in text
    assert blocks.digest_text(digest) == "Digest for week 10 (Mar 2 – Mar 8): 3 shipped, 2 measured"


def test_an_empty_digest_says_nothing_shipped() -> None:
    digest = build_digest([], WEEK)
    built = blocks.build_digest(digest, late_by=timedelta(days=1), due=occurrence(Prompt.DIGEST).scheduled_at)
    assert block_errors(built) == []
    assert "Nothing shipped this week" in all_text(built)
    assert "Sent late" in all_text(built)
    assert blocks.digest_text(digest).endswith("nothing shipped")


def test_modals_are_valid_views() -> None:
    reported = item(
        "i1",
        result=Result.WORSE,
        at=datetime(2026, 3, 5, tzinfo=UTC),
        number=-2.0,
        learned="too noisy",
        next_step=NextStep.STOP,
    )
    views = [
        blocks.build_item_modal(channel_id="C1", week=WEEK, owner="U1"),
        blocks.build_item_modal(channel_id="C1", week=WEEK, owner="U1", item=reported),
        blocks.build_result_modal(item("i1")),
        blocks.build_result_modal(reported),
        blocks.build_settings_modal(channel_id="C1", schedule=SCHEDULE),
        blocks.build_settings_modal(channel_id="C1", schedule=Schedule(enabled=frozenset())),
    ]
    for view in views:
        assert view_errors(view, expected_type="modal") == []
    assert json.loads(views[1]["private_metadata"]) == {"channel": "C1", "week": WEEK, "item": "i1"}
    assert views[3]["blocks"][2]["element"]["initial_value"] == "-2"


def test_status_blocks() -> None:
    off = blocks.build_status(channel_id="C1", state="off", schedule=None, next_due=None, digest=None)
    on = blocks.build_status(
        channel_id="C1",
        state="on",
        schedule=SCHEDULE,
        next_due=occurrence(Prompt.MEASURE),
        digest=build_digest([item("i1")], WEEK),
        away=[("U2", "2026-03-13"), (None, "2026-03-08")],
    )
    paused = blocks.build_status(
        channel_id="C1",
        state="paused",
        schedule=SCHEDULE,
        next_due=None,
        digest=None,
        paused_reason="the channel was archived",
    )
    for built in (off, on, paused):
        assert block_errors(built) == []
    assert "checkins on" in all_text(off)
    assert "Next: measure prompt on Thu Mar 5, 10:00." in all_text(on)
    assert "Ship prompt Tue 10:00 · Measure prompt Thu 10:00" in all_text(on)
    assert "<@U2> skips check-ins until 2026-03-13" in all_text(on)
    assert "Paused because the channel was archived" in all_text(paused)


def test_home_section_lists_each_channel_or_explains_how_to_start() -> None:
    empty = blocks.build_home_section([])
    listed = blocks.build_home_section(
        [
            ("C1", "on", occurrence(Prompt.MEASURE), build_digest([item("i1")], WEEK), SCHEDULE),
            ("C2", "paused", None, None, None),
        ]
    )
    for built in (empty, listed):
        assert block_errors(built) == []
    assert "`/flywheel checkins on`" in all_text(empty)
    assert "<#C1> · *on* · next: measure prompt Thu Mar 5, 10:00" in all_text(listed)
    assert "This week: 1 shipped, 0 measured · streak 0" in all_text(listed)
    assert "<#C2> · *paused*" in all_text(listed)
