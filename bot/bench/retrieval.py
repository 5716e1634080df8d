"""Speed, measured: answer latency (bundled and a synthetic 100,000-chunk corpus) and indexing throughput."""

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.bench.peer import PeerRetriever, index_into, peer_store
from bot.bench.rss import peak_rss_mb
from bot.config import Settings
from bot.retrieval.embedder import MiniLMEmbedder
from bot.retrieval.extractive import split_sentences
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.models import GLOBAL_SCOPE, scope_for
from bot.retrieval.search_index import ChunkRecord, ScopeIndex

BENCH_TEAM = "bench-index"
PASSES_PER_ROUND = 4
"""Passes over the sample questions each side makes per round of `bench ask`."""
SYNTHETIC_PASSES = 5
"""Passes over the sample questions on the synthetic corpus (the coach alone)."""
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

    @classmethod
    def of(cls, name: str, chunks: int, samples: Sequence[float]) -> "LatencyReport":
        """The report of these samples (milliseconds)."""
        return cls(
            name=name,
            chunks=chunks,
            runs=len(samples),
            p50_ms=statistics.median(samples),
            p95_ms=percentile(samples, 0.95),
        )

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
    """Indexing throughput over one or more runs of the same corpus (`chunks` and `chars` are per run): chunks
    and characters embedded and stored per second."""

    chunks: int
    chars: int
    mean_tokens: float
    run_seconds: tuple[float, ...]

    @property
    def seconds(self) -> float:
        """Seconds over every run."""
        return sum(self.run_seconds)

    @property
    def chunks_per_second(self) -> float:
        """Chunks per second over every run."""
        return self.chunks * len(self.run_seconds) / self.seconds if self.seconds else 0.0

    @property
    def chars_per_second(self) -> float:
        """Characters of chunk text per second over every run (chunk sizes differ between pipelines)."""
        return self.chars * len(self.run_seconds) / self.seconds if self.seconds else 0.0

    def then(self, other: "ThroughputReport") -> "ThroughputReport":
        """This report and another run of the same corpus, together."""
        return replace(self, run_seconds=self.run_seconds + other.run_seconds)

    def to_json(self) -> dict:
        """Plain numbers for `bench index --json`."""
        return {
            "chunks": self.chunks,
            "chars": self.chars,
            "mean_tokens_per_chunk": round(self.mean_tokens, 1),
            "runs": len(self.run_seconds),
            "run_seconds": [round(seconds, 3) for seconds in self.run_seconds],
            "chunks_per_second": round(self.chunks_per_second, 1),
            "chars_per_second": round(self.chars_per_second, 1),
        }


def ratio(coach: float, peer: float) -> float:
    """coach / peer (0.0 when the peer measured nothing)."""
    return coach / peer if peer else 0.0


@dataclass(frozen=True, slots=True)
class AskComparison:
    """The coach's answer against the peer's bare retrieval, alternated over the same questions in one run."""

    rounds: int
    coach: LatencyReport
    peer: LatencyReport

    def to_json(self) -> dict:
        """Both sides and the ratios (coach / peer)."""
        return {
            "rounds": self.rounds,
            "coach": self.coach.to_json(),
            "peer": self.peer.to_json(),
            "ratio": {
                "p50": round(ratio(self.coach.p50_ms, self.peer.p50_ms), 3),
                "p95": round(ratio(self.coach.p95_ms, self.peer.p95_ms), 3),
            },
        }


