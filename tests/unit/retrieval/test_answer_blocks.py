"""Block Kit for answers: valid for Slack, safe with any text, and the right controls in the right place."""

import json

from bot.blocks.answers import (
    ACTION_SHARE,
    ACTION_VOTE_DOWN,
    ACTION_VOTE_UP,
    AI_NOTE,
    BLOCK_REASON,
    QUOTED_NOTE,
    SourceLine,
    build_answer,
    build_empty_question,
    build_greeting,
    build_home_section,
    build_reason_modal,
    read_reason,
    read_reason_metadata,
    to_mrkdwn,
)
from bot.emulator.checks import block_errors

SOURCES = [SourceLine("Case Study: Duolingo > Session Generator", "knowledge/case-study-duolingo.md")]


def test_an_answer_is_valid_block_kit_with_sources_note_and_votes():
    text, blocks = build_answer("Cut from 750 ms to 14 ms [1].", answer_id=7, sources=SOURCES, grounded=True)
    assert block_errors(blocks) == []
    rendered = json.dumps(blocks)
    assert "*[1]* Case Study: Duolingo &gt; Session Generator" in rendered
    assert QUOTED_NOTE in rendered and AI_NOTE not in rendered
    assert ACTION_VOTE_UP in rendered and ACTION_VOTE_DOWN in rendered and ACTION_SHARE not in rendered
    assert text == "Cut from 750 ms to 14 ms [1]."


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
    assert ACTION_SHARE in json.dumps(shareable)
    assert ACTION_SHARE not in json.dumps(refusal)
    assert "Nearest topics I do cover" in json.dumps(refusal) and block_errors(refusal) == []


def test_echoed_text_cannot_ping_or_link():
    hostile = "Hello <!channel> and @here, see <https://evil.example|this> & **bold**"
    rendered = to_mrkdwn(hostile)
    assert "<!channel>" not in rendered and "&lt;!channel&gt;" in rendered
    assert "@here" not in rendered
    assert "<https://" not in rendered
    assert "*bold*" in rendered and "**" not in rendered
    _, blocks = build_answer("x", answer_id=1, sources=[], grounded=True, question="<!everyone> why?")
    assert "<!everyone>" not in json.dumps(blocks)


def test_very_long_answers_and_many_sources_stay_within_limits():
    many = [SourceLine(f"Title {n} > " + "s" * 300, f"knowledge/{n}.md") for n in range(12)]
    text, blocks = build_answer("word " * 2000, answer_id=3, sources=many, grounded=True)
    assert block_errors(blocks) == []
    assert len(text) <= 3000


def test_greeting_and_empty_question_offer_prompt_buttons():
    for _, blocks in (build_greeting(), build_empty_question()):
        assert block_errors(blocks) == []
        buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
        assert len({b["action_id"] for b in buttons}) == len(buttons) >= 3


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
