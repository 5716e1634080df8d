"""How much a question reads like the questions a coach on data flywheels is not for.

Matching the material alone cannot tell "what learning rate should we fine-tune with" from a question about
the material's learning loops: the words and much of the meaning are there. Written examples of what is off
topic (`off_topic_questions.txt`: people matters, errands, tooling set-up, prices, hyperparameters, trivia) give
the refusal policy the other side of the comparison.
"""

import threading
from importlib import resources

import numpy as np

from bot.retrieval.embedder import MiniLMEmbedder
from bot.retrieval.vector_cache import VectorCache

QUESTIONS_FILE = "off_topic_questions.txt"
NEAREST = 3
"""How many of the examples the likeness averages: one close example can be a coincidence of wording."""


def off_topic_questions() -> list[str]:
    """The example questions shipped with the package (comment lines and blanks skipped)."""
    text = resources.files("bot.retrieval").joinpath(QUESTIONS_FILE).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


class OffTopic:
    """The examples' vectors (from the bundled cache, embedded on first use otherwise) and a question's likeness
    to them."""

    def __init__(self, embedder: MiniLMEmbedder, vector_cache: VectorCache) -> None:
        self._embedder = embedder
        self._vector_cache = vector_cache
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def _examples(self) -> np.ndarray:
        matrix = self._matrix
        if matrix is not None:
            return matrix
        with self._lock:
            if self._matrix is None:
                questions = off_topic_questions()
                cached = [self._vector_cache.get(q) for q in questions]
                missing = [q for q, vector in zip(questions, cached, strict=True) if vector is None]
                embedded = iter(self._embedder.embed(missing))
                self._matrix = np.vstack([vector if vector is not None else next(embedded) for vector in cached])
            return self._matrix

    def likeness(self, query_vector: np.ndarray) -> float:
        """The mean cosine of the (normalised) question vector to its `NEAREST` closest examples."""
        cosines = self._examples() @ query_vector
        nearest = np.partition(cosines, len(cosines) - NEAREST)[-NEAREST:]
        return float(nearest.mean())
