"""The diagnosis pinned for hand-made answer sets: drag, breaks, moat, risks, cold start, advice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.interview.diagnosis import (
    RANKING,
    Diagnosis,
    Finding,
    attach_citations,
    band,
    diagnose,
    learning_speed,
    release_speed,
)

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
SILO = {
    **MATURE,
    "storage": "scheduled",
    "storage_shared": "silos",
    "analysis": "manual",
    "insight_path": "ticket",
    "idea_to_live": 30.0,
    "live_to_learn": 7.0,
}
SLIDE_DECKS = {
    **MATURE,
    "analysis": "scheduled",
    "application": "manual",
    "insight_path": "deck",
    "idea_to_live": 60.0,
    "live_to_learn": 14.0,
}
NO_DATA = {
    "data_status": "none",
    "cold_start_plan": ["nothing"],
    "collection": "none",
    "storage": "none",
    "storage_shared": "unknown",
    "analysis": "none",
    "application": "manual",
    "insight_path": "nothing",
    "feedback": "none",
    "loop_closes": "no",
    "deletion_test": "individual",
    "complexity": "unsure",
    "risks": ["none"],
}
INDIVIDUAL_ONLY = {**MATURE, "deletion_test": "individual", "complexity": "plateaus"}
AI_OUTPUT = {**MATURE, "risks": ["ai_output"], "feedback": "manual", "loop_closes": "manual"}


def breaks(diagnosis: Diagnosis) -> list[str]:
    return [item.kind for item in diagnosis.breaks]


def recommendation_ids(diagnosis: Diagnosis) -> list[str]:
    return [item.id for item in diagnosis.recommendations]


def test_mature_loop():
    diagnosis = diagnose(MATURE)
    assert [stage.score for stage in diagnosis.stages] == [100, 100, 100, 100, 87]
    assert all(stage.band == "strong" for stage in diagnosis.stages)
    assert diagnosis.drag == "feedback"
    assert "every stage is strong" in diagnosis.drag_explanation
    assert breaks(diagnosis) == []
    assert (diagnosis.moat.learning, diagnosis.moat.trajectory, diagnosis.moat.strength) == (
        "network",
        "compounds",
        "high",
    )
    assert diagnosis.risks == []
    assert not diagnosis.cold_start and diagnosis.cold_start_strategies == []
    assert diagnosis.velocity.band == "elite"
    assert recommendation_ids(diagnosis) == ["stage_feedback", "keep_turning", "guard_backward"]


def test_silo_between_storage_and_analysis():
    diagnosis = diagnose(SILO)
    assert diagnosis.drag == "storage"
    assert diagnosis.stage("storage").score == 33
    assert breaks(diagnosis) == ["silo"]
    silo = diagnosis.breaks[0]
    assert (silo.from_stage, silo.to_stage, silo.label) == ("storage", "analysis", "Data in silos")
    assert diagnosis.moat.learning == "network"
    assert diagnosis.risks == []
    assert recommendation_ids(diagnosis)[0] == "break_silo"
    assert diagnosis.velocity.band == "typical"


def test_insights_die_in_slide_decks():
    diagnosis = diagnose(SLIDE_DECKS)
    assert diagnosis.drag == "application"
    assert diagnosis.stage("application").band == "weak"
    assert breaks(diagnosis) == ["slide_deck"]
    assert diagnosis.breaks[0].label == "Insights die in slide decks"
    assert (diagnosis.breaks[0].from_stage, diagnosis.breaks[0].to_stage) == ("analysis", "application")
    assert recommendation_ids(diagnosis)[0] == "break_slide_deck"
    assert "velocity_learning" in recommendation_ids(diagnosis)


def test_no_data_yet_gets_cold_start_strategies():
    diagnosis = diagnose(NO_DATA)
    assert diagnosis.cold_start
    assert diagnosis.drag == "collection"
    assert breaks(diagnosis) == ["slide_deck", "open_loop"]
    assert diagnosis.breaks[0].label == "Insights never ship"
    assert diagnosis.moat.learning == "individual" and diagnosis.moat.strength == "low"
    assert [(s.id, s.in_place) for s in diagnosis.cold_start_strategies] == [
        ("expert_seeding", False),
        ("target_complexity", False),
        ("loop_first", False),
    ]
    assert recommendation_ids(diagnosis) == [
        "cold_start_loop_first",
        "cold_start_expert_seeding",
        "cold_start_target_complexity",
    ]


def test_cold_start_strategies_in_place_are_not_recommended_again():
    diagnosis = diagnose({**NO_DATA, "cold_start_plan": ["internal", "experts"]})
    assert {s.id for s in diagnosis.cold_start_strategies if s.in_place} == {"loop_first", "expert_seeding"}
    assert "cold_start_loop_first" not in recommendation_ids(diagnosis)
    assert recommendation_ids(diagnosis)[0] == "cold_start_target_complexity"


def test_individual_learning_only():
    diagnosis = diagnose(INDIVIDUAL_ONLY)
    assert diagnosis.moat.learning == "individual"
    assert diagnosis.moat.strength == "low"
    assert diagnosis.moat.trajectory == "plateaus"
    assert breaks(diagnosis) == []
    assert recommendation_ids(diagnosis)[:2] == ["moat_individual", "moat_plateaus"]


def test_training_on_ai_output():
    diagnosis = diagnose(AI_OUTPUT)
    assert [risk.id for risk in diagnosis.risks] == ["ai_output"]
    assert diagnosis.risks[0].source == "declared"
    assert diagnosis.drag == "feedback"
    assert breaks(diagnosis) == []
    assert recommendation_ids(diagnosis)[0] == "risk_ai_output"


def test_synthetic_cold_start_data_is_an_inferred_ai_output_risk():
    diagnosis = diagnose({**NO_DATA, "cold_start_plan": ["synthetic"]})
    assert [(risk.id, risk.source) for risk in diagnosis.risks] == [("ai_output", "inferred")]
    assert "risk_ai_output" in recommendation_ids(diagnosis)


def test_all_three_backward_spin_risks():
    diagnosis = diagnose({**MATURE, "risks": ["ai_output", "no_curation", "wrong_metric"]})
    assert [risk.id for risk in diagnosis.risks] == ["ai_output", "no_curation", "wrong_metric"]
    assert diagnosis.stage("analysis").score == 70
    assert recommendation_ids(diagnosis) == ["risk_ai_output", "risk_wrong_metric", "risk_no_curation"]


def test_never_knowing_whether_it_worked_opens_the_loop():
    diagnosis = diagnose({**MATURE, "live_to_learn": "never"})
    assert breaks(diagnosis) == ["open_loop"]
    assert diagnosis.velocity.never_known and diagnosis.velocity.turns_per_year is None


def test_same_answers_same_diagnosis():
    assert diagnose(SILO) == diagnose(dict(reversed(list(SILO.items()))))


def test_answer_records_and_skips_are_accepted():
    records = {key: {"value": value, "user_id": "U1"} for key, value in SILO.items()}
    records["storage"] = {"value": None, "skipped": True, "user_id": "U2"}
    diagnosis = diagnose(records)
    storage = diagnosis.stage("storage")
    assert storage.automation is None
    assert storage.score == 0  # only the "one shared copy" factor is known, and it is a silo
    assert diagnosis.loop_map.answered_by["storage"] == "U2"


def test_scores_are_explained_by_their_factors():
    stage = diagnose(SILO).stage("application")
    assert [(f.label, f.weight, f.value) for f in stage.factors] == [
        ("Automation", 0.4, 1.0),
        ("Findings reach the product", 0.4, 0.6),
        ("Time from idea to live", 0.2, 0.45),
    ]
    assert stage.score == round(100 * (0.4 + 0.24 + 0.09))


def test_nothing_answered_asks_to_finish_the_map():
    diagnosis = diagnose({})
    assert diagnosis.drag is None
    assert all(stage.score is None and stage.band == "unknown" for stage in diagnosis.stages)
    assert recommendation_ids(diagnosis)[0] == "map_the_loop"
    assert diagnosis.headline() == "Drag: unknown. Breaks: none found. Moat: unknown."


def test_stage_notes_become_owner_cadence_and_metric():
    stage = diagnose(
        {**MATURE, "collection": {"value": "continuous", "note": "events, owner <@U42>, real-time, metric: DAU"}}
    ).stage("collection")
    assert (stage.owner, stage.owner_is_slack_user, stage.cadence, stage.metric) == ("U42", True, "continuously", "DAU")


@pytest.mark.parametrize(
    ("days", "band_name", "words"),
    [
        (0.01, "elite", "under 15 minutes"),
        (3.0, "fast", "8 to 90 days"),
        (30.0, "typical", "8 to 90 days"),
        (180.0, "slow", "nine months"),
        (400.0, "very_slow", "nine months"),
    ],
)
def test_velocity_is_compared_with_the_material(days, band_name, words):
    velocity = diagnose({**MATURE, "idea_to_live": days}).velocity
    assert velocity.band == band_name
    assert words in velocity.summary
    assert velocity.loop_days == pytest.approx(days + 1.0)


def test_bands_and_speed_scales_are_monotonic():
    assert [band(s) for s in (None, 0, 24, 25, 49, 50, 74, 75, 100)] == [
        "unknown", "broken", "broken", "weak", "weak", "working", "working", "strong", "strong",
    ]  # fmt: skip
    release = [release_speed(days) for days in (0.005, 0.5, 5, 20, 60, 200, 400)]
    assert release == sorted(release, reverse=True)
    learning = [learning_speed(days) for days in (0.5, 2, 5, 20, 60, 200)]
    assert learning == sorted(learning, reverse=True)
    assert learning_speed(None, never_known=True) == 0.0


async def test_citations_come_from_the_injected_search():
    queries = []

    async def search(query: str):
        queries.append(query)
        return [SimpleNamespace(title="Common breaks", section="Break 1", source="knowledge/04.md",
                                text="word " * 200, score=0.8)]  # fmt: skip

    diagnosis = diagnose(SILO)
    cited = await attach_citations(diagnosis, search)
    assert queries == [item.query for item in diagnosis.recommendations]
    assert all(len(item.citations) == 1 for item in cited.recommendations)
    citation = cited.recommendations[0].citations[0]
    assert (citation.title, citation.section, citation.source, citation.score) == (
        "Common breaks",
        "Break 1",
        "knowledge/04.md",
        0.8,
    )
    assert len(citation.excerpt) <= 280 and citation.excerpt.endswith("…")
    assert diagnosis.recommendations[0].citations == []  # the original is left as it was


async def test_a_failing_search_leaves_advice_uncited():
    async def search(query: str):
        raise RuntimeError("index unavailable")

    cited = await attach_citations(diagnose(SILO), search)
    assert [item.citations for item in cited.recommendations] == [[], [], []]


def test_every_finding_is_ranked_once_most_urgent_first():
    assert sorted(rank.finding for rank in RANKING) == sorted(Finding)
    assert [rank.priority for rank in RANKING] == sorted((rank.priority for rank in RANKING), reverse=True)
