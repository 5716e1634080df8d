"""Answer quality on the project's three evaluation sets, with floors a little below what the coach reaches.

`flywheel-coach eval` prints the same tables; README shows them. questions.yaml is written by the knowledge
owner in words that differ from the material's; dev_questions.yaml was written later, its second half blind
(before the answer's weights were fitted). The answer's weights and the refusal policy are fitted on both by
`flywheel-coach eval --fit`, which also reports each set's figures when fitted on the other alone.
blind_questions.yaml was written blind from the material alone and is never fitted on: the held-out check.
"""

from pathlib import Path

import pytest

from bot.bench.evaluation import BASELINE, evaluate, load_questions
from bot.config import bundled_knowledge_dir, load_settings
from bot.retrieval.knowledge_base import KnowledgeBase

QUESTIONS = Path(__file__).parent / "questions.yaml"
DEV_QUESTIONS = Path(__file__).parent / "dev_questions.yaml"
BLIND_QUESTIONS = Path(__file__).parent / "blind_questions.yaml"
MEDIAN_ANSWER_CHARS = 400


@pytest.fixture
async def tables(tmp_path: Path) -> dict[str, dict]:
    settings = load_settings(FLYWHEEL_DATA_DIR=str(tmp_path / "data"))
    knowledge = await KnowledgeBase.open(settings)
    await knowledge.ensure_indexed(bundled_knowledge_dir())
    scored = {}
    for path in (QUESTIONS, DEV_QUESTIONS, BLIND_QUESTIONS):
        scored[path.name] = {row.method: row for row in evaluate(knowledge, load_questions(path))}
    await knowledge.close()
    return scored


def test_the_sets_are_big_and_varied_enough():
    questions, dev = load_questions(QUESTIONS), load_questions(DEV_QUESTIONS)
    assert len(questions) >= 100 and len(dev) >= 90
    assert {"fact", "howto", "comparison", "multi", "out_of_scope"} <= {q.kind for q in questions}
    assert {"definition", "risk", "first_step", "howto", "comparison", "out_of_scope"} <= {q.kind for q in dev}
    blind = load_questions(BLIND_QUESTIONS)
    assert len(blind) >= 80
    assert {"definition", "risk", "first_step", "howto", "comparison", "out_of_scope"} <= {q.kind for q in blind}


async def test_answers_are_short_and_clear_their_floors_on_both_sets(tables: dict[str, dict]):
    main, dev = tables[QUESTIONS.name]["fused"], tables[DEV_QUESTIONS.name]["fused"]
    for fused in (main, dev):
        assert 0 < fused.median_chars <= MEDIAN_ANSWER_CHARS
    assert main.recall_at_3 >= 0.95 and main.recall_at_1 >= 0.88 and main.mrr >= 0.92
    assert main.fact_hit >= 0.80 and main.false_refusal <= 0.015 and main.refusal >= 0.90
    # Recall counts the sources each question named when it was written; questions about symptoms now often find
    # the symptom guide (symptoms.md) first, which holds the same facts, so the recall floors sit lower.
    assert dev.recall_at_3 >= 0.92 and dev.recall_at_1 >= 0.75 and dev.fact_hit >= 0.80
    assert dev.false_refusal <= 0.03 and dev.refusal >= 0.85


async def test_the_held_out_set_clears_its_floors_and_beats_langchains_plain_pipeline(tables: dict[str, dict]):
    fused, baseline = tables[BLIND_QUESTIONS.name]["fused"], tables[BLIND_QUESTIONS.name][BASELINE]
    assert 0 < fused.median_chars <= MEDIAN_ANSWER_CHARS
    assert fused.recall_at_3 >= 0.77 and fused.recall_at_1 >= 0.66
    assert fused.fact_hit >= 0.75 and fused.false_refusal <= 0.04 and fused.refusal >= 0.85
    assert fused.fact_hit > baseline.fact_hit and fused.mrr > baseline.mrr and fused.refusal > baseline.refusal


async def test_the_default_beats_langchains_plain_pipeline_and_either_retriever_alone(tables: dict[str, dict]):
    for name in (QUESTIONS.name, DEV_QUESTIONS.name):
        table = tables[name]
        fused, baseline = table["fused"], table[BASELINE]
        assert fused.mrr > baseline.mrr and fused.fact_hit > baseline.fact_hit
        assert fused.refusal > baseline.refusal
        assert fused.mrr >= table["dense"].mrr and fused.mrr >= table["bm25"].mrr
