"""Speed, measured: answer latency (bundled and a synthetic 100,000-chunk corpus) and indexing throughput."""

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.retrieval.extractive import split_sentences
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.models import GLOBAL_SCOPE, scope_for
from bot.retrieval.search_index import ChunkRecord, ScopeIndex

BENCH_TEAM = "bench-index"
SAMPLE_QUESTIONS = (
    "how did harvey start without any data?",
    "what breaks when data sits in silos",
    "duolingo session generator latency",
    "how many deployments a day does netflix do",
    "what is the deletion test",
    "why did klarna's flywheel plateau",
    "how do we avoid model collapse",
    "what happens on measure thursday",
    "what's a good banana bread recipe",
    "spotify vs klarna: why did one compound and the other stall",
)


@dataclass(frozen=True, slots=True)
class LatencyReport:
    """Latency percentiles of one benchmark, in milliseconds."""

    name: str
    chunks: int
    runs: int
    p50_ms: float
    p95_ms: float

    def to_json(self) -> dict:
        """Plain numbers for `bench ask --json`."""
        return {
            "name": self.name,
            "chunks": self.chunks,
            "runs": self.runs,
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
        }


@dataclass(frozen=True, slots=True)
class ThroughputReport:
    """Indexing throughput: chunks embedded and stored per second."""

    chunks: int
    seconds: float
    mean_tokens: float

    @property
    def chunks_per_second(self) -> float:
        """Chunks per second over the whole run."""
        return self.chunks / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        """Plain numbers for `bench index --json`."""
        return {
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "chunks_per_second": round(self.chunks_per_second, 1),
            "mean_tokens_per_chunk": round(self.mean_tokens, 1),
        }


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The sample at `fraction` (0..1) of the sorted samples (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def time_answers(
    knowledge: KnowledgeBase, name: str, questions: Sequence[str] = SAMPLE_QUESTIONS, rounds: int = 10
) -> LatencyReport:
    """Time retrieval plus the extractive answer per question, in process, after one warm-up round."""
    for question in questions:
        knowledge.answer_sync(question)
    samples = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            knowledge.answer_sync(question)
            samples.append((time.perf_counter() - started) * 1000)
    return LatencyReport(
        name=name,
        chunks=knowledge.chunk_count(),
        runs=len(samples),
        p50_ms=statistics.median(samples),
        p95_ms=percentile(samples, 0.95),
    )


def synthetic_index(knowledge: KnowledgeBase, size: int, *, seed: int = 7) -> ScopeIndex:
    """A corpus of `size` chunks: the real shared chunks plus synthetic ones made to look like them.

    Synthetic texts are shuffles of real sentences (so BM25 sees the real vocabulary and posting lengths);
    synthetic vectors are real chunk vectors plus noise, renormalised (so similarities have a realistic
    spread); synthetic sentence vectors are views of a real chunk's (one row per sentence, no copies). Nothing
    is embedded: building 100,000 chunks takes seconds, not hours.
    """
    base = knowledge.scope_index(GLOBAL_SCOPE)
    if base is None or not len(base):
        raise ValueError("index the bundled knowledge before building a synthetic corpus")
    rng = np.random.default_rng(seed)
    sentences = [s for record in base.records for s in split_sentences(record.text)]
    extra = max(0, size - len(base))
    records = list(base.records)
    donors = {
        count: [r.sentence_vectors[:count] for r in base.records if len(r.sentence_vectors) >= count]
        for count in range(3, 7)
    }
    for number in range(extra):
        picked = rng.choice(len(sentences), size=int(rng.integers(3, 7)), replace=False)
        text = " ".join(sentences[i] for i in picked)
        fitting = donors[len(picked)]
        vectors = fitting[int(rng.integers(len(fitting)))] if fitting else base.records[0].sentence_vectors
        records.append(
            ChunkRecord(f"synthetic-{number}", text, f"Synthetic {number // 8}", "Section", "synthetic", vectors)
        )
    noise = rng.standard_normal((extra, base.matrix.shape[1]), dtype=np.float32) * 0.05
    synthetic = base.matrix[rng.integers(0, len(base), size=extra)] + noise
    synthetic /= np.linalg.norm(synthetic, axis=1, keepdims=True)
    return ScopeIndex(records, np.vstack([base.matrix, synthetic]), knowledge.analyzer)


def write_bench_corpus(source_dir: Path, target: Path, *, files: int = 12, sections: int = 8) -> None:
    """Write `files` markdown files of `sections` ~200-token sections, made of `source_dir`'s sentences."""
    sentences = [
        s
        for path in sorted(source_dir.glob("*.md"))
        for s in split_sentences(path.read_text(encoding="utf-8"))
        if not s.startswith("#")
    ]
    rng = np.random.default_rng(11)
    target.mkdir(parents=True, exist_ok=True)
    for number in range(files):
        body = [f"# Benchmark document {number}"]
        for section in range(sections):
            words: list[str] = []
            while len(words) < 150:
                words += sentences[int(rng.integers(0, len(sentences)))].split()
            body.append(f"## Section {section}\n\n{' '.join(words)}")
        (target / f"doc-{number}.md").write_text("\n\n".join(body), encoding="utf-8")


async def time_indexing(
    knowledge: KnowledgeBase, source_dir: Path, *, files: int = 12, sections: int = 8
) -> ThroughputReport:
    """Index freshly written markdown (~200-token sections) into a throwaway team scope, timed."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "bench"
        await asyncio.to_thread(write_bench_corpus, source_dir, root, files=files, sections=sections)
        await asyncio.to_thread(knowledge.embedder.load)
        report = await knowledge.index_paths([root], team_id=BENCH_TEAM)
        index = knowledge.scope_index(scope_for(BENCH_TEAM))
        lengths = [knowledge.embedder.token_count(r.lexical_text) for r in index.records] if index else [0]
        await knowledge.delete_team(BENCH_TEAM)
    return ThroughputReport(chunks=report.embedded_chunks, seconds=report.seconds, mean_tokens=float(np.mean(lengths)))


def run_ask_bench(
    knowledge: KnowledgeBase,
    *,
    large: int = 100_000,
    rounds: int = 10,
    on_progress: Callable[[str], None] | None = None,
) -> list[LatencyReport]:
    """`bench ask`: latency on the bundled knowledge, then on a synthetic corpus of `large` chunks."""
    reports = [time_answers(knowledge, "bundled knowledge", rounds=rounds)]
    if on_progress:
        on_progress(f"building a synthetic corpus of {large:,} chunks")
    original = knowledge.scope_index(GLOBAL_SCOPE)
    try:
        knowledge.use_index(GLOBAL_SCOPE, synthetic_index(knowledge, large))
        reports.append(time_answers(knowledge, f"synthetic {large:,} chunks", rounds=max(1, rounds // 2)))
    finally:
        if original is not None:
            knowledge.use_index(GLOBAL_SCOPE, original)
    return reports
