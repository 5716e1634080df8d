"""The knowledge base: index material into Chroma, search it from memory, answer from it with sources."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from langchain_core.language_models import BaseChatModel

from bot.errors import ConfigError, InputError
from bot.retrieval.chroma_store import COLLECTION_NAME, ChromaStore, open_store
from bot.retrieval.embedder import MiniLMEmbedder, WordVectors
from bot.retrieval.extractive import (
    Ask,
    SentenceCache,
    SimilarityOf,
    ask_of,
    extractive_answer,
    quoted_term,
    topic_terms,
)
from bot.retrieval.followup import (
    contextual_query,
    question_parts,
    situation_of,
    without_style_request,
    without_trailing_remark,
)
from bot.retrieval.generation import build_messages, stream_with_fallback
from bot.retrieval.grounding import Grounding, GroundingPolicy, most_missing, nearest_topics, refusal_text
from bot.retrieval.indexing import Indexer, ProgressCallback
from bot.retrieval.ledger import MaterialLedger, MemoryLedger, Seal
from bot.retrieval.lexical import Analyzer, LexicalIndex, inverse_document_frequency
from bot.retrieval.loading import DEFAULT_MAX_BYTES
from bot.retrieval.models import (
    GLOBAL_SCOPE,
    TEAM_PREFIX,
    Answer,
    IndexReport,
    Passage,
    scope_for,
)
from bot.retrieval.off_topic import OffTopic
from bot.retrieval.ranking import (
    ASKS_WITH_HEADINGS,
    COSINE_SCALE,
    HEADING_POOL,
    Ranking,
    Retriever,
    apply_vote_prior,
    prefer_headings_that_answer,
    rank,
    with_best_match_second,
)
from bot.retrieval.search_index import ScopeIndex
from bot.retrieval.shorthand import spelled_out
from bot.retrieval.spelling import corrected
from bot.retrieval.vector_cache import VectorCache

log = logging.getLogger(__name__)

DEFAULT_RETRIEVER = Retriever.FUSED
CANDIDATES = 8
ANSWER_PASSAGES = 4
# The extractive answer may also quote a fifth or sixth passage when it scores close to the top one.
EXTRACTIVE_PASSAGES = 6
GROUNDING_PASSAGES = 3
# A question that rests on one word ("our flywheel flatlined, what first?": the word holds at least this share of
# its idf weight) which the material has but the passages found by meaning lack gets the passage that word
# finds beside the top one. Chosen, not fitted: at 0.6 and above it changed one answer on the three sets, from
# declined to right; 0.3-0.5 also lifted passages for words such as "draw" and "skip", and let out-of-scope
# questions through.
MAIN_WORD_SHARE = 0.7
MAX_QUESTION_CHARS = 2000
LLM_TIMEOUT_S = 20.0
# One quick retry for a blip (a dropped connection, a 502); the answer's deadline bounds it anyway.
LLM_MAX_RETRIES = 1
# Which extra of ours installs each provider's LangChain integration.
PROVIDER_EXTRAS = {"openai": "openai", "anthropic": "anthropic", "ollama": "ollama"}


class KnowledgeSettings(Protocol):
    """What opening a knowledge base reads of the settings: where the store is, and which model writes answers."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def chroma_url(self) -> str | None: ...

    @property
    def llm_model(self) -> str: ...

    @property
    def llm_timeout_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What a question retrieved: the question as read, the query used, the ranking, and whether the material
    can answer."""

    question: str
    """Trimmed, without a request about how to put the answer ("in one sentence"): what the answer answers."""
    query: str
    ranking: Ranking
    grounding: Grounding
    idf: Callable[[str], float]
    similarity_of: SimilarityOf | None = None
    """Each sentence's cosine to the question, for the passages ranked (None for word-only retrieval)."""
    best_sentence: float = 0.0
    """The highest of those cosines in the top passages."""
    off_topic: float = 0.0
    """How much the question reads like the examples of questions the coach is not for (`OffTopic.likeness`)."""
    part_similarity_of: tuple[SimilarityOf, ...] = ()
    """Each sentence's cosine to each part of a question of several parts (the sides of "X vs Y")."""

    @property
    def grounded(self) -> bool:
        """Whether the material supports an answer (the closest it has included)."""
        return self.grounding is not Grounding.DECLINED

    @property
    def closest(self) -> bool:
        """Whether the answer is only the closest the material comes (see `GroundingPolicy.closest_below`)."""
        return self.grounding is Grounding.CLOSEST


