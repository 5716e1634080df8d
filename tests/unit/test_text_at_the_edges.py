"""Pure parts of the edge findings: text normalisation, escaping that survives a second pass."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.blocks.checkins import build_reminder, item_line
from bot.blocks.common import escape
from bot.blocks.interview import read_answer_modal
from bot.checkins.chart import describe as describe_chart
from bot.checkins.digest import WeekPoint
from bot.checkins.items import ShipItem
from bot.checkins.replies import parse_ship_reply
from bot.emulator.checks import block_errors
from bot.errors import InputError
from bot.interview.loop_map import build_loop_map
from bot.interview.replies import UnclearReply, parse_reply
from bot.interview.script import Script
from bot.listeners.checkins.forms import parse_number
from bot.listeners.normalise import clean_payload, clean_text
from bot.stages import Stage

SCRIPT = Script()


def test_clean_text_drops_nul_and_control_characters_but_keeps_lines_tabs_and_links() -> None:
    raw = "a\x00b\x07c\td\r\ne\rf\x1b\x7f <http://x.example|x.example> <@U123>"
    assert clean_text(raw) == "abc\td\ne\nf <http://x.example|x.example> <@U123>"


def test_clean_text_replaces_lone_surrogates() -> None:
    assert clean_text("a\ud800b") == "a\ufffdb"
    assert clean_text("emoji 😀 stays") == "emoji 😀 stays"


def test_clean_payload_cleans_every_string_in_place() -> None:
    body = {"event": {"text": "hi\x00", "blocks": [{"text": "x\x01"}]}, "n\x00": 3, "ok": True}
    inner = body["event"]
    assert clean_payload(body) is body
    assert body == {"event": {"text": "hi", "blocks": [{"text": "x"}]}, "n": 3, "ok": True}
    assert body["event"] is inner


@pytest.mark.parametrize("reply", ["1.5", "1,2,3", "2, 3", "1.5 - a note", "#1,#2"])
def test_a_single_choice_question_refuses_a_decimal_or_several_numbers(reply: str) -> None:
    with pytest.raises(UnclearReply, match="one choice"):
        parse_reply(SCRIPT.get("collection"), reply)


def test_a_single_choice_question_still_takes_a_number_with_a_note() -> None:
    assert parse_reply(SCRIPT.get("collection"), "2. 5 exports a week").value == "manual"


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e309", "infinity"])
def test_a_result_number_must_be_a_finite_number(text: str) -> None:
    with pytest.raises(InputError, match="write it like 3.5 or -2"):
        parse_number(text)


def test_a_result_number_accepts_ordinary_numbers() -> None:
    assert parse_number("3,5") == 3.5
    assert parse_number(" -2 ") == -2
    assert parse_number("") is None


def test_the_digest_chart_is_described_in_words() -> None:
    trend = [WeekPoint("2026-W09", 2, 1, 3.0), WeekPoint("2026-W10", 0, 0, None, skipped=True)]
    alt = describe_chart(trend, title="Shipped and measured, last 2 weeks")
    assert "2026-W09: 2 shipped, 1 measured" in alt and "2026-W10: skipped" in alt
    assert alt.startswith("Shipped and measured, last 2 weeks: bars of items shipped and measured")


def test_a_ship_item_with_a_link_as_slack_sends_it_keeps_its_fields_and_link() -> None:
    reply = parse_ship_reply("<http://x.example|x.example> | application | signups <https://m.example/a|dash>")
    assert reply.what == "<http://x.example|x.example>"
    assert reply.stage is Stage.APPLICATION
    assert reply.expected_metric == "signups <https://m.example/a|dash>"


def test_links_in_a_ship_item_are_shown_as_links_and_the_rest_escaped() -> None:
    item = ShipItem(
        id="1",
        week="2026-W10",
        what="<http://x.example|x.example> & <!channel>",
        owner="U1",
        stage=Stage.APPLICATION,
        expected_metric="signups <https://m.example/a|dash>",
        shipped_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    line = item_line(item)
    assert "<http://x.example|x.example> &amp; &lt;!channel&gt;" in line
    assert "expected to move: signups <https://m.example/a|dash>" in line


def test_a_note_typed_in_the_answer_modal_never_becomes_a_mention_in_the_loop_map() -> None:
    view = {
        "private_metadata": '{"i": 1, "q": "collection", "c": "C1"}',
        "state": {
            "values": {
                "interview_pick": {"interview_pick_value": {"selected_option": {"value": "continuous"}}},
                "interview_note_text": {"interview_note_value": {"value": "owner <@U999> & <!channel>"}},
            }
        },
    }
    _, _, _, picked, note = read_answer_modal(view)
    loop_map = build_loop_map({"collection": {"value": picked[0], "note": note, "user_id": "U1"}})
    entry = loop_map.stages[Stage.COLLECTION]
    assert not entry.owner_is_slack_user
    assert "<@U999>" not in escape(note) and "<!channel>" not in escape(note)
    assert escape(note) == "owner &lt;@U999&gt; &amp; &lt;!channel&gt;"


@pytest.mark.parametrize("count", [12, 40, 45])
def test_a_long_reminder_lists_every_item_or_says_how_many_more(count: int) -> None:
    items = [
        (
            number,
            ShipItem(
                id=str(number),
                week="2026-W10",
                what=f"item-{number:02d} " + "x" * 280,
                owner="U1",
                stage=Stage.APPLICATION,
                expected_metric="m" * 190,
                shipped_at=datetime(2026, 3, 3, tzinfo=UTC),
            ),
        )
        for number in range(1, count + 1)
    ]
    built = build_reminder("2026-W10", ["U1"], items)
    assert block_errors(built) == []
    assert all(len(block["text"]["text"]) <= 3000 for block in built if block["type"] == "section")
    text = json.dumps(built)
    shown = min(count, 40)
    assert all(f"item-{number:02d}" in text for number in range(1, shown + 1))
    assert ("and 5 more" in text) is (count == 45)
