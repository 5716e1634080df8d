"""Block Kit for answers: valid for Slack, safe with any text, and the right controls in the right place."""

import json

import pytest

from bot.blocks.answers import (
    ACTION_FEEDBACK,
    ACTION_SHARE,
    AI_NOTE,
    BLOCK_REASON,
    CLOSEST_AI_NOTE,
    CLOSEST_NOTE,
    DECLINED_NOTE,
    QUOTED_NOTE,
    SourceLine,
    build_answer,
    build_empty_question,
    build_greeting,
    build_home_section,
    build_introduction,
    build_reason_modal,
    build_suggested_prompts,
    coaching_block,
    feedback_value,
    read_feedback,
    read_reason,
    read_reason_metadata,
    to_markdown,
    to_mrkdwn,
)
from bot.emulator.checks import block_errors
from bot.errors import InputError

SOURCES = [SourceLine("Case Study: Duolingo > Session Generator", "knowledge/case-study-duolingo.md")]


def test_an_answer_is_a_markdown_block_with_sources_note_and_feedback_buttons():
    text, blocks = build_answer("Cut from **750 ms** to 14 ms [1].", answer_id=7, sources=SOURCES, grounded=True)
    assert block_errors(blocks) == []
    assert blocks[0] == {"type": "markdown", "text": "Cut from **750 ms** to 14 ms [1]."}
    rendered = json.dumps(blocks)
    assert "*[1]* Case Study: Duolingo &gt; Session Generator" in rendered
    assert QUOTED_NOTE in rendered and AI_NOTE not in rendered
    assert ACTION_SHARE not in rendered and '"type": "actions"' not in rendered
    (feedback,) = [b for b in blocks if b["type"] == "context_actions"]
    (buttons,) = feedback["elements"]
    assert buttons["type"] == "feedback_buttons" and buttons["action_id"] == ACTION_FEEDBACK
    assert read_feedback(buttons["positive_button"]["value"]) == (7, True)
    assert read_feedback(buttons["negative_button"]["value"]) == (7, False)
    assert text == "Cut from *750 ms* to 14 ms [1]."


@pytest.mark.parametrize("value", [None, "", "7", "up:", "up:0", "sideways:7", "up:7:8", " up:7", "up:1234567890", 7])
def test_a_feedback_value_we_did_not_write_is_refused_in_one_line(value):
    with pytest.raises(InputError, match="no longer points at an answer"):
        read_feedback(value)
    assert read_feedback(feedback_value(123, helpful=False)) == (123, False)


def test_the_coaching_line_sits_under_the_answer_text_escaped():
    line = coaching_block("Feedback scores 10/100 (broken) <!here>.", "From this channel's loop map, v2 of 2026-11-12.")
    _, blocks = build_answer("An answer [1].", answer_id=1, sources=SOURCES, grounded=True, coaching=line)
    assert block_errors(blocks) == []
    assert [b["type"] for b in blocks][:2] == ["markdown", "context"]
    rendered = json.dumps(blocks[1])
    assert "Feedback scores 10/100" in rendered and "v2 of 2026-11-12" in rendered and "<!here>" not in rendered


def test_a_private_answer_can_be_shared_but_a_refusal_cannot():
    _, shareable = build_answer("An answer [1].", answer_id=1, sources=SOURCES, grounded=True, shareable=True)
    _, refusal = build_answer(
        "I can't find that in the material. The nearest topics it covers: A; B.",
        answer_id=2,
        sources=[],
        grounded=False,
        nearest_topics=["A", "B"],
        shareable=True,
    )
    assert ACTION_SHARE in json.dumps(shareable) and block_errors(shareable) == []
    assert ACTION_SHARE not in json.dumps(refusal)
    assert "Nearest topics I do cover" in json.dumps(refusal) and block_errors(refusal) == []
    # Nothing was quoted, so the note says what happened instead.
    assert DECLINED_NOTE in json.dumps(refusal) and QUOTED_NOTE not in json.dumps(refusal)


