"""Indexing: files into chunks into vectors into Chroma, incrementally by content hash."""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.retrieval.chroma_store import ChromaStore, FileEntry
from bot.retrieval.chunking import chunk_document
from bot.retrieval.embedder import DIMENSION, MiniLMEmbedder
from bot.retrieval.extractive import sentence_texts
from bot.retrieval.loading import (
    DEFAULT_MAX_BYTES,
    SourceFile,
    UnreadableFile,
    discover,
    ensure_regular_file,
    load_file,
)
from bot.retrieval.models import Chunk, FileResult, IndexReport, Outcome
from bot.retrieval.vector_cache import VectorCache

log = logging.getLogger(__name__)

EMBED_GROUP = 32


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """Where an indexing run is: `phase` is "scan" (reading files) or "embed" (computing vectors)."""

    phase: str
    done: int
    total: int
    current: str = ""


ProgressCallback = Callable[[IndexProgress], None]


@dataclass(slots=True)
class _PendingFile:
    """A new or changed file, chunked, waiting for its vectors."""

    file: SourceFile
    file_hash: str
    chunks: list[Chunk]
    previous: FileEntry | None
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    sentence_vectors: dict[str, np.ndarray] = field(default_factory=dict)


def sentence_embedding_texts(chunk: Chunk) -> list[str]:
    """What is embedded for each sentence of a chunk: the sentence under its heading, which says what it is about
    ("First, the signal must be aggregated" means little without "How to add network learning")."""
    return [f"{chunk.heading}\n{sentence}" for sentence in sentence_texts(chunk.text)]


