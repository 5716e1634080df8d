"""Interview and loop-map Block Kit: valid as Slack would check it, user text escaped, ids round-trip."""

from __future__ import annotations

import json

import pytest

from bot.blocks import interview as blocks
from bot.blocks.loop_map import build_home_section, build_map_summary
from bot.emulator.checks import block_errors, view_errors
from bot.interview.diagnosis import Citation, diagnose
from bot.interview.engine import AnswerRecord
from bot.interview.script import QUESTIONS, Script

SCRIPT = Script()
HOSTILE = AnswerRecord(value="manual", note="<!channel> @here *bold* <https://x|y>", user_id="U1")
ANSWERS = {
    "data_status": "none",
    "cold_start_plan": ["synthetic"],
    "collection": {"value": "manual", "note": "owner <@U42>"},
    "storage_shared": "silos",
    "insight_path": "deck",
    "loop_closes": "no",
    "deletion_test": "individual",
    "risks": ["wrong_metric"],
    "idea_to_live": 30.0,
    "live_to_learn": 14.0,
}


def text_of(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_every_question_renders_valid_blocks_and_modal(question):
    text, built = blocks.build_question(question, interview_id=7, position=2, total=14, existing=None)
    assert block_errors(built) == []
    assert text.startswith("Question 2 of 14")
    with_existing = blocks.build_question(
        question,
        interview_id=7,
        position=1,
        total=14,
        existing=AnswerRecord(value=None, skipped=True),
        has_previous=True,
    )[1]
    assert block_errors(with_existing) == []
    assert view_errors(blocks.build_answer_modal(question, interview_id=7, channel_id="C1")) == []


def test_question_buttons_carry_interview_question_and_value():
    _, built = blocks.build_question(SCRIPT.get("collection"), interview_id=7, position=3, total=14)
    choice_row = next(block for block in built if block.get("block_id") == "interview_choices")
    values = [blocks.read_button_value(element["value"]) for element in choice_row["elements"]]
    assert values == [(7, "collection", v) for v in ("none", "manual", "scheduled", "continuous")]
    assert [element["action_id"] for element in choice_row["elements"]] == [
        f"interview_choice_{i}" for i in range(1, 5)
    ]
    controls = next(block for block in built if block.get("block_id") == "interview_controls")
    assert {element["action_id"] for element in controls["elements"]} == {
        "interview_note", "interview_why", "interview_back", "interview_skip",
    }  # fmt: skip


def test_keep_buttons_appear_only_with_an_answer_to_keep():
    _, built = blocks.build_question(
        SCRIPT.get("collection"), interview_id=7, position=1, total=14, existing=HOSTILE, has_previous=True
    )
    controls = next(block for block in built if block.get("block_id") == "interview_controls")
    ids = [element["action_id"] for element in controls["elements"]]
    assert ids[:2] == ["interview_keep", "interview_keep_all"]
    assert "interview_back" not in ids  # nothing to go back to from the first question


def test_user_text_is_escaped_in_questions_answers_and_maps():
    rendered = text_of(
        [
            blocks.build_question(SCRIPT.get("collection"), interview_id=1, position=1, total=2, existing=HOSTILE)[1],
            blocks.build_answered(SCRIPT.get("collection"), HOSTILE, position=1, total=2)[1],
            blocks.build_reask("I couldn't match “<!here>” to a choice.")[1],
        ]
    )
    assert "<!channel>" not in rendered and "<!here>" not in rendered and "<https" not in rendered
    assert "&lt;!channel&gt;" in rendered and "@\u200dhere" in rendered


def test_map_summary_is_valid_and_names_drag_breaks_moat_risks_and_sources():
    diagnosis = diagnose(ANSWERS)
    first = diagnosis.recommendations[0].model_copy(
        update={"citations": [Citation(title="Breaks", section="Silos <x>", source="guide.md", excerpt="e", score=1)]}
    )
    diagnosis = diagnosis.model_copy(update={"recommendations": [first, *diagnosis.recommendations[1:]]})
    text, built = build_map_summary(diagnosis, channel_id="C1", version=3)
    assert block_errors(built) == []
    rendered = text_of(built)
    assert "version 3" in rendered and "<#C1>" in text
    expected = ["Data in silos", "Insights die in slide decks", "Loop stays open", "personalisation"]
    expected += ["Cold start", "Optimising a metric", "(inferred)", "Silos &lt;x&gt;", "guide.md", "<@U42>"]
    for words in expected:
        assert words in rendered, words


def test_home_section_lists_maps_with_an_interview_button():
    diagnosis = diagnose(ANSWERS)
    built = build_home_section([("C1", 2, diagnosis)], running=["C2"])
    assert block_errors(built) == []
    button = next(block["accessory"] for block in built if "accessory" in block)
    assert (button["action_id"], button["value"]) == (blocks.ACTION_START, "C1")
    assert "<#C2>" in text_of(built)
    assert block_errors(build_home_section([])) == []


def test_answer_modal_round_trips_picks_and_note():
    view = blocks.build_answer_modal(
        SCRIPT.get("risks"), interview_id=9, channel_id="C1", existing=AnswerRecord(value=["ai_output"], note="n")
    )
    assert view["blocks"][1]["element"]["initial_options"][0]["value"] == "ai_output"
    view["state"] = {
        "values": {
            blocks.BLOCK_PICK: {blocks.ACTION_PICK: {"selected_options": [{"value": "ai_output"}, {"value": "none"}]}},
            blocks.BLOCK_NOTE: {blocks.ACTION_NOTE_TEXT: {"value": "  synthetic evals  "}},
        }
    }
    assert blocks.read_answer_modal(view) == (9, "risks", "C1", ["ai_output", "none"], "synthetic evals")


def test_why_cites_the_passage():
    class Passage:
        title, section, source, text = "Guide", "Moats", "moats.md", "Network learning <b> compounds."

    text, built = blocks.build_why(SCRIPT.get("deletion_test"), [Passage()])
    assert block_errors(built) == []
    assert "moats.md" in text_of(built) and "&lt;b&gt;" in text_of(built)