def test_echoed_text_cannot_ping_or_link():
    hostile = "Hello <!channel> and @here, see <https://evil.example|this> & **bold**"
    rendered = to_mrkdwn(hostile)
    assert "<!channel>" not in rendered and "&lt;!channel&gt;" in rendered
    assert "@here" not in rendered
    assert "<https://" not in rendered
    assert "*bold*" in rendered and "**" not in rendered
    _, blocks = build_answer("x", answer_id=1, sources=[], grounded=True, question="<!everyone> why?")
    assert "<!everyone>" not in json.dumps(blocks)
    markdown = to_markdown(hostile + " <@U123> @everyone")
    assert "<" not in markdown and ">" not in markdown and "@here" not in markdown and "@everyone" not in markdown
    assert "**bold**" in markdown and "&lt;@U123&gt;" in markdown


def test_very_long_answers_and_many_sources_stay_within_limits():
    many = [SourceLine(f"Title {n} > " + "s" * 300, f"knowledge/{n}.md") for n in range(12)]
    text, blocks = build_answer("word " * 2000, answer_id=3, sources=many, grounded=True)
    assert block_errors(blocks) == []
    assert len(text) <= 3000
    _, longest = build_answer("<b> " * 5000, answer_id=3, sources=many, grounded=True)
    assert block_errors(longest) == [] and len(longest[0]["text"]) == 12_000


def test_the_empty_question_offers_prompt_buttons_and_the_greeting_leaves_prompts_to_slack():
    _, empty = build_empty_question()
    assert block_errors(empty) == []
    buttons = [e for b in empty if b["type"] == "actions" for e in b["elements"]]
    assert len({b["action_id"] for b in buttons}) == len(buttons) >= 3
    _, greeting = build_greeting()
    assert block_errors(greeting) == [] and all(b["type"] != "actions" for b in greeting)
    prompts = build_suggested_prompts()
    assert 1 <= len(prompts) <= 4 and all(p["title"] and p["message"].endswith("?") for p in prompts)


def test_the_introduction_is_valid_and_offers_the_prompts_and_the_commands():
    for greeting in (True, False):
        text, introduction = build_introduction(greeting=greeting, command="/coach")
        assert block_errors(introduction) == []
        assert text.startswith("Hi! ") is greeting
        rendered = json.dumps(introduction)
        assert "/coach interview" in rendered and "/coach checkins on" in rendered
        buttons = [e for b in introduction if b["type"] == "actions" for e in b["elements"]]
        assert len(buttons) >= 3
    _, private = build_introduction(greeting=False, command="/coach", prompts=())
    assert block_errors(private) == [] and all(b["type"] != "actions" for b in private)
    assert "/coach ask How do we start" in json.dumps(private)


def test_the_reason_modal_round_trips_its_metadata_and_reason():
    view = build_reason_modal(answer_id=42, channel_id="C1", thread_ts="1.2")
    assert block_errors(view["blocks"]) == []
    assert read_reason_metadata(view["private_metadata"]) == (42, "C1", "1.2")
    submitted = {"state": {"values": {BLOCK_REASON: {"answer_reason_value": {"value": "  outdated  "}}}}}
    assert read_reason(submitted) == "outdated"
    assert read_reason({"state": {"values": {}}}) == ""


def test_home_section_lists_gaps_escaped():
    blocks = build_home_section(answered=1, gaps=["<!here> what is churn?"])
    rendered = json.dumps(blocks)
    assert block_errors(blocks) == []
    assert "1 question so far" in rendered and "<!here>" not in rendered
    assert len(build_home_section(answered=0, gaps=[])) == 1


def test_an_llm_written_answer_says_it_is_ai_generated():
    _, blocks = build_answer("Cut to 14 ms [1].", answer_id=8, sources=SOURCES, grounded=True, generated=True)
    rendered = json.dumps(blocks)
    assert AI_NOTE in rendered and QUOTED_NOTE not in rendered


@pytest.mark.parametrize(("generated", "note"), [(False, CLOSEST_NOTE), (True, CLOSEST_AI_NOTE)])
def test_the_closest_match_says_it_may_not_cover_what_was_asked(generated: bool, note: str):
    _, blocks = build_answer(
        "Canary rollouts [1].", answer_id=9, sources=SOURCES, grounded=True, closest=True, generated=generated
    )
    rendered = json.dumps(blocks)
    assert block_errors(blocks) == []
    assert note in rendered and QUOTED_NOTE not in rendered and AI_NOTE not in rendered
