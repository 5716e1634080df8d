"""`bench memory` end to end: a real `serve` process, a workspace installed through OAuth, material indexed by
the real `index --team` command in another process, and the serving process's memory read from the kernel."""

from pathlib import Path

from bot.bench.memory import run_memory_bench
from bot.config import load_settings

SENTENCES = " ".join(
    f"Team {n} measured its loop every Thursday and shipped the smallest change that moved the metric."
    for n in range(12)
)


async def test_memory_bench_reads_the_serving_process_before_and_after_it_loads_a_team_corpus(
    tmp_path: Path, database_url: str
):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "loop.md").write_text(f"# Loops\n\n## Measuring\n\n{SENTENCES}\n", encoding="utf-8")
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
