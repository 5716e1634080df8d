"""The coaching line: which part of a team's loop map an answer is tied to, chosen by the words asked and cited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.interview.coaching import coaching_line, map_citation
from bot.interview.diagnosis import Diagnosis, diagnose

MATURE = {
    "data_status": "yes",
    "collection": "continuous",
    "storage": "continuous",
    "storage_shared": "shared",
    "analysis": "continuous",
    "application": "continuous",
    "insight_path": "automated",
    "feedback": "scheduled",
    "loop_closes": "auto",
    "deletion_test": "network",
    "complexity": "compounds",
    "risks": ["none"],
    "idea_to_live": 0.01,
    "live_to_learn": 1.0,
}
SILO = {**MATURE, "storage": "scheduled", "storage_shared": "silos", "analysis": "manual", "insight_path": "ticket"}
SLIDE_DECKS = {**MATURE, "analysis": "scheduled", "application": "manual", "insight_path": "deck"}


@pytest.fixture(scope="module")
def silo() -> Diagnosis:
    return diagnose({**SILO, "idea_to_live": 30.0, "live_to_learn": 7.0})


def test_a_question_about_one_stage_gets_that_stages_score_and_band(silo: Diagnosis) -> None:
    line = coaching_line("How should we store what we gather?", [], silo)
    storage = silo.stage("storage")
    assert line is not None and f"Storage scores {storage.score}/100 ({storage.band})" in line
    assert "drags your loop most" in line and "data in silos" in line  # the drag, and the break it starts


def test_the_sources_words_place_a_question_that_names_no_stage(silo: Diagnosis) -> None:
    line = coaching_line("What should we look at first?", ["Analysis > Dashboards nobody reads"], silo)
    assert line is not None and line.startswith("In this channel's loop, Analysis scores")


def test_a_question_about_breaks_names_the_teams_own_break() -> None:
    decks = diagnose({**SLIDE_DECKS, "idea_to_live": 60.0, "live_to_learn": 14.0})
    line = coaching_line("Where do data flywheels usually break?", ["Common breaks > Silos"], decks)
    assert line == "Your loop has a break: insights die in slide decks (Analysis → Application)."


def test_a_question_about_speed_gets_the_velocity_band(silo: Diagnosis) -> None:
    line = coaching_line("How fast should our loop turn?", [], silo)
    assert line is not None and f"velocity is {silo.velocity.band}" in line and "turns a year" in line


def test_a_question_pointing_nowhere_gets_the_drag(silo: Diagnosis) -> None:
    assert coaching_line("What is a data flywheel?", ["Overview > What it is"], silo) == (
        "Your loop's drag is Storage at 33/100 (weak): the place to start."
    )
    strong = diagnose(MATURE)
    assert coaching_line("What is a data flywheel?", [], strong) == (
        f"Every stage of your loop is strong; the lowest is Feedback at {strong.stage('feedback').score}/100."
    )


def test_a_map_with_no_answers_has_nothing_to_say() -> None:
    assert coaching_line("How should we store our data?", [], diagnose({})) is None


def test_the_citation_names_the_version_and_day() -> None:
    assert (
        map_citation(3, datetime(2026, 11, 12, 9, 30, tzinfo=UTC)) == "From this channel's loop map, v3 of 2026-11-12."
    )