@dataclass(frozen=True, slots=True)
class AskBench:
    """What `bench ask` measured: coach against peer on the bundled knowledge, the coach on a large corpus, and
    this process's peak memory after the first (both pipelines over the bundled knowledge) and at the end."""

    bundled: AskComparison
    synthetic: LatencyReport
    peak_rss_bundled_mb: float
    peak_rss_mb: float

    def to_json(self) -> dict:
        """The stable `bench ask --json` schema (see `bench ask --help`)."""
        return {
            "bundled": self.bundled.to_json(),
            "synthetic": self.synthetic.to_json(),
            "peak_rss_bundled_mb": round(self.peak_rss_bundled_mb, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


@dataclass(frozen=True, slots=True)
class IndexComparison:
    """The coach's indexing against the peer's, alternated over the same corpus in one run."""

    coach: ThroughputReport
    peer: ThroughputReport
    peak_rss_mb: float

    def to_json(self) -> dict:
        """The stable `bench index --json` schema (see `bench index --help`)."""
        return {
            "rounds": len(self.coach.run_seconds),
            "coach": self.coach.to_json(),
            "peer": self.peer.to_json(),
            "ratio": {
                "chunks_per_second": round(ratio(self.coach.chunks_per_second, self.peer.chunks_per_second), 3),
                "chars_per_second": round(ratio(self.coach.chars_per_second, self.peer.chars_per_second), 3),
            },
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The sample at `fraction` (0..1) of the sorted samples (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _timed(ask: Callable[[str], object], questions: Sequence[str], *, passes: int) -> list[float]:
    """Milliseconds per question over `passes` passes of the questions."""
    samples = []
    for _ in range(passes):
        for question in questions:
            started = time.perf_counter()
            ask(question)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_answers(
    knowledge: KnowledgeBase, name: str, questions: Sequence[str] = SAMPLE_QUESTIONS, rounds: int = 10
) -> LatencyReport:
    """Time retrieval plus the extractive answer per question, in process, after one warm-up round."""
    _timed(knowledge.answer_sync, questions, passes=1)
    return LatencyReport.of(name, knowledge.chunk_count(), _timed(knowledge.answer_sync, questions, passes=rounds))


def compare_answers(
    knowledge: KnowledgeBase,
    peer: PeerRetriever,
    *,
    rounds: int,
    questions: Sequence[str] = SAMPLE_QUESTIONS,
) -> AskComparison:
    """Alternate `rounds` times the coach's answer and the peer's bare retrieval, after a warm-up of each."""
    _timed(knowledge.answer_sync, questions, passes=1)
    _timed(peer.retriever.invoke, questions, passes=1)
    coach: list[float] = []
    peered: list[float] = []
    for _ in range(rounds):
        coach += _timed(knowledge.answer_sync, questions, passes=PASSES_PER_ROUND)
        peered += _timed(peer.retriever.invoke, questions, passes=PASSES_PER_ROUND)
    return AskComparison(
        rounds=rounds,
        coach=LatencyReport.of("coach: retrieval + extractive answer", knowledge.chunk_count(), coach),
        peer=LatencyReport.of("peer: LangChain retriever.invoke", peer.chunks, peered),
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


async def time_indexing(knowledge: KnowledgeBase, corpus: Path) -> ThroughputReport:
    """Index `corpus` into a throwaway team scope (load, chunk, embed, store), timed; the scope is removed."""
    await asyncio.to_thread(knowledge.embedder.load)
    report = await knowledge.index_paths([corpus], team_id=BENCH_TEAM)
    index = knowledge.scope_index(scope_for(BENCH_TEAM))
    records = index.records if index else []
    lengths = [knowledge.embedder.token_count(r.lexical_text) for r in records] or [0]
    await knowledge.delete_team(BENCH_TEAM)
    return ThroughputReport(
        chunks=report.embedded_chunks,
        chars=sum(len(r.text) for r in records),
        mean_tokens=float(np.mean(lengths)),
        run_seconds=(report.seconds,),
    )


def time_peer_indexing(embedder: MiniLMEmbedder, corpus: Path) -> ThroughputReport:
    """Index `corpus` with the peer (load, split, embed, add to Chroma) into a fresh store of its own, timed."""
    embedder.load()
    with peer_store(embedder) as store:
        indexed = index_into(store, corpus)
    texts = [chunk.page_content for chunk in indexed.chunks]
    return ThroughputReport(
        chunks=len(texts),
        chars=sum(len(text) for text in texts),
        mean_tokens=float(np.mean([embedder.token_count(text) for text in texts] or [0])),
        run_seconds=(indexed.seconds,),
    )


async def compare_indexing(
    settings: Settings, source_dir: Path, *, rounds: int, files: int = 12, sections: int = 8
) -> IndexComparison:
    """Alternate `rounds` times the coach's indexing (a fresh store each round) and the peer's, over the same
    freshly written corpus of `files` x `sections` ~200-token markdown sections."""
    embedder = MiniLMEmbedder()
    coach: ThroughputReport | None = None
    peer: ThroughputReport | None = None
    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as folder:
        corpus = Path(folder) / "corpus"
        await asyncio.to_thread(write_bench_corpus, source_dir, corpus, files=files, sections=sections)
        for round_number in range(rounds):
            data_dir = Path(folder) / f"coach-{round_number}"
            scratch = settings.model_copy(update={"data_dir": data_dir, "chroma_url": None, "llm_model": ""})
            knowledge = await KnowledgeBase.open(scratch, embedder=embedder)
            try:
                measured = await time_indexing(knowledge, corpus)
            finally:
                await knowledge.close()
            coach = measured if coach is None else coach.then(measured)
            measured = await asyncio.to_thread(time_peer_indexing, embedder, corpus)
            peer = measured if peer is None else peer.then(measured)
    if coach is None or peer is None:
        raise ValueError("compare_indexing needs at least one round")
    return IndexComparison(coach=coach, peer=peer, peak_rss_mb=peak_rss_mb())


def run_ask_bench(
    knowledge: KnowledgeBase,
    peer: PeerRetriever,
    *,
    large: int = 100_000,
    rounds: int = 3,
    on_progress: Callable[[str], None] | None = None,
) -> AskBench:
    """`bench ask`: the coach against the peer on the bundled knowledge, then the coach on a synthetic corpus
    of `large` chunks."""
    bundled = compare_answers(knowledge, peer, rounds=rounds)
    bundled_peak = peak_rss_mb()
    if on_progress:
        on_progress(f"building a synthetic corpus of {large:,} chunks")
    original = knowledge.scope_index(GLOBAL_SCOPE)
    try:
        knowledge.use_index(GLOBAL_SCOPE, synthetic_index(knowledge, large))
        synthetic = time_answers(knowledge, f"synthetic {large:,} chunks", rounds=SYNTHETIC_PASSES)
    finally:
        if original is not None:
            knowledge.use_index(GLOBAL_SCOPE, original)
    return AskBench(bundled=bundled, synthetic=synthetic, peak_rss_bundled_mb=bundled_peak, peak_rss_mb=peak_rss_mb())
