"""The interview script: well-formed data, at most 15 questions on every branch, every answer mapped."""

from __future__ import annotations

import itertools

from bot.interview.loop_map import LoopMap
from bot.interview.script import (
    AUTOMATION_CHOICES,
    MAX_QUESTIONS,
    QUESTIONS,
    QuestionKind,
    Script,
)
from bot.stages import Stage

STAGES = tuple(Stage)


def test_every_branch_asks_at_most_fifteen_questions():
    script = Script()
    branch_values = [
        [choice.value for choice in question.choices]
        for question in QUESTIONS
        if any(other.ask_if and other.ask_if.question_id == question.id for other in QUESTIONS)
    ]
    branching_ids = [q.id for q in QUESTIONS if any(o.ask_if and o.ask_if.question_id == q.id for o in QUESTIONS)]
    assert branching_ids == ["data_status"]
    for combination in itertools.product(*branch_values):
        asked = script.applicable(dict(zip(branching_ids, combination, strict=True)))
        assert len(asked) <= MAX_QUESTIONS


def test_cold_start_questions_only_without_meaningful_data():
    script = Script()
    assert "cold_start_plan" not in [q.id for q in script.applicable({"data_status": "yes"})]
    assert "cold_start_plan" in [q.id for q in script.applicable({"data_status": "none"})]
    assert "cold_start_plan" in [q.id for q in script.applicable({"data_status": "little"})]
    assert "cold_start_plan" not in [q.id for q in script.applicable({})]


def test_questions_are_complete_data():
    ids = [question.id for question in QUESTIONS]
    assert len(ids) == len(set(ids))
    for question in QUESTIONS:
        assert question.prompt.strip() and question.why.strip() and question.why_query.strip(), question.id
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTI, QuestionKind.NUMBER):
            values = [choice.value for choice in question.choices]
            assert len(values) == len(set(values)) >= 2, question.id
            assert all(choice.label.strip() for choice in question.choices), question.id
        if question.ask_if is not None:
            assert ids.index(question.ask_if.question_id) < ids.index(question.id), "conditions look backward only"
        if question.kind is QuestionKind.NUMBER:
            assert question.unit == "days"
            assert all(choice.days or choice.value == "never" for choice in question.choices)


def test_every_answer_fills_a_loop_map_field():
    fields = set(LoopMap.model_fields)
    for question in QUESTIONS:
        if question.field.startswith("stages."):
            assert question.field.removeprefix("stages.") in STAGES
        else:
            assert question.field in fields, question.id


def test_each_stage_asks_its_automation_level_with_a_note():
    stage_questions = {question.stage: question for question in QUESTIONS if question.stage}
    assert list(stage_questions) == list(STAGES)
    for question in stage_questions.values():
        assert question.choices == AUTOMATION_CHOICES
        assert question.note_hint
    assert [choice.value for choice in AUTOMATION_CHOICES] == ["none", "manual", "scheduled", "continuous"]


def test_the_material_topics_are_all_asked():
    ids = {question.id for question in QUESTIONS}
    assert {
        "data_status",
        "storage_shared",
        "insight_path",
        "loop_closes",
        "deletion_test",
        "complexity",
        "risks",
        "idea_to_live",
        "live_to_learn",
    } <= ids
    insight = Script().get("insight_path")
    assert [choice.value for choice in insight.choices] == ["automated", "ticket", "deck", "nothing"]
    risks = Script().get("risks")
    assert {"ai_output", "no_curation", "wrong_metric"} <= {choice.value for choice in risks.choices}


def test_describe_renders_values_readably():
    script = Script()
    assert script.get("collection").describe("scheduled") == "Scheduled or partly automated"
    assert script.get("risks").describe(["ai_output"]) == "We train or tune models on AI-generated output"
    assert script.get("idea_to_live").describe(14.0) == "2 weeks"
    assert script.get("idea_to_live").describe(0.0104) == "15 minutes"
    assert script.get("collection").describe(None) == "skipped"