def _file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Indexer:
    """Writes a scope's files into the store: unchanged files cost nothing, known chunks keep their vectors."""

    def __init__(self, store: ChromaStore, embedder: MiniLMEmbedder, vector_cache: VectorCache) -> None:
        self.store = store
        self.embedder = embedder
        self.vector_cache = vector_cache

    def run(
        self,
        roots: list[Path],
        scope: str,
        *,
        progress: ProgressCallback | None = None,
        prune_prefixes: tuple[str, ...] = (),
        max_file_bytes: int = DEFAULT_MAX_BYTES,
    ) -> IndexReport:
        """Bring `scope` up to date with the files under `roots`; blocking (run it in a worker thread).

        Sources that disappeared from under a root (or, for the bundled material, from under one of
        `prune_prefixes`) leave the index.
        """
        started = time.perf_counter()
        report = IndexReport()
        catalogue = self.store.catalogue(scope)
        files: list[SourceFile] = []
        for root in roots:
            if root.exists():
                files.extend(discover(root))
                continue
            gone = str(root.resolve())
            matches = [s for s, e in catalogue.items() if e.path == gone]
            if not matches:
                report.files.append(FileResult(str(root), Outcome.SKIPPED, reason="no such file or folder"))
        seen = {f.source for f in files}
        for source, entry in catalogue.items():
            if source in seen:
                continue
            under_root = any(entry.path == str(r.resolve()) or entry.path.startswith(f"{r.resolve()}/") for r in roots)
            if under_root or source.startswith(prune_prefixes):
                self.store.delete(entry.chunk_ids)
                report.changed = True
                report.files.append(FileResult(source, Outcome.REMOVED, len(entry.chunk_ids), "the file is gone"))
        pending = self._scan(files, scope, catalogue, report, progress, max_file_bytes)
        self._embed(pending, progress, report)
        for item in pending:
            stale = [i for i in item.previous.chunk_ids if i not in item.vectors] if item.previous else []
            self.store.delete(stale)
            vectors = np.array([item.vectors[c.id] for c in item.chunks], dtype=np.float32)
            self.store.upsert(
                item.chunks,
                vectors,
                sentence_vectors=[item.sentence_vectors[c.id] for c in item.chunks],
                scope=scope,
                path=str(item.file.path.resolve()),
            )
            report.changed = True
            report.files.append(FileResult(item.file.source, Outcome.INDEXED, len(item.chunks)))
        report.seconds = time.perf_counter() - started
        for result in report.skipped:
            log.warning("skipped %s: %s", result.source, result.reason)
        return report

    def _scan(
        self,
        files: list[SourceFile],
        scope: str,
        catalogue: dict[str, FileEntry],
        report: IndexReport,
        progress: ProgressCallback | None,
        max_file_bytes: int,
    ) -> list[_PendingFile]:
        pending: list[_PendingFile] = []
        for done, file in enumerate(files):
            if progress:
                progress(IndexProgress("scan", done, len(files), file.source))
            previous = catalogue.get(file.source)
            try:
                ensure_regular_file(file.path)  # before hashing: reading a FIFO would block the run forever
                size = file.path.stat().st_size
                if size > max_file_bytes:
                    raise UnreadableFile(f"too large ({size / 1e6:.1f} MB, the limit is {max_file_bytes / 1e6:.1f} MB)")
                file_hash = _file_hash(file.path.read_bytes())
                if previous and previous.file_hash == file_hash:
                    report.files.append(FileResult(file.source, Outcome.UNCHANGED, len(previous.chunk_ids)))
                    continue
                document = load_file(file.path, max_bytes=max_file_bytes)
                chunks = chunk_document(
                    document,
                    source=file.source,
                    scope=scope,
                    file_hash=file_hash,
                    token_count=self.embedder.token_count,
                )
                if not chunks:
                    raise UnreadableFile("no text in it")
            except (UnreadableFile, OSError) as error:
                reason = str(error) if isinstance(error, UnreadableFile) else f"cannot be read ({error.strerror})"
                if previous:
                    self.store.delete(previous.chunk_ids)
                    report.changed = True
                    reason += "; its previous version left the index"
                report.files.append(FileResult(file.source, Outcome.SKIPPED, reason=reason))
                continue
            pending.append(_PendingFile(file, file_hash, chunks, previous))
        if progress:
            progress(IndexProgress("scan", len(files), len(files)))
        return pending

    def _embed(self, pending: list[_PendingFile], progress: ProgressCallback | None, report: IndexReport) -> None:
        """Vectors for every pending chunk and its sentences: reused when already stored or cached, else computed.

        Sentences are embedded at index time so that answering only compares vectors.
        """
        reusable = [c.id for item in pending if item.previous for c in item.chunks if c.id in item.previous.chunk_ids]
        stored = self.store.vectors(reusable)
        texts: dict[str, np.ndarray | None] = {}
        for item in pending:
            for chunk in item.chunks:
                known = stored.get(chunk.id)
                if known is not None:
                    item.vectors[chunk.id] = known.chunk
                    if known.sentences is not None:
                        item.sentence_vectors[chunk.id] = known.sentences
                for text in self._texts_needed(item, chunk):
                    texts.setdefault(text, self.vector_cache.get(text))
        todo = [text for text, vector in texts.items() if vector is None]
        computed = set(todo)
        chunks = [(item, chunk) for item in pending for chunk in item.chunks]
        report.embedded_chunks = sum(c.id not in i.vectors and c.embedding_text in computed for i, c in chunks)
        report.reused_chunks = len(chunks) - report.embedded_chunks
        for start in range(0, len(todo), EMBED_GROUP):
            if progress:
                progress(IndexProgress("embed", start, len(todo)))
            group = todo[start : start + EMBED_GROUP]
            for text, vector in zip(group, self.embedder.embed(group), strict=True):
                texts[text] = vector
        if progress:
            progress(IndexProgress("embed", len(todo), len(todo)))
        for item in pending:
            for chunk in item.chunks:
                if chunk.id not in item.vectors:
                    item.vectors[chunk.id] = _known(texts, chunk.embedding_text)
                if chunk.id not in item.sentence_vectors:
                    sentences = [_known(texts, text) for text in sentence_embedding_texts(chunk)]
                    item.sentence_vectors[chunk.id] = np.array(sentences, dtype=np.float32).reshape(
                        len(sentences), DIMENSION
                    )

    @staticmethod
    def _texts_needed(item: _PendingFile, chunk: Chunk) -> list[str]:
        """The texts of a chunk that still need a vector: its own and, unless stored, its sentences'."""
        needed = [] if chunk.id in item.vectors else [chunk.embedding_text]
        if chunk.id not in item.sentence_vectors:
            needed.extend(sentence_embedding_texts(chunk))
        return needed


def _known(texts: dict[str, np.ndarray | None], text: str) -> np.ndarray:
    vector = texts[text]
    if vector is None:
        raise RuntimeError("every needed text was embedded above")
    return vector
