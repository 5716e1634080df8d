"""The interview state machine: typed and picked answers, re-asks, branching, back, skip, keep, races."""

from __future__ import annotations

import json

from bot.interview.engine import (
    AnswerRecord,
    InterviewState,
    Outcome,
    answer,
    answer_values,
    current_question,
    existing_answer,
    progress,
    start,
)
from bot.interview.script import Condition, Question, QuestionKind, Script

TYPED_REPLIES = {
    "data_status": "yes",
    "collection": "4 - click events, owner @dana, continuous, metric: searches per session",
    "storage": "scheduled",
    "storage_shared": "no",
    "analysis": "manual",
    "application": "2",
    "insight_path": "slide deck",
    "feedback": "manual",
    "loop_closes": "no",
    "deletion_test": "individual",
    "complexity": "routine",
    "risks": "1,3",
    "idea_to_live": "2 months",
    "live_to_learn": "never",
}


def run(replies: dict[str, str | list[str]], state: InterviewState | None = None, user: str = "U1") -> InterviewState:
    """Answer whatever question is current from `replies` until the interview finishes."""
    state = state or start()
    while not state.done:
        result = answer(state, state.current, replies[state.current], user)
        assert result.outcome in (Outcome.ADVANCED, Outcome.FINISHED), result.message
        state = result.state
    return state


def test_a_full_interview_by_typed_replies():
    state = run(TYPED_REPLIES)
    assert state.done and state.current is None
    values = answer_values(state)
    assert values["collection"] == "continuous"
    assert values["storage_shared"] == "silos"
    assert values["risks"] == ["ai_output", "wrong_metric"]
    assert values["idea_to_live"] == 60.8
    assert values["live_to_learn"] == "never"
    assert state.answers["collection"].note == "click events, owner @dana, continuous, metric: searches per session"
    assert "cold_start_plan" not in state.answers
    assert len(state.history) == 14


def test_a_full_interview_by_picked_values():
    picks = {
        "data_status": "none",
        "cold_start_plan": ["experts", "internal"],
        **dict.fromkeys(("collection", "storage", "analysis", "application", "feedback"), "manual"),
        "storage_shared": "shared",
        "insight_path": "ticket",
        "loop_closes": "manual",
        "deletion_test": "network",
        "complexity": "compounds",
        "risks": ["none"],
        "idea_to_live": "1w",
        "live_to_learn": "1d",
    }
    state = run(picks)
    assert answer_values(state)["cold_start_plan"] == ["experts", "internal"]
    assert answer_values(state)["idea_to_live"] == 7.0
    assert len(state.history) == 15


def test_nonsense_is_reasked_with_what_was_expected_and_nothing_changes():
    state = start()
    result = answer(state, "data_status", "purple monkey dishwasher", "U1")
    assert result.outcome is Outcome.REASK
    assert "Reply with a number from 1 to 3" in result.message
    assert result.state == state
    assert result.question.id == "data_status"


def test_branching_asks_cold_start_only_without_data():
    with_data = answer(start(), "data_status", "1", "U1")
    assert with_data.question.id == "collection"
    without = answer(start(), "data_status", "3", "U1")
    assert without.question.id == "cold_start_plan"


def test_back_returns_to_the_previous_question_and_a_changed_branch_is_dropped():
    state = answer(start(), "data_status", "none", "U1").state
    state = answer(state, "cold_start_plan", "1", "U1").state
    assert state.current == "collection"
    back = answer(state, "collection", "back", "U1")
    assert back.outcome is Outcome.WENT_BACK and back.question.id == "cold_start_plan"
    back = answer(back.state, "cold_start_plan", "back", "U1")
    assert back.question.id == "data_status"
    assert existing_answer(back.state, "data_status").value == "none"
    state = answer(back.state, "data_status", "yes", "U1").state
    assert state.current == "collection"
    state = run(TYPED_REPLIES, state)
    assert "cold_start_plan" not in state.answers


def test_back_on_the_first_question_reasks():
    result = answer(start(), "data_status", "back", "U1")
    assert result.outcome is Outcome.REASK
    assert "first question" in result.message


def test_skip_records_who_skipped_and_moves_on():
    result = answer(start(), "data_status", "skip", "U7")
    assert result.outcome is Outcome.ADVANCED
    assert result.state.answers["data_status"] == AnswerRecord(user_id="U7", skipped=True)
    assert "data_status" not in answer_values(result.state)
    assert result.question.id == "collection"


def test_dont_know_counts_as_skip_when_no_choice_means_it():
    result = answer(start(), "data_status", "I don't know", "U7")
    assert result.state.answers["data_status"].skipped


