"""Precomputed vectors of the bundled knowledge's chunks and sentences, shipped so a first start embeds nothing.

The cache maps the sha256 of a chunk's embedding text to its vector. A chunk whose text changed simply
misses and is embedded as usual, so a stale cache costs time, never correctness. Regenerate it after
editing `knowledge/` with `python -m bot.retrieval.vector_cache`.
"""

import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from bot.retrieval.embedder import DIMENSION, MODEL_ID, MiniLMEmbedder

CACHE_FILE = "bundled_vectors.npz"


def text_key(text: str) -> str:
    """The cache key of an embedding text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class VectorCache:
    """Vectors by text key, for one embedding model."""

    def __init__(self, vectors: dict[str, np.ndarray], model_id: str = MODEL_ID) -> None:
        self.vectors = vectors if model_id == MODEL_ID else {}

    def __len__(self) -> int:
        return len(self.vectors)

    def get(self, text: str) -> np.ndarray | None:
        """The cached vector of `text`, if any."""
        return self.vectors.get(text_key(text))

    @classmethod
    def load(cls, path: Path) -> "VectorCache":
        """Read a cache file; a missing or unreadable one is an empty cache."""
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = [str(k) for k in data["keys"]]
                vectors = np.asarray(data["vectors"], dtype=np.float32).reshape(len(keys), DIMENSION)
                model_id = str(data["model_id"])
        except (OSError, KeyError, ValueError):
            return cls({})
        return cls(dict(zip(keys, vectors, strict=True)), model_id)

    @classmethod
    def bundled(cls) -> "VectorCache":
        """The cache shipped next to this module."""
        return cls.load(Path(str(resources.files("bot.retrieval").joinpath(CACHE_FILE))))


def write_cache(texts: Sequence[str], embedder: MiniLMEmbedder, path: Path) -> int:
    """Embed `texts` and write them as a cache file; returns how many vectors it holds."""
    unique = sorted(set(texts))
    vectors = embedder.embed(unique)
    np.savez_compressed(
        path, keys=np.array([text_key(t) for t in unique]), vectors=vectors, model_id=np.array(MODEL_ID)
    )
    return len(unique)


def bundled_texts(knowledge_dir: Path, embedder: MiniLMEmbedder) -> list[str]:
    """The embedding texts of every chunk of the bundled knowledge and of its sentences, as indexing makes them,
    and the off-topic examples the refusal policy compares questions with."""
    from bot.retrieval.chunking import chunk_document
    from bot.retrieval.indexing import sentence_embedding_texts
    from bot.retrieval.loading import discover, load_file
    from bot.retrieval.models import GLOBAL_SCOPE
    from bot.retrieval.off_topic import off_topic_questions

    texts: list[str] = off_topic_questions()
    for file in discover(knowledge_dir):
        document = load_file(file.path)
        chunks = chunk_document(
            document, source=file.source, scope=GLOBAL_SCOPE, file_hash="", token_count=embedder.token_count
        )
        for chunk in chunks:
            texts.append(chunk.embedding_text)
            texts.extend(sentence_embedding_texts(chunk))
    return texts


def main() -> None:
    """Rebuild the bundled cache from the bundled knowledge (a development step)."""
    from bot.config import bundled_knowledge_dir

    embedder = MiniLMEmbedder()
    target = Path(str(resources.files("bot.retrieval").joinpath(CACHE_FILE)))
    count = write_cache(bundled_texts(bundled_knowledge_dir(), embedder), embedder, target)
    print(f"wrote {count} vectors to {target}")


if __name__ == "__main__":
    main()
