"""The benchmark code paths run end to end on small sizes (figures are printed by the CLI, never asserted)."""

from pathlib import Path

from bot.bench.retrieval import run_ask_bench, synthetic_index, time_indexing
from bot.bench.slack import time_slack_answers
from bot.config import bundled_knowledge_dir, load_settings
from bot.retrieval.knowledge_base import KnowledgeBase


async def test_ask_and_index_benchmarks_run(knowledge: KnowledgeBase, docs: Path):
    reports = run_ask_bench(knowledge, large=500, rounds=1)
    assert [r.chunks for r in reports] == [knowledge.chunk_count(), 500]
    assert all(r.runs > 0 and r.p95_ms >= r.p50_ms > 0 for r in reports)
    assert knowledge.chunk_count() < 500  # the synthetic corpus was only borrowed
    throughput = await time_indexing(knowledge, docs, files=1, sections=2)
    assert throughput.chunks == 2 and throughput.mean_tokens > 100
    assert knowledge.scope_index("team:bench-index") is None


def test_synthetic_vectors_are_unit_length(knowledge: KnowledgeBase):
    import numpy as np

    index = synthetic_index(knowledge, 50)
    assert len(index) == 50
    np.testing.assert_allclose(np.linalg.norm(index.matrix, axis=1), 1.0, atol=1e-5)


async def test_the_slack_benchmark_runs_through_the_local_slack(tmp_path: Path):
    settings = load_settings(FLYWHEEL_DATA_DIR=str(tmp_path / "data"), KNOWLEDGE_DIR=str(bundled_knowledge_dir()))
    report = await time_slack_answers(settings, rounds=1)
    assert report.runs >= 5 and report.p50_ms > 0