def test_why_explains_and_offers_a_retrieval_query_without_moving():
    state = start()
    result = answer(state, "data_status", "why?", "U1")
    assert result.outcome is Outcome.WHY
    assert result.state == state
    assert result.message and result.why_query
    assert result.question.id == "data_status"


def test_teammates_answers_are_recorded_per_person():
    state = answer(start(), "data_status", "yes", "U1").state
    state = answer(state, "collection", "4", "U2").state
    assert state.answers["data_status"].user_id == "U1"
    assert state.answers["collection"].user_id == "U2"


def test_racing_answers_keep_the_first_and_say_who_answered():
    state = start()
    first = answer(state, "data_status", "yes", "U1")
    second = answer(first.state, "data_status", "no", "U2")
    assert second.outcome is Outcome.STALE
    assert second.answered_by == "U1"
    assert "already answered" in second.message
    assert second.state == first.state
    assert second.question.id == "collection"


def test_answers_after_the_end_are_stale():
    state = run(TYPED_REPLIES)
    result = answer(state, "live_to_learn", "1 day", "U2")
    assert result.outcome is Outcome.STALE
    assert result.state == state


def test_state_survives_a_json_round_trip_mid_interview():
    state = answer(start(), "data_status", "none", "U1").state
    state = answer(state, "cold_start_plan", "synthetic, internal", "U2").state
    restored = InterviewState.model_validate(json.loads(json.dumps(state.model_dump(mode="json"))))
    assert restored == state
    assert current_question(restored).id == "collection"
    result = answer(restored, "collection", "2", "U1")
    assert result.outcome is Outcome.ADVANCED


def test_rerun_keeps_previous_answers_with_one_word():
    first = run(TYPED_REPLIES)
    rerun = start(first.answers)
    assert rerun.current == "data_status" and rerun.answers == {}
    assert existing_answer(rerun, "data_status").value == "yes"
    result = answer(rerun, "data_status", "keep", "U2")
    assert result.outcome is Outcome.ADVANCED
    assert result.state.answers["data_status"].user_id == "U1"


def test_rerun_changes_one_answer_and_keeps_the_rest():
    first = run(TYPED_REPLIES)
    state = start(first.answers)
    state = answer(state, "data_status", "keep", "U2").state
    state = answer(state, "collection", "keep", "U2").state
    changed = answer(state, "storage", "continuous", "U2")
    assert changed.state.answers["storage"].value == "continuous"
    finished = answer(changed.state, "storage_shared", "keep all", "U2")
    assert finished.outcome is Outcome.FINISHED
    assert answer_values(finished.state) == {**answer_values(first), "storage": "continuous"}


def test_keep_without_an_earlier_answer_reasks():
    result = answer(start(), "data_status", "keep", "U1")
    assert result.outcome is Outcome.REASK
    assert "no earlier answer" in result.message


def test_keep_all_stops_at_the_first_question_without_an_answer():
    previous = {"data_status": {"value": "none", "user_id": "U1"}, "cold_start_plan": {"value": ["experts"]}}
    result = answer(start(previous), "data_status", "keep all", "U2")
    assert result.outcome is Outcome.ADVANCED
    assert result.question.id == "collection"
    assert answer_values(result.state) == {"data_status": "none", "cold_start_plan": ["experts"]}


def test_previous_answers_that_no_longer_fit_are_dropped():
    state = start({"collection": {"value": "warp speed"}, "gone": {"value": "x"}, "storage": {"value": "manual"}})
    assert set(state.previous) == {"storage"}


def test_a_button_note_overrides_a_typed_note():
    result = answer(start(), "data_status", "yes", "U1", note="since March")
    assert result.state.answers["data_status"].note == "since March"


def test_progress_counts_the_branch_being_taken():
    state = start()
    assert progress(state) == (1, 14)
    state = answer(state, "data_status", "none", "U1").state
    assert progress(state) == (2, 15)
    finished = run(TYPED_REPLIES)
    assert progress(finished) == (14, 14)


def test_a_custom_script_with_text_and_branching():
    script = Script(
        (
            Question("name", "Name?", QuestionKind.TEXT, "w", "q", "data_status"),
            Question(
                "sure",
                "Sure?",
                QuestionKind.SINGLE,
                "w",
                "q",
                "loop_closes",
                choices=(),
                ask_if=Condition("name", ("never matches",)),
            ),
        )
    )
    state = start(script=script)
    empty = answer(state, "name", "   ", "U1", script=script)
    assert empty.outcome is Outcome.REASK and "few words" in empty.message
    result = answer(state, "name", "Growth squad", "U1", script=script)
    assert result.outcome is Outcome.FINISHED
    assert answer_values(result.state) == {"name": "Growth squad"}
