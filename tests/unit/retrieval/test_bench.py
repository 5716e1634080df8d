"""The benchmark code paths run end to end on small sizes (figures are printed by the CLI, never asserted)."""

import json
from pathlib import Path

import pytest

from bot.bench.peer import CHUNK_SIZE, TOP_K, peer_retriever
from bot.bench.retrieval import (
    PASSES_PER_ROUND,
    SAMPLE_QUESTIONS,
    compare_indexing,
    run_ask_bench,
    synthetic_index,
    time_indexing,
    write_bench_corpus,
)
from bot.bench.slack import time_slack_answers
from bot.config import bundled_knowledge_dir, load_settings
from bot.retrieval.embedder import MiniLMEmbedder
from bot.retrieval.knowledge_base import KnowledgeBase


async def test_ask_bench_alternates_coach_and_peer_and_borrows_the_large_corpus(
    knowledge: KnowledgeBase, docs: Path, embedder: MiniLMEmbedder
):
    with peer_retriever(embedder, docs) as peer:
        assert len(peer.retriever.invoke("what breaks a flywheel?")) == min(TOP_K, peer.chunks)
        bench = run_ask_bench(knowledge, peer, large=500, rounds=2)
    coach, peered = bench.bundled.coach, bench.bundled.peer
    assert coach.chunks == knowledge.chunk_count() and peered.chunks == peer.chunks > 0
    assert coach.runs == peered.runs == 2 * PASSES_PER_ROUND * len(SAMPLE_QUESTIONS)
    assert bench.synthetic.chunks == 500
    assert knowledge.chunk_count() < 500  # the synthetic corpus was only borrowed
    figures = bench.to_json()
    assert set(figures) == {"bundled", "synthetic", "peak_rss_bundled_mb", "peak_rss_mb"}
    assert figures["bundled"]["ratio"] == {
        "p50": round(coach.p50_ms / peered.p50_ms, 3),
        "p95": round(coach.p95_ms / peered.p95_ms, 3),
    }
    assert figures["peak_rss_mb"] >= figures["peak_rss_bundled_mb"] > 50  # real readings in MB, of a peak


async def test_index_bench_alternates_fresh_stores_over_one_corpus(tmp_path: Path, docs: Path):
    settings = load_settings(FLYWHEEL_DATA_DIR=str(tmp_path / "data"), KNOWLEDGE_DIR=str(docs))
    comparison = await compare_indexing(settings, docs, rounds=2, files=1, sections=3)
    coach, peer = comparison.coach, comparison.peer
    assert coach.chunks == 3 and len(coach.run_seconds) == len(peer.run_seconds) == 2
    assert peer.chunks >= 3 and peer.chars <= peer.chunks * CHUNK_SIZE
    assert coach.mean_tokens > 100 and peer.mean_tokens > 100 and coach.chars > 0 and peer.chars > 0
    figures = comparison.to_json()
    assert figures["rounds"] == 2
    assert figures["coach"]["chunks_per_second"] == round(coach.chunks * 2 / sum(coach.run_seconds), 1)
    assert figures["ratio"]["chunks_per_second"] == pytest.approx(
        coach.chunks_per_second / peer.chunks_per_second, abs=1e-3
    )
    assert figures["ratio"]["chars_per_second"] == pytest.approx(
        coach.chars_per_second / peer.chars_per_second, abs=1e-3
    )


async def test_time_indexing_leaves_no_bench_scope(knowledge: KnowledgeBase, docs: Path, tmp_path: Path):
    write_bench_corpus(docs, tmp_path / "corpus", files=1, sections=2)
    throughput = await time_indexing(knowledge, tmp_path / "corpus")
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


def test_bench_ask_json_carries_both_sides_and_the_ratios(tmp_path: Path):
    from typer.testing import CliRunner

    from bot.cli import cli

    result = CliRunner().invoke(
        cli, ["bench", "ask", "--json", "--rounds", "1", "--chunks", "1000"], env={"FLYWHEEL_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures) == {"bundled", "synthetic", "peak_rss_bundled_mb", "peak_rss_mb"}
    bundled = figures["bundled"]
    assert set(bundled) == {"rounds", "coach", "peer", "ratio"} and bundled["rounds"] == 1
    latency_keys = {"name", "chunks", "runs", "p50_ms", "p95_ms"}
    assert set(bundled["coach"]) == set(bundled["peer"]) == set(figures["synthetic"]) == latency_keys
    assert bundled["coach"]["chunks"] > 100 and bundled["peer"]["chunks"] > 100  # the bundled guide, both ways
    assert figures["synthetic"]["chunks"] == 1000
    assert bundled["ratio"]["p50"] == pytest.approx(bundled["coach"]["p50_ms"] / bundled["peer"]["p50_ms"], rel=0.02)
    assert bundled["ratio"]["p95"] == pytest.approx(bundled["coach"]["p95_ms"] / bundled["peer"]["p95_ms"], rel=0.02)
    assert figures["peak_rss_mb"] > 50
