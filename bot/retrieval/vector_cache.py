"""Precomputed vectors of the bundled knowledge's chunks and sentences, shipped so a first start embeds nothing.

The cache maps the sha256 of a chunk's embedding text to its vector, and of the text with a sentence's number
to that sentence's vector (pooled from the chunk's forward pass). A chunk whose text changed simply misses and
is embedded as usual, so a stale cache costs time, never correctness. Regenerate it after
editing `knowledge/` with `python -m bot.retrieval.vector_cache`.
"""

import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from bot.retrieval.embedder import DIMENSION, MODEL_ID, MiniLMEmbedder
from bot.retrieval.models import Chunk

CACHE_FILE = "bundled_vectors.npz"
CACHE_ID = f"{MODEL_ID}+sentences-pooled-in-chunk"
"""What the vectors were made with: a cache written another way (sentences embedded alone) is never read."""


def text_key(text: str) -> str:
    """The cache key of an embedding text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def sentence_key(chunk_text: str, number: int) -> str:
    """The cache key of the `number`th sentence vector of the chunk with embedding text `chunk_text`."""
    return text_key(f"sentence {number}\x1f{chunk_text}")


class VectorCache:
    """Vectors by text key, for one embedding model."""

    def __init__(self, vectors: dict[str, np.ndarray], cache_id: str = CACHE_ID) -> None:
        self.vectors = vectors if cache_id == CACHE_ID else {}

    def __len__(self) -> int:
        return len(self.vectors)

    def get(self, text: str) -> np.ndarray | None:
        """The cached vector of `text`, if any."""
        return self.vectors.get(text_key(text))

    def sentences(self, chunk_text: str, count: int) -> np.ndarray | None:
        """The `count` cached sentence vectors of a chunk, if all are cached."""
        rows = [self.vectors.get(sentence_key(chunk_text, number)) for number in range(count)]
        if any(row is None for row in rows):
            return None
        return np.array(rows, dtype=np.float32).reshape(count, DIMENSION)

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


def write_cache(chunks: Sequence[Chunk], embedder: MiniLMEmbedder, path: Path) -> int:
    """Embed `chunks` and their sentences as indexing does and write them as a cache file; returns how many
    vectors it holds."""
    from bot.retrieval.indexing import chunk_vectors

    unique = list({c.embedding_text: c for c in chunks}.values())
    entries: dict[str, np.ndarray] = {}
    for chunk, (vector, sentences) in zip(unique, chunk_vectors(embedder, unique), strict=True):
        entries[text_key(chunk.embedding_text)] = vector
        entries.update((sentence_key(chunk.embedding_text, n), row) for n, row in enumerate(sentences))
    keys = sorted(entries)
    np.savez_compressed(
        path,
        keys=np.array(keys),
        vectors=np.array([entries[k] for k in keys], dtype=np.float32).reshape(len(keys), DIMENSION),
        model_id=np.array(CACHE_ID),
    )
    return len(keys)


def bundled_chunks(knowledge_dir: Path, embedder: MiniLMEmbedder) -> list[Chunk]:
    """Every chunk of the bundled knowledge, as indexing makes them."""
    from bot.retrieval.chunking import chunk_document
    from bot.retrieval.loading import discover, load_file
    from bot.retrieval.models import GLOBAL_SCOPE

    chunks: list[Chunk] = []
    for file in discover(knowledge_dir):
        document = load_file(file.path)
        chunks += chunk_document(
            document, source=file.source, scope=GLOBAL_SCOPE, file_hash="", token_count=embedder.token_count
        )
    return chunks


def main() -> None:
    """Rebuild the bundled cache from the bundled knowledge (a development step)."""
    from bot.config import bundled_knowledge_dir

    embedder = MiniLMEmbedder()
    target = Path(str(resources.files("bot.retrieval").joinpath(CACHE_FILE)))
    count = write_cache(bundled_chunks(bundled_knowledge_dir(), embedder), embedder, target)
    print(f"wrote {count} vectors to {target}")


if __name__ == "__main__":
    main()
