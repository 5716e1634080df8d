"""The in-memory hot path: a matrix of chunk vectors and a BM25 index per scope, mirrored from Chroma."""

from dataclasses import dataclass, field

import numpy as np

from bot.retrieval.clusters import ChunkVectors
from bot.retrieval.embedder import DIMENSION
from bot.retrieval.lexical import Analyzer, LexicalIndex
from bot.retrieval.models import Passage
from bot.retrieval.spelling import Vocabulary


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """What the hot path needs of a stored chunk."""

    id: str
    text: str
    title: str
    section: str
    source: str
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, DIMENSION), dtype=np.float32))
    """One row per sentence of `text` (as `extractive.sentence_texts` splits it), embedded at index time under its
    heading (`indexing.sentence_embedding_texts`)."""

    @property
    def lexical_text(self) -> str:
        """Headings count for words too."""
        return f"{self.title} {self.section}\n{self.text}"


class ScopeIndex:
    """One scope's chunks (the shared knowledge, or one team's material), searchable in memory."""

    def __init__(self, records: list[ChunkRecord], vectors: np.ndarray, analyzer: Analyzer) -> None:
        if len(records) != len(vectors):
            raise ValueError("every record needs exactly one vector")
        self.records = records
        self.vectors = ChunkVectors(vectors)
        self.lexical = LexicalIndex([r.lexical_text for r in records], analyzer)
        self._sentence_vectors = {r.id: r.sentence_vectors for r in records}
        # The words to correct misspellings against, counted as the scope loads (off the event loop) rather than
        # on a question: 100,000 chunks take about 2 s.
        self.vocabulary = Vocabulary(r.lexical_text for r in records)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def matrix(self) -> np.ndarray:
        """Every chunk's vector, in the order of `records`."""
        return self.vectors.matrix

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every chunk to the (normalised) query vector (in a large scope, only the chunks
        near it are compared: see `clusters`)."""
        return self.vectors.scores(query_vector)

    def lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query."""
        return self.lexical.scores(query)

    def sentence_vectors(self, chunk_id: str) -> np.ndarray | None:
        """The sentence vectors of a chunk of this scope (None when it is not here)."""
        return self._sentence_vectors.get(chunk_id)

    def passage(self, position: int, score: float) -> Passage:
        """The chunk at `position` as a scored passage."""
        r = self.records[position]
        return Passage(id=r.id, text=r.text, title=r.title, section=r.section, source=r.source, score=score)
