"""The peer the benchmarks measure the coach against: LangChain's plain tutorial pipeline over the same material.

Its loader for the markdown files, RecursiveCharacterTextSplitter (1000 characters, 200 overlap), Chroma in a
temporary directory of its own, the same int8 MiniLM through `LangChainMiniLM`, and `as_retriever(k=4)`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_community.document_loaders import DirectoryLoader, TextLoader
from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStoreRetriever
from langchain_text_splitters import RecursiveCharacterTextSplitter

from bot.retrieval.embedder import LangChainMiniLM, MiniLMEmbedder

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
COLLECTION = "langchain_peer"


def load_markdown(folder: Path) -> list[Document]:
    """Every markdown file under `folder`, one document each, as the tutorial's DirectoryLoader reads them."""
    loader = DirectoryLoader(str(folder), glob="**/*.md", loader_cls=TextLoader, loader_kwargs={"encoding": "utf-8"})
    return sorted(loader.load(), key=lambda document: str(document.metadata.get("source", "")))


def split(documents: list[Document]) -> list[Document]:
    """The tutorial's chunks: RecursiveCharacterTextSplitter at 1000 characters with 200 of overlap."""
    return RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP).split_documents(documents)


@dataclass(frozen=True, slots=True)
class PeerIndexing:
    """One indexing run of the peer: its chunks and how long loading, splitting, embedding and storing took."""

    chunks: list[Document]
    seconds: float


@contextmanager
def peer_store(embedder: MiniLMEmbedder) -> Iterator[Chroma]:
    """An empty Chroma vector store in a temporary directory of its own, embedding with our MiniLM."""
    with tempfile.TemporaryDirectory(prefix="flywheel-peer-") as folder:
        store = Chroma(
            collection_name=COLLECTION,
            embedding_function=LangChainMiniLM(embedder),
            persist_directory=folder,
            client_settings=ChromaSettings(anonymized_telemetry=False),
        )
        try:
            yield store
        finally:
            store.delete_collection()


def index_into(store: Chroma, folder: Path) -> PeerIndexing:
    """Load, split, embed and add `folder`'s markdown to `store`, timed."""
    started = time.perf_counter()
    chunks = split(load_markdown(folder))
    store.add_documents(chunks)
    return PeerIndexing(chunks=chunks, seconds=time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class PeerRetriever:
    """The peer's retriever (`as_retriever(k=4)`) and how many chunks it searches."""

    retriever: VectorStoreRetriever
    chunks: int


@contextmanager
def peer_retriever(embedder: MiniLMEmbedder, folder: Path) -> Iterator[PeerRetriever]:
    """The peer's retriever over `folder`'s markdown, for as long as the block runs."""
    with peer_store(embedder) as store:
        indexed = index_into(store, folder)
        yield PeerRetriever(store.as_retriever(search_kwargs={"k": TOP_K}), len(indexed.chunks))