class AnswerStream:
    """An answer being produced: sources are known at once, the text arrives in pieces.

    Iterate it for the text pieces (feed them to Slack's chat_stream); `answer` is the whole answer once
    the iteration has finished. Without an LLM the text arrives in one piece. If the LLM fails before its
    first word, the extractive answer replaces it and `sources` switch to the ones that answer cites.
    """

    def __init__(
        self,
        retrieval: Retrieval,
        pieces: AsyncIterator[tuple[str, bool]],
        sources: list[Passage],
        fallback_sources: list[Passage] | None = None,
        *,
        in_pieces: bool = False,
    ) -> None:
        self.retrieval = retrieval
        self.in_pieces = in_pieces
        """Whether a model writes the text, piece by piece (worth streaming), rather than all at once."""
        self.sources = sources
        self._fallback_sources = sources if fallback_sources is None else fallback_sources
        self._pieces = pieces
        self._text: list[str] = []
        self._generated = False
        self._done = False

    @property
    def grounded(self) -> bool:
        """Whether the material supports an answer (otherwise the text is an honest refusal)."""
        return self.retrieval.grounded

    async def __aiter__(self) -> AsyncIterator[str]:
        async for text, generated in self._pieces:
            if not self._text and not generated:
                self.sources = self._fallback_sources
            self._generated = self._generated or generated
            self._text.append(text)
            yield text
        self._done = True

    async def complete(self) -> Answer:
        """Read the rest of the text and give the whole answer."""
        async for _ in self:
            pass
        return self.answer

    @property
    def answer(self) -> Answer:
        """The complete answer (only after the stream was read to the end)."""
        if not self._done:
            raise RuntimeError("read the stream to the end before asking for the whole answer")
        ranking = self.retrieval.ranking
        return Answer(
            text="".join(self._text).strip(),
            grounded=self.retrieval.grounded,
            closest=self.retrieval.closest,
            sources=self.sources,
            nearest_topics=[] if self.retrieval.grounded else nearest_topics(ranking.passages),
            confidence=ranking.confidence,
            generated=self._generated,
            passages=ranking.passages,
        )


