"""The offline embedder: golden properties, verified files, truncation, and its two adapters."""

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.utils.embedding_functions import known_embedding_functions

from bot.errors import ConfigError
from bot.retrieval.embedder import (
    DIMENSION,
    MAX_TOKENS,
    ChromaMiniLM,
    LangChainMiniLM,
    MiniLMEmbedder,
    default_tokenizer_path,
)


def test_vectors_are_unit_length_and_384_wide(embedder):
    vectors = embedder.embed(["A data flywheel turns usage into a better product.", "short", "x" * 40])
    assert vectors.shape == (3, DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_paraphrases_rank_above_unrelated_text(embedder):
    pairs = [
        ("How do I get my bread dough to rise?", "Yeast makes the loaf expand while it proofs."),
        ("Which team owns the shared customer tables?", "The data platform group maintains common datasets."),
        ("Our model got worse after training on its own outputs", "Training on generated content degrades models."),
    ]
    questions = embedder.embed([q for q, _ in pairs])
    answers = embedder.embed([a for _, a in pairs])
    similarity = questions @ answers.T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2]


def test_batching_and_padding_do_not_change_a_vector(embedder):
    texts = ["one short line", "a much longer sentence " * 12, "medium length text about loops"]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed_one(t) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_text_beyond_256_tokens_is_truncated_not_rejected(embedder):
    long_text = "feedback loops improve products " * 200
    assert embedder.token_count(long_text) > MAX_TOKENS
    extended = long_text + " completely different ending about volcanoes and submarines " * 20
    np.testing.assert_allclose(embedder.embed_one(long_text), embedder.embed_one(extended), atol=1e-5)


def test_embedding_is_safe_from_several_threads(embedder):
    texts = [f"question number {n} about flywheels" for n in range(16)]
    expected = embedder.embed(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(embedder.embed_one, texts))
    np.testing.assert_allclose(np.stack(results), expected, atol=1e-4)


def test_a_tampered_tokenizer_is_refused(tmp_path: Path):
    tampered = tmp_path / "tokenizer.json"
    shutil.copy(default_tokenizer_path(), tampered)
    tampered.write_bytes(tampered.read_bytes() + b"\n")
    with pytest.raises(ConfigError, match="sha256"):
        MiniLMEmbedder(tokenizer_path=tampered).load()


def test_a_missing_model_file_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="missing"):
        MiniLMEmbedder(model_path=tmp_path / "model.onnx").load()


def test_the_model_loads_only_when_first_needed():
    fresh = MiniLMEmbedder(model_path=Path("/nonexistent/model.onnx"))
    with pytest.raises(ConfigError):
        fresh.embed(["now it loads"])


def test_langchain_adapter_returns_the_same_vectors(embedder):
    adapter = LangChainMiniLM(embedder)
    documents = adapter.embed_documents(["alpha text", "beta text"])
    query = adapter.embed_query("alpha text")
    assert len(documents) == 2 and len(documents[0]) == DIMENSION
    np.testing.assert_allclose(query, documents[0], atol=1e-5)


def test_chroma_function_is_registered_and_embeds_offline(embedder, tmp_path: Path):
    assert known_embedding_functions[ChromaMiniLM.name()] is ChromaMiniLM
    client = chromadb.PersistentClient(path=str(tmp_path), settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.create_collection("raw-test", embedding_function=ChromaMiniLM(embedder))
    collection.add(ids=["a", "b"], documents=["bread rises with yeast", "black holes bend light"])
    found = collection.query(query_texts=["how does dough expand?"], n_results=1)
    assert found["ids"] == [["a"]]
    assert ChromaMiniLM(embedder).default_space() == "cosine"
