"""`bench memory`: the resident memory of one `serve` process at idle, answering, and after it has loaded a
workspace's own corpus of N chunks indexed through the real `flywheel-coach index --team` path."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
from dataclasses import dataclass

from bot.bench.retrieval import SAMPLE_QUESTIONS, write_bench_corpus
from bot.bench.rss import process_memory_mb
from bot.bench.slack import FLYWHEEL, InstalledWorkspace, Replica, bench_fleet, install_workspace, replica_environment
from bot.config import Settings
from bot.errors import CoachError

SECTIONS_PER_FILE = 8
ANSWER_TIMEOUT_SECONDS = 60.0
QUESTION = SAMPLE_QUESTIONS[0]


@dataclass(frozen=True, slots=True)
class MemoryReport:
    """What `bench memory` measured of one `serve` process, in MB (VmRSS now; VmHWM the peak so far)."""

    chunks: int
    index_seconds: float
    idle_rss_mb: float
    answered_rss_mb: float
    loaded_rss_mb: float
    peak_rss_mb: float

    def to_json(self) -> dict[str, float | int]:
        """The stable `bench memory --json` schema (see `bench memory --help`)."""
        return {
            "chunks": self.chunks,
            "index_seconds": round(self.index_seconds, 2),
            "idle_rss_mb": round(self.idle_rss_mb, 1),
            "answered_rss_mb": round(self.answered_rss_mb, 1),
            "loaded_rss_mb": round(self.loaded_rss_mb, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


async def run_memory_bench(settings: Settings, *, chunks: int) -> MemoryReport:
    """Start one `serve` process (as `bench slack` does), install a workspace, read its memory at idle and after
    one answer, index about `chunks` ~200-token chunks for that workspace from another process, ask again (the
    replica loads the workspace's material before answering) and read its memory once more.

    The database is DATABASE_URL (else a fresh SQLite file) and the Chroma server CHROMA_URL (else one this run
    starts and stops); on a shared server the workspace's data is deleted again at the end.
    """
    async with bench_fleet(settings, 1) as bench:
        slack, workdir, database_url, chroma_url = bench.slack, bench.workdir, bench.database_url, bench.chroma_url
        knowledge_dir = settings.resolved_knowledge_dir
        [replica] = bench.replicas
        slack.set_request_url(replica.events_url)
        workspace = await install_workspace(slack, "MemoryBench", install_from=replica.base_url)
        idle, _ = process_memory_mb(replica.process.pid)
        await _ask(workspace)
        answered, _ = process_memory_mb(replica.process.pid)
        corpus = workdir / "corpus"
        files = max(1, math.ceil(chunks / SECTIONS_PER_FILE))
        await asyncio.to_thread(write_bench_corpus, knowledge_dir, corpus, files=files, sections=SECTIONS_PER_FILE)
        environment = replica_environment(
            slack,
            redirect_uri=f"{replica.base_url}/slack/oauth_redirect",
            database_url=database_url,
            chroma_url=chroma_url,
            data_dir=workdir / "indexer",
            knowledge_dir=knowledge_dir,
        )
        team_id = workspace.team.team_id
        try:
            indexed = await _cli(environment, "index", str(corpus), "--team", team_id, "--json")
            await _ask(workspace)
            loaded, peak = process_memory_mb(replica.process.pid)
            _check_alive(replica)
        finally:
            if settings.chroma_url or settings.database_url:
                await _cli(environment, "workspace", "delete", team_id, "--yes")
    return MemoryReport(
        chunks=int(indexed["embedded_chunks"]),
        index_seconds=float(indexed["seconds"]),
        idle_rss_mb=idle,
        answered_rss_mb=answered,
        loaded_rss_mb=loaded,
        peak_rss_mb=peak,
    )


async def _ask(workspace: InstalledWorkspace) -> None:
    """Mention the coach with a question and wait for its answer in the thread."""
    thread = await workspace.person.mention(workspace.channel, QUESTION)
    await workspace.team.wait_for_message(channel=workspace.channel, thread_ts=thread, timeout=ANSWER_TIMEOUT_SECONDS)


async def _cli(environment: dict[str, str], *arguments: str) -> dict:
    """Run `flywheel-coach ARGUMENTS` as its own process; its JSON output (or {} when it prints none)."""
    process = await asyncio.create_subprocess_exec(
        str(FLYWHEEL),
        *arguments,
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await process.communicate()
    if process.returncode:
        last = errors.decode(errors="replace").strip().splitlines() or ["(no output)"]
        raise CoachError(f"flywheel-coach {arguments[0]} exited with {process.returncode}: {last[-1]}")
    with contextlib.suppress(ValueError):
        parsed = json.loads(output)
        if isinstance(parsed, dict):
            return parsed
    return {}


def _check_alive(replica: Replica) -> None:
    """A replica that died during the run measured nothing: say so rather than print zeros."""
    if replica.process.returncode is not None:
        raise CoachError(f"the serve process exited with {replica.process.returncode} during the memory bench")
