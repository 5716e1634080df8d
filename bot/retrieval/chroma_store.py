"""Chroma as the store of record: chunks, their vectors and metadata, per scope; embedded or a server."""

import base64
import fcntl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.client import Client
from chromadb.api.types import Embeddable, EmbeddingFunction, GetResult, Include, Metadata, Where
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from bot.errors import ConfigError
from bot.retrieval.embedder import DIMENSION, MODEL_ID, ChromaMiniLM, LangChainMiniLM, MiniLMEmbedder
from bot.retrieval.ledger import Seal
from bot.retrieval.models import TEAM_PREFIX, Chunk
from bot.retrieval.search_index import ChunkRecord

COLLECTION_NAME = "flywheel_knowledge"
_PAGE = 5000
SENTENCE_VECTORS = "sentence_vectors"
"""The metadata field holding a chunk's sentence vectors (float16, base64): stored with the chunk, so they are
written, reused by content hash and deleted together with it."""


def pack_vectors(vectors: np.ndarray) -> str:
    """Sentence vectors as compact text for Chroma metadata (float16 keeps cosines to about 1e-3)."""
    return base64.b64encode(np.asarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def unpack_vectors(packed: str) -> np.ndarray:
    """The (n, 384) float16 array `pack_vectors` wrote; kept in float16, since only the few sentences of the
    top passages are ever compared and a large corpus holds several sentences per chunk in memory."""
    return np.frombuffer(base64.b64decode(packed), dtype="<f2").reshape(-1, DIMENSION)


@dataclass(frozen=True, slots=True)
class StoredVectors:
    """A stored chunk's vector and its sentences' (None when it was indexed before sentences had vectors)."""

    chunk: np.ndarray
    sentences: np.ndarray | None


@dataclass(slots=True)
class FileEntry:
    """What the index holds of one file: its content hash, where it was read from, its chunk ids."""

    file_hash: str
    path: str
    chunk_ids: list[str] = field(default_factory=list)


def make_client(*, data_dir: Path, chroma_url: str | None) -> ClientAPI:
    """A Chroma server client when `chroma_url` is set, else an embedded store in `data_dir/chroma`."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"CHROMA_URL must look like http://host:port, not {chroma_url!r}.")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
        except Exception as error:
            raise ConfigError(f"Cannot reach the Chroma server at {chroma_url}: {error}") from None
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class ChromaStore:
    """One Chroma collection holding every scope's chunks, tagged with `scope` in their metadata.

    A scope with a seal (a workspace's own material) is stored sealed: its text, titles, sections, sources
    and paths are encrypted, so Chroma holds no readable text of it.
    """

    def __init__(self, client: ClientAPI, embedder: MiniLMEmbedder, name: str = COLLECTION_NAME) -> None:
        self.client = client
        self.name = name
        self.embedder = embedder
        self.seals: dict[str, Seal] = {}
        existing = next((c for c in client.list_collections() if c.name == name), None)
        built_with = (existing.metadata or {}).get("embedding_model") if existing is not None else MODEL_ID
        if built_with != MODEL_ID:
            raise ConfigError(
                f"The Chroma collection {name!r} was built with the embedding model {built_with!r}, "
                f"not {MODEL_ID!r}: delete it (or point FLYWHEEL_DATA_DIR/CHROMA_URL elsewhere) and re-index."
            )
        try:
            self.collection = client.get_or_create_collection(
                name,
                # chromadb types this parameter over every embeddable input; a text-only function is what it takes
                embedding_function=cast(EmbeddingFunction[Embeddable], ChromaMiniLM(embedder)),
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": MODEL_ID},
            )
        except ValueError as error:
            raise ConfigError(f"The Chroma collection {name!r} cannot be used: {error}") from None

    def close(self) -> None:
        """Release the client: an embedded store stops its threads once no other client of its path is open."""
        if isinstance(self.client, Client):  # every client chromadb makes; ClientAPI itself has no close()
            self.client.close()

    def langchain(self) -> Chroma:
        """The same collection as a LangChain vector store (embedding with our offline model)."""
        return Chroma(client=self.client, collection_name=self.name, embedding_function=LangChainMiniLM(self.embedder))

    def _pages(self, where: Where | None, include: Include) -> Iterator[GetResult]:
        offset = 0
        while True:
            page = self.collection.get(where=where, include=include, limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def _reveal(self, scope: str) -> Callable[[str], str]:
        seal = self.seals.get(scope)
        return seal.open if seal else _as_is

    def _conceal(self, scope: str) -> Callable[[str], str]:
        seal = self.seals.get(scope)
        return seal.close if seal else _as_is

    def catalogue(self, scope: str) -> dict[str, FileEntry]:
        """Every file indexed in `scope`, by source name."""
        files: dict[str, FileEntry] = {}
        reveal = self._reveal(scope)
        for page in self._pages({"scope": scope}, ["metadatas"]):
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                entry = files.setdefault(
                    reveal(_text(meta, "source")), FileEntry(_text(meta, "file_hash"), reveal(_text(meta, "path")))
                )
                entry.chunk_ids.append(chunk_id)
                if SENTENCE_VECTORS not in meta:
                    entry.file_hash = ""  # indexed before sentence vectors existed: index it again to add them
        return files

    def scopes(self) -> set[str]:
        """Every scope that has chunks."""
        return {_text(meta, "scope") for page in self._pages(None, ["metadatas"]) for meta in page["metadatas"] or []}

    def load_scope(self, scope: str) -> tuple[list[ChunkRecord], np.ndarray]:
        """All chunks of a scope with their vectors, in document order, for the in-memory mirror."""
        rows: list[tuple[tuple[str, int], ChunkRecord, Any]] = []
        reveal = self._reveal(scope)
        for page in self._pages({"scope": scope}, ["metadatas", "documents", "embeddings"]):
            for chunk_id, meta, text, vector in zip(
                page["ids"], page["metadatas"] or [], page["documents"] or [], _embeddings(page), strict=True
            ):
                source = reveal(_text(meta, "source"))
                record = ChunkRecord(
                    chunk_id, reveal(text), reveal(_text(meta, "title")), reveal(_text(meta, "section")), source
                )
                packed = meta.get(SENTENCE_VECTORS)
                if isinstance(packed, str):
                    record = replace(record, sentence_vectors=unpack_vectors(packed))
                position = meta.get("position")
                order = int(position) if isinstance(position, int | float) else 0
                rows.append(((source, order), record, vector))
        rows.sort(key=lambda row: row[0])
        vectors = np.array([row[2] for row in rows], dtype=np.float32).reshape(len(rows), DIMENSION)
        return [row[1] for row in rows], vectors

    def vectors(self, ids: Sequence[str]) -> dict[str, StoredVectors]:
        """The stored vectors (the chunk's and its sentences') of those `ids` that exist."""
        if not ids:
            return {}
        found = self.collection.get(ids=list(ids), include=["embeddings", "metadatas"])
        stored = {}
        for chunk_id, vector, meta in zip(found["ids"], _embeddings(found), found["metadatas"] or [], strict=True):
            packed = meta.get(SENTENCE_VECTORS)
            sentences = unpack_vectors(packed) if isinstance(packed, str) else None
            stored[chunk_id] = StoredVectors(np.asarray(vector, dtype=np.float32), sentences)
        return stored

    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        *,
        sentence_vectors: Sequence[np.ndarray],
        scope: str,
        path: str,
    ) -> None:
        """Write chunks with their vectors and their sentences' vectors (new ones added, existing ones updated)."""
        if not chunks:
            return
        conceal = self._conceal(scope)
        self.collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=[conceal(c.text) for c in chunks],
            metadatas=[
                {
                    **({"team_id": scope.removeprefix(TEAM_PREFIX)} if scope.startswith(TEAM_PREFIX) else {}),
                    "scope": scope,
                    "source": conceal(c.source),
                    "path": conceal(path),
                    "title": conceal(c.title),
                    "section": conceal(c.section),
                    "file_hash": c.file_hash,
                    "position": c.position,
                    SENTENCE_VECTORS: pack_vectors(sentences),
                }
                for c, sentences in zip(chunks, sentence_vectors, strict=True)
            ],
        )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        for start in range(0, len(ids), _PAGE):
            self.collection.delete(ids=list(ids[start : start + _PAGE]))

    def delete_scope(self, scope: str) -> int:
        """Remove every chunk of a scope (a workspace's own material); return how many went."""
        ids = [i for page in self._pages({"scope": scope}, []) for i in page["ids"]]
        self.delete(ids)
        return len(ids)


def _as_is(text: str) -> str:
    return text


def _text(meta: Metadata, key: str) -> str:
    """A text field of a chunk's stored metadata ("" when absent)."""
    value = meta.get(key)
    return value if isinstance(value, str) else ""


def _embeddings(page: GetResult) -> list[Any]:
    """The vectors of a page read with embeddings included, row by row."""
    embeddings = page["embeddings"]
    return [] if embeddings is None else list(embeddings)


def open_store(
    *, data_dir: Path, chroma_url: str | None, embedder: MiniLMEmbedder, name: str = COLLECTION_NAME
) -> ChromaStore:
    """The coach's collection in the Chroma server at `chroma_url`, or in the embedded store in `data_dir`."""
    if chroma_url:
        return ChromaStore(make_client(data_dir=data_dir, chroma_url=chroma_url), embedder, name)
    with _one_opener_at_a_time(data_dir):
        return ChromaStore(make_client(data_dir=data_dir, chroma_url=None), embedder, name)


@contextmanager
def _one_opener_at_a_time(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive file lock on the data dir while opening its embedded store.

    Chroma creates its SQLite schema and the collection on first open; two processes doing that at once
    (two `checkins run-due` started together on a fresh data dir) fail with "table ... already exists".
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "chroma.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
