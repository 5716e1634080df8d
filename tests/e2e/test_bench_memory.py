"""`bench memory` end to end: a real `serve` process, a workspace installed through OAuth, material indexed by
the real `index --team` command in another process, and the serving process's memory read from the kernel."""

from pathlib import Path

import pytest

from bot.bench.memory import run_memory_bench
from bot.bench.slack import run_load_bench
from bot.config import load_settings

SENTENCES = " ".join(
    f"Team {n} measured its loop every Thursday and shipped the smallest change that moved the metric."
    for n in range(12)
)


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """One short file, so the serving process's first start indexes in a moment."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "loop.md").write_text(f"# Loops\n\n## Measuring\n\n{SENTENCES}\n", encoding="utf-8")
    return folder


async def test_memory_bench_reads_the_serving_process_before_and_after_it_loads_a_team_corpus(
    tmp_path: Path, knowledge: Path, database_url: str
):
    settings = load_settings(
        FLYWHEEL_DATA_DIR=str(tmp_path / "data"), KNOWLEDGE_DIR=str(knowledge), DATABASE_URL=database_url
    )
    report = await run_memory_bench(settings, chunks=8)
    assert report.chunks == 8  # one file of eight ~200-token sections, each one chunk
    assert report.idle_rss_mb > 50  # a real reading of a process holding the model runtime, in MB
    assert report.peak_rss_mb >= max(report.idle_rss_mb, report.answered_rss_mb, report.loaded_rss_mb)
    assert set(report.to_json()) == {
        "chunks",
        "index_seconds",
        "idle_rss_mb",
        "answered_rss_mb",
        "loaded_rss_mb",
        "peak_rss_mb",
    }


async def test_load_bench_reads_each_replicas_peak_memory_at_idle_and_after_the_load(tmp_path: Path, knowledge: Path):
    settings = load_settings(FLYWHEEL_DATA_DIR=str(tmp_path / "data"), KNOWLEDGE_DIR=str(knowledge))
    report = await run_load_bench(settings, workspaces=2, replicas=1, seconds=2, in_flight=2)
    assert report.answers > 0 and report.lost == 0
    [idle], [loaded] = report.replica_peak_rss_idle_mb, report.replica_peak_rss_loaded_mb
    assert idle > 50 and loaded >= idle  # VmHWM, read twice from the live process, only grows
    assert report.to_json()["replica_peak_rss_loaded_mb"] == [round(loaded, 1)]