class KnowledgeBase:
    """Chroma is the store of record; each scope is mirrored in memory (vectors + BM25) for fast search.

    The bundled material is the global scope, searched for everyone; a team's own material is searched
    only for that team. Blocking work (embedding, Chroma, ranking) runs in worker threads.
    """

    def __init__(
        self,
        store: ChromaStore,
        embedder: MiniLMEmbedder,
        *,
        chat_model: BaseChatModel | None = None,
        retriever: Retriever = DEFAULT_RETRIEVER,
        grounding: GroundingPolicy | None = None,
        max_file_bytes: int = DEFAULT_MAX_BYTES,
        llm_timeout: float = LLM_TIMEOUT_S,
        vector_cache: VectorCache | None = None,
        ledger: MaterialLedger | None = None,
    ) -> None:
        self.store = store
        self.ledger: MaterialLedger = ledger or MemoryLedger()
        self.vector_cache = vector_cache or VectorCache({})
        self.embedder = embedder
        self.words = WordVectors(embedder)
        self.off_topic = OffTopic(embedder, self.vector_cache)
        self.chat_model = chat_model
        self.retriever = retriever
        self.grounding = grounding or GroundingPolicy()
        self.max_file_bytes = max_file_bytes
        self.llm_timeout = llm_timeout
        self.analyzer = Analyzer()
        self.sentences = SentenceCache(self.analyzer)
        self.indexer = Indexer(store, embedder, self.vector_cache)
        self._indexes: dict[str, ScopeIndex] = {}
        self._versions: dict[str, int] = {}
        self._vote_counts: Mapping[str, tuple[int, int]] = {}
        self._index_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        settings: KnowledgeSettings,
        *,
        embedder: MiniLMEmbedder | None = None,
        chat_model: BaseChatModel | None = None,
        collection_name: str = COLLECTION_NAME,
        **options: Any,
    ) -> "KnowledgeBase":
        """Open (or create) the store named by `settings` (data_dir, chroma_url, llm_model, llm_timeout_s)."""
        embedder = embedder or MiniLMEmbedder()

        store = await asyncio.to_thread(
            open_store,
            data_dir=Path(settings.data_dir),
            chroma_url=settings.chroma_url,
            embedder=embedder,
            name=collection_name,
        )
        options.setdefault("vector_cache", await asyncio.to_thread(VectorCache.bundled))
        if chat_model is None and settings.llm_model:
            chat_model = _chat_model(settings.llm_model, timeout=settings.llm_timeout_s)
        options.setdefault("llm_timeout", settings.llm_timeout_s)
        knowledge = cls(store, embedder, chat_model=chat_model, **options)
        await knowledge.refresh()
        return knowledge

    async def close(self) -> None:
        """Drop the in-memory mirror and release the Chroma client (an embedded store's threads and files)."""
        self._indexes = {}
        await asyncio.to_thread(self.store.close)

    async def refresh(self) -> None:
        """Reload every scope from Chroma (a workspace's material only while it still has its key)."""
        scopes = await asyncio.to_thread(self.store.scopes) | {GLOBAL_SCOPE}
        versions = await self.ledger.versions(scopes)
        indexes = {}
        for scope in scopes:
            if await self._unseal(scope, create=False):
                indexes[scope] = await asyncio.to_thread(self._load_scope, scope)
        self._indexes = indexes
        self._versions = versions

    @staticmethod
    def scopes_for(team_id: str | None) -> list[str]:
        """The scopes a question of `team_id` searches: the shared material, and the workspace's own."""
        return [GLOBAL_SCOPE] if team_id is None else [GLOBAL_SCOPE, scope_for(team_id)]

    async def sync(self, team_id: str | None = None, versions: Mapping[str, int] | None = None) -> None:
        """Reload the shared scope and `team_id`'s if another process changed them (indexed, or deleted).

        `versions` are the scopes' current versions when the caller has read them already.
        """
        scopes = self.scopes_for(team_id)
        if versions is None:
            versions = await self.ledger.versions(scopes)
        stale = [scope for scope in scopes if versions.get(scope, 0) != self._versions.get(scope, 0)]
        if not stale:
            return
        async with self._index_lock:
            for scope in stale:
                if await self._unseal(scope, create=False):
                    index = await asyncio.to_thread(self._load_scope, scope)
                    self._indexes = {**self._indexes, scope: index}
                else:
                    self._indexes = {s: i for s, i in self._indexes.items() if s != scope}
                self._versions = {**self._versions, scope: versions.get(scope, 0)}

    async def _unseal(self, scope: str, *, create: bool) -> bool:
        """Give the store the key of a workspace's scope; False when that workspace has none (deleted)."""
        if not scope.startswith(TEAM_PREFIX):
            return True
        key = await self.ledger.key(scope.removeprefix(TEAM_PREFIX), create=create)
        if key is None:
            self.store.seals.pop(scope, None)
            return False
        self.store.seals[scope] = Seal(key)
        return True

    def _load_scope(self, scope: str) -> ScopeIndex:
        records, vectors = self.store.load_scope(scope)
        # Sentence splitting and analysis happen here, once per chunk, rather than per question.
        self.sentences.warm([record.text for record in records])
        return ScopeIndex(records, vectors, self.analyzer)

    def chunk_count(self, team_id: str | None = None) -> int:
        """How many chunks a scope holds (the global scope when `team_id` is None)."""
        index = self._indexes.get(scope_for(team_id))
        return len(index) if index else 0

    def scope_index(self, scope: str) -> ScopeIndex | None:
        """The in-memory index of a scope, if it has one."""
        return self._indexes.get(scope)

    def use_index(self, scope: str, index: ScopeIndex) -> None:
        """Search `index` for `scope` from now on (benchmarks load synthetic corpora this way)."""
        self._indexes = {**self._indexes, scope: index}

    def set_vote_counts(self, counts: Mapping[str, tuple[int, int]]) -> None:
        """Use these per-passage (up, down) vote counts, from every workspace, as the ranking prior."""
        self._vote_counts = dict(counts)

    def add_votes(self, passage_ids: Iterable[str], *, up: int = 0, down: int = 0) -> None:
        """Move the prior by one vote change (negative numbers take a vote back).

        Plain sums, never clamped here: changes of votes cast at once may arrive in any order, and only
        sums give the same counts whatever the order (readers clamp).
        """
        counts = dict(self._vote_counts)
        for passage_id in passage_ids:
            old_up, old_down = counts.get(passage_id, (0, 0))
            counts[passage_id] = (old_up + up, old_down + down)
        self._vote_counts = counts

    def vote_counts(self, passage_id: str) -> tuple[int, int]:
        """The (up, down) votes the prior holds for a passage."""
        up, down = self._vote_counts.get(passage_id, (0, 0))
        return max(0, up), max(0, down)

    # ---- search

    def _scopes(self, team_id: str | None) -> list[ScopeIndex]:
        return [self._indexes[s] for s in self.scopes_for(team_id) if s in self._indexes]

    def retrieve_sync(
        self,
        question: str,
        *,
        team_id: str | None = None,
        history: Sequence[str] | None = None,
        k: int = CANDIDATES,
        retriever: Retriever | None = None,
    ) -> Retrieval:
        """Rank passages for a question (in the calling thread) and decide whether the material answers it."""
        question = question.strip()[:MAX_QUESTION_CHARS]
        if not question:
            raise InputError("Ask a question, for example: how do we start a flywheel with no data?")
        retriever = retriever or self.retriever
        scopes = self._scopes(team_id)
        question = corrected(
            spelled_out(without_trailing_remark(without_style_request(question))),
            [index.vocabulary for index in scopes],
        )
        lexical_indexes = [index.lexical for index in scopes]

        def idf(term: str) -> float:
            return inverse_document_frequency(term, lexical_indexes)

        ask = ask_of(question)
        # "what is a moat?" is short but asks about what it names, not about the thread's last question.
        query = contextual_query(
            question, history, self._word_weight(idf, lexical_indexes), names_its_topic=ask is Ask.DEFINITION
        )
        defined = quoted_term(question) if ask is Ask.DEFINITION and query == question else None
        if defined:  # "when someone says a flywheel 'hit critical mass', what does that mean": look up the quote
            query = f"what does '{defined}' mean"
        if query == question:  # "..., where do we start?": search for the situation, which is one thing
            query = situation_of(question)
        parts = question_parts(question) if query == question else []
        # One model run for the question and its parts: short texts batch almost for free.
        vectors = (
            [None] * (1 + len(parts)) if retriever is Retriever.BM25 else list(self.embedder.embed([query, *parts]))
        )
        vector = vectors[0]
        depth = max(k, CANDIDATES) * 2 if self._vote_counts else k
        if retriever in COSINE_SCALE:
            # Only a question whose kind has answering headings reads past the passages it keeps.
            pool = HEADING_POOL if ask in ASKS_WITH_HEADINGS else depth
            ranking = rank(scopes, query_vector=vector, lexical_query=query, retriever=retriever, k=pool)
            ranking = prefer_headings_that_answer(ranking, ask, depth)
        else:
            ranking = rank(scopes, query_vector=vector, lexical_query=query, retriever=retriever, k=depth)
        if parts:
            ranking = self._cover_parts(ranking, list(zip(parts, vectors[1:], strict=True)), scopes, retriever, depth)
        if retriever is Retriever.FUSED:
            ranking = self._cover_main_word(ranking, topic_terms(query, self.analyzer, ask), scopes, idf)
        if self._vote_counts:
            passages = apply_vote_prior(ranking.passages, self._vote_counts)[:k]
            ranking = Ranking(passages, ranking.confidence, ranking.best_lexical)
        similarity_of = None if vector is None else _sentence_similarity(scopes, vector)
        part_similarity_of = tuple(_sentence_similarity(scopes, v) for v in vectors[1:] if v is not None)
        best_sentence = _best_sentence(ranking.passages[:GROUNDING_PASSAGES], similarity_of)
        off_topic = 0.0 if vector is None else self.off_topic.likeness(vector)
        verdict = self.grounding.judge(
            query,
            ranking,
            retriever,
            self.analyzer,
            idf,
            best_sentence,
            self.sentences.features,
            self.words.likeness,
            off_topic=off_topic,
        )
        return Retrieval(
            question,
            query,
            ranking,
            verdict,
            idf,
            similarity_of=similarity_of,
            best_sentence=best_sentence,
            off_topic=off_topic,
            part_similarity_of=part_similarity_of,
        )

    def _word_weight(self, idf: Callable[[str], float], indexes: Sequence[LexicalIndex]) -> Callable[[str], float]:
        """How telling a word is: the idf of its stem, zero for stopwords and for words the material lacks."""

        def weight(word: str) -> float:
            terms = self.analyzer.terms(word)
            return idf(terms[0]) if terms and any(terms[0] in i.document_frequency for i in indexes) else 0.0

        return weight

    @staticmethod
    def _cover_parts(
        ranking: Ranking,
        parts: list[tuple[str, np.ndarray | None]],
        scopes: list[ScopeIndex],
        retriever: Retriever,
        k: int,
    ) -> Ranking:
        """Make sure each ask of a multi-part question (its text and vector) has its best passage near the top."""
        merged = ranking.passages[:1]
        for part, vector in parts:
            best = rank(scopes, query_vector=vector, lexical_query=part, retriever=retriever, k=len(parts) + 1)
            for passage in best.passages:
                if all(p.id != passage.id for p in merged):
                    merged.append(passage)
                    break
        merged += [p for p in ranking.passages if all(m.id != p.id for m in merged)]
        return Ranking(merged[:k], ranking.confidence, ranking.best_lexical)

    def _cover_main_word(
        self, ranking: Ranking, terms: Collection[str], scopes: list[ScopeIndex], idf: Callable[[str], float]
    ) -> Ranking:
        """The passages, with the best match for the question's main word second when the passages found by meaning
        lack it and the material has it (see `MAIN_WORD_SHARE`): a rare word the embedding does not know would
        otherwise make the question look like one about something the material never covers."""
        weights = [idf(term) for term in terms]
        if not weights or max(weights) < MAIN_WORD_SHARE * sum(weights):  # no word weighs enough (most questions)
            return ranking
        word, share = most_missing(terms, ranking.passages[:GROUNDING_PASSAGES], self.analyzer, idf)
        if word is None or share < MAIN_WORD_SHARE or not any(word in s.lexical.document_frequency for s in scopes):
            return ranking
        return with_best_match_second(ranking, scopes, word)

    async def search(
        self, query: str, *, team_id: str | None = None, k: int = 5, retriever: Retriever | None = None
    ) -> list[Passage]:
        """The `k` passages that best match `query`, from the shared material and the team's own."""
        retrieval = await asyncio.to_thread(self.retrieve_sync, query, team_id=team_id, k=k, retriever=retriever)
        return retrieval.ranking.passages

    # ---- answers

    def extractive_sync(self, retrieval: Retrieval) -> tuple[str, list[Passage]]:
        """The no-LLM answer text and the sources it cites (a refusal with no sources when ungrounded)."""
        if not retrieval.grounded:
            return refusal_text(retrieval.ranking.passages), []
        return extractive_answer(
            retrieval.question,
            retrieval.ranking.passages[:EXTRACTIVE_PASSAGES],
            self.analyzer,
            idf=retrieval.idf,
            features_of=self.sentences.features,
            similarity_of=retrieval.similarity_of,
            side_similarity_of=retrieval.part_similarity_of,
        )

    def answer_sync(
        self,
        question: str,
        *,
        team_id: str | None = None,
        history: Sequence[str] | None = None,
        retriever: Retriever | None = None,
    ) -> Answer:
        """The extractive answer, computed in the calling thread (for the eval and benchmarks)."""
        retrieval = self.retrieve_sync(question, team_id=team_id, history=history, retriever=retriever)
        text, sources = self.extractive_sync(retrieval)
        ranking = retrieval.ranking
        return Answer(
            text=text,
            grounded=retrieval.grounded,
            closest=retrieval.closest,
            sources=sources,
            nearest_topics=[] if retrieval.grounded else nearest_topics(ranking.passages),
            confidence=ranking.confidence,
            passages=ranking.passages,
        )

    async def stream_answer(
        self, question: str, *, team_id: str | None = None, history: list[str] | None = None
    ) -> AnswerStream:
        """Start answering: retrieval happens now, the text streams (from the LLM when one is set)."""
        retrieval = await asyncio.to_thread(self.retrieve_sync, question, team_id=team_id, history=history)
        text, sources = await asyncio.to_thread(self.extractive_sync, retrieval)
        if self.chat_model is None or not retrieval.grounded:
            return AnswerStream(retrieval, _single(text), sources)
        passages = retrieval.ranking.passages[:ANSWER_PASSAGES]
        late_text, _ = extractive_answer(
            retrieval.question,
            passages,
            self.analyzer,
            idf=retrieval.idf,
            renumber=False,
            features_of=self.sentences.features,
            similarity_of=retrieval.similarity_of,
            side_similarity_of=retrieval.part_similarity_of,
        )
        pieces = stream_with_fallback(
            self.chat_model,
            build_messages(question, passages, history or ()),
            text,
            late_fallback_text=late_text,
            passage_count=len(passages),
            timeout=self.llm_timeout,
        )
        return AnswerStream(retrieval, pieces, passages, fallback_sources=sources, in_pieces=True)

    async def answer(self, question: str, *, team_id: str | None = None, history: list[str] | None = None) -> Answer:
        """Answer a question from the material, with numbered sources, or decline honestly."""
        stream = await self.stream_answer(question, team_id=team_id, history=history)
        return await stream.complete()

    # ---- indexing

    async def index_paths(
        self,
        paths: Iterable[Path | str],
        *,
        team_id: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Index files and folders into a scope, incrementally by content hash."""
        return await self._index([Path(p) for p in paths], scope_for(team_id), progress, prune_prefixes=())

    async def ensure_indexed(self, knowledge_dir: Path | str, progress: ProgressCallback | None = None) -> IndexReport:
        """Bring the shared material up to date with `knowledge_dir` (a no-op when nothing changed)."""
        root = Path(knowledge_dir)
        return await self._index([root], GLOBAL_SCOPE, progress, prune_prefixes=(f"{root.name}/",))

    async def delete_team(self, team_id: str) -> int:
        """Remove a team's own indexed material; return how many chunks went."""
        scope = scope_for(team_id)
        async with self._index_lock:
            self._indexes = {s: i for s, i in self._indexes.items() if s != scope}
            removed = await asyncio.to_thread(self.store.delete_scope, scope)
            self.store.seals.pop(scope, None)
            # The workspace's key and version rows leave with the rest of its data; other replicas find the
            # version gone and drop the scope too.
            self._versions = {s: v for s, v in self._versions.items() if s != scope}
        return removed

    async def _index(
        self, roots: list[Path], scope: str, progress: ProgressCallback | None, prune_prefixes: tuple[str, ...]
    ) -> IndexReport:
        async with self._index_lock:
            await self._unseal(scope, create=True)
            report = await asyncio.to_thread(
                self.indexer.run,
                roots,
                scope,
                progress=progress,
                prune_prefixes=prune_prefixes,
                max_file_bytes=self.max_file_bytes,
            )
            if report.changed or scope not in self._indexes:
                index = await asyncio.to_thread(self._load_scope, scope)
                self._indexes = {**self._indexes, scope: index}
            if report.changed:
                await self.ledger.bump(scope, None if scope == GLOBAL_SCOPE else scope.removeprefix(TEAM_PREFIX))
                self._versions = {**self._versions, **await self.ledger.versions([scope])}
            return report


def _best_sentence(passages: Sequence[Passage], similarity_of: SimilarityOf | None) -> float:
    """The best cosine of any sentence of `passages` to the question (0 without sentence vectors)."""
    if similarity_of is None:
        return 0.0
    return max((max(s, default=0.0) for p in passages if (s := similarity_of(p))), default=0.0)


def _sentence_similarity(scopes: Sequence[ScopeIndex], query_vector: np.ndarray) -> SimilarityOf:
    """Cosines of a passage's sentences to the question, from the vectors stored at index time.

    Worked out once per passage: grounding and the sentence selection both ask for the top passages'.
    """
    known: dict[str, list[float] | None] = {}

    def similarity_of(passage: Passage) -> Sequence[float] | None:
        if passage.id not in known:
            known[passage.id] = _cosines(scopes, passage.id, query_vector)
        return known[passage.id]

    return similarity_of


def _cosines(scopes: Sequence[ScopeIndex], passage_id: str, query_vector: np.ndarray) -> list[float] | None:
    for index in scopes:
        vectors = index.sentence_vectors(passage_id)
        if vectors is not None:
            return (vectors @ query_vector).tolist() if len(vectors) else None
    return None


def _chat_model(llm_model: str, *, timeout: float) -> BaseChatModel:
    """The LangChain chat model LLM_MODEL names, or one clear line on why it cannot be used.

    The provider's client gets `timeout` per request and at most one retry, so a hung server releases its
    connection rather than holding a worker; the answer's own deadline (the same `timeout`) is what posts the
    extractive answer.
    """
    from langchain.chat_models import init_chat_model

    provider = llm_model.split(":", 1)[0]
    try:
        return init_chat_model(llm_model, temperature=0, **_client_options(provider, timeout))
    except Exception as error:  # a missing integration package, a missing key, an unknown provider...
        extra = PROVIDER_EXTRAS.get(provider)
        if isinstance(error, ImportError) and extra is not None:
            raise ConfigError(
                f"LLM_MODEL={llm_model} needs the {extra} extra: pip install 'flywheel-coach[{extra}]'."
            ) from None
        reason = str(error).splitlines()[0].rstrip(".") if str(error) else type(error).__name__
        raise ConfigError(
            f"LLM_MODEL={llm_model} cannot be used ({reason}): check the provider's package and credentials, "
            "or unset LLM_MODEL for extractive answers."
        ) from None


def _client_options(provider: str, timeout: float) -> dict[str, Any]:
    """How each provider's client takes a request timeout and a retry count."""
    if provider == "ollama":  # httpx options; Ollama's client does not retry
        return {"client_kwargs": {"timeout": timeout}}
    options: dict[str, Any] = {"timeout": timeout}
    if provider in ("openai", "anthropic"):
        options["max_retries"] = LLM_MAX_RETRIES
    if provider == "openai":
        import openai

        # LangChain otherwise shares one HTTP client per (base URL, timeout) across the process, tied to the
        # event loop that first used it; a client of this model's own works in any loop that opens the coach.
        options["http_async_client"] = openai.DefaultAsyncHttpxClient(timeout=timeout)
    return options


async def _single(text: str) -> AsyncIterator[tuple[str, bool]]:
    yield text, False
