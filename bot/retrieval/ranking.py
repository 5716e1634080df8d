"""Ranking: dense, BM25 and fused retrieval over scope indexes, the confidence signal, the vote prior, and
the preference for headings that answer the kind of question asked."""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bot.retrieval.extractive import Ask, reads_as_answer_to
from bot.retrieval.models import Passage
from bot.retrieval.search_index import ScopeIndex

RRF_K = 60
RRF_DEPTH = 16
"""How far down each list (dense, BM25) reciprocal-rank fusion reads: deeper lists let incidental word matches in."""
FUSION_WEIGHT = 0.06
PRIOR_WEIGHT = 0.03
PRIOR_PSEUDO_VOTES = 3


class Retriever(StrEnum):
    """How passages are ranked."""

    DENSE = "dense"
    BM25 = "bm25"
    FUSED = "fused"
    RRF = "rrf"


@dataclass(frozen=True, slots=True)
class Ranking:
    """Ranked passages plus the best dense similarity seen (the confidence signal)."""

    passages: list[Passage]
    confidence: float
    best_lexical: float


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def _rrf(dense: np.ndarray, lexical: np.ndarray, depth: int) -> np.ndarray:
    fused = np.zeros_like(dense)
    for rank, position in enumerate(_top(dense, depth)):
        fused[position] += 1.0 / (RRF_K + rank + 1)
    for rank, position in enumerate(_top(lexical, depth)):
        if lexical[position] > 0:
            fused[position] += 1.0 / (RRF_K + rank + 1)
    return fused


def rank(
    indexes: Sequence[ScopeIndex],
    *,
    query_vector: np.ndarray | None,
    lexical_query: str,
    retriever: Retriever,
    k: int,
    fusion_weight: float = FUSION_WEIGHT,
) -> Ranking:
    """Rank the chunks of all `indexes` together and return the best `k`.

    FUSED adds to each cosine a small BM25 bonus scaled by the best BM25 score of the query, so an exact
    term can break near-ties between close passages but cannot lift a passage the meaning doesn't support
    (plain RRF, kept for comparison, let incidental word matches outrank the dense top hit).
    """
    indexes = [index for index in indexes if len(index)]
    if not indexes:
        return Ranking([], 0.0, 0.0)
    needs_dense = retriever is not Retriever.BM25
    dense = (
        np.concatenate([index.dense_scores(query_vector) for index in indexes])
        if needs_dense and query_vector is not None
        else np.zeros(sum(len(i) for i in indexes), dtype=np.float32)
    )
    needs_lexical = retriever is not Retriever.DENSE
    lexical = (
        np.concatenate([index.lexical_scores(lexical_query) for index in indexes])
        if needs_lexical
        else np.zeros_like(dense)
    )
    best_lexical = float(lexical.max()) if needs_lexical else 0.0
    if retriever is Retriever.DENSE:
        scores = dense
    elif retriever is Retriever.BM25:
        scores = lexical
    elif retriever is Retriever.RRF:
        scores = _rrf(dense, lexical, depth=RRF_DEPTH)
    else:
        scores = dense + fusion_weight * lexical / best_lexical if best_lexical > 0 else dense
    offsets = np.cumsum([0] + [len(index) for index in indexes])
    passages = []
    for position in _top(scores, k):
        which = int(np.searchsorted(offsets, position, side="right")) - 1
        passages.append(indexes[which].passage(int(position - offsets[which]), float(scores[position])))
    confidence = float(dense.max()) if needs_dense else 0.0
    return Ranking(passages, confidence, best_lexical)


def with_best_match_second(ranking: Ranking, indexes: Sequence[ScopeIndex], words: str) -> Ranking:
    """`ranking` with the passage `words` find best by BM25 second, at the second passage's score (unless it leads
    already); the same length, the rest in their order."""
    passages = ranking.passages
    if len(passages) < 2:
        return ranking
    found = rank(indexes, query_vector=None, lexical_query=words, retriever=Retriever.BM25, k=1).passages
    if not found or found[0].score <= 0 or found[0].id == passages[0].id:
        return ranking
    rest = [p for p in passages if p.id != found[0].id]
    second = found[0].rescored(passages[1].score)
    return Ranking([rest[0], second, *rest[1:]][: len(passages)], ranking.confidence, ranking.best_lexical)


def apply_vote_prior(
    passages: Sequence[Passage],
    votes: Mapping[str, tuple[int, int]],
    *,
    weight: float = PRIOR_WEIGHT,
    pseudo_votes: int = PRIOR_PSEUDO_VOTES,
) -> list[Passage]:
    """Re-rank passages by their (up, down) votes: a bounded nudge of at most `weight` either way.

    The nudge is `weight * (up - down) / (up + down + pseudo_votes)`, so a single vote moves a passage
    little, many agreeing votes approach the bound, and no number of votes can lift a passage more than
    `weight` above what its match with the question earned.
    """
    rescored = []
    for passage in passages:
        up, down = votes.get(passage.id, (0, 0))
        up, down = max(0, up), max(0, down)
        nudge = weight * (up - down) / (up + down + pseudo_votes)
        rescored.append(passage.rescored(passage.score + nudge))
    return sorted(rescored, key=lambda p: p.score, reverse=True)


# A question asking for a first step or a risk prefers a section whose heading says it holds one: a bonus to
# the score (cosine scale) that settles near-ties and lifts such a section from just below the top.
# 0.02, 0.04 and 0.07 were tried on questions.yaml and dev; 0.04 gained most and lost none. A check's cue
# ("if", "ask", "whether") fits too many headings ("Questions to Ask Your Team") to tell anything.
ASK_HEADING_BONUS = 0.04
ASKS_WITH_HEADINGS = frozenset({Ask.FIRST_STEP, Ask.RISK})
# Material names a problem in one section and the fix in another of the same document ("Break 1: Data in
# Silos", then "First Moves for Each Break"), and a question in the problem's words matches the first far
# better. Such an answering section scores at least this share of the best score its document reaches among
# the top few passages, unless its heading is a question (an FAQ entry answers its own question, not its
# neighbour's: "What Should We Fix First?" is no answer to "how do we start with no data") or the document has
# several answering sections (a step-by-step guide's "Step 1" and "Pick One First Fix" do not say which of them
# fits; "First Moves to Strengthen Feedback" in another document may). The share is chosen,
# not fitted: 0.95 (nearly as relevant as its document's best); 0.9 was tried and lifted too little (blind
# fact-hit 0.662 against 0.704).
SIBLING_SHARE = 0.95
SIBLING_FROM = 4
HEADING_POOL = 64
"""How many passages the preference reads: an answering section of a top document can rank far below it."""
COSINE_SCALE = frozenset({Retriever.FUSED, Retriever.DENSE})
"""The retrievers whose scores are cosines, the scale the bonus is in (BM25 and RRF rank as they are)."""


@functools.lru_cache(maxsize=8192)
def _heading_answers(ask: Ask, heading: str) -> bool:
    """`reads_as_answer_to` for a section heading: a corpus has few, and every what-first or risk question reads 64."""
    return reads_as_answer_to(ask, heading)


def prefer_headings_that_answer(ranking: Ranking, ask: Ask, k: int) -> Ranking:
    """The best `k` passages, those whose heading reads as an answer to the kind of question asked ("First
    Moves to Strengthen Storage" for "what first", "Model Collapse" for "what's the risk") scored
    `ASK_HEADING_BONUS` higher, and (when it is its document's one answering section and not headed by a
    question) no lower than `SIBLING_SHARE` of the best of their document's passages among the top
    `SIBLING_FROM`."""
    if ask not in ASKS_WITH_HEADINGS:
        return Ranking(ranking.passages[:k], ranking.confidence, ranking.best_lexical)
    best_of_document: dict[str, float] = {}
    for passage in ranking.passages[:SIBLING_FROM]:
        best_of_document.setdefault(passage.source, passage.score)

    answers = [_heading_answers(ask, passage.section) for passage in ranking.passages]
    answering_sections: dict[str, set[str]] = {}
    for passage, answering in zip(ranking.passages, answers, strict=True):
        if answering:
            answering_sections.setdefault(passage.source, set()).add(passage.section)

    def lifted(passage: Passage) -> Passage:
        answers_its_own_question = passage.section.rstrip().endswith("?")
        the_documents_one_answer = len(answering_sections[passage.source]) == 1
        borrows = the_documents_one_answer and not answers_its_own_question
        floor = SIBLING_SHARE * best_of_document.get(passage.source, 0.0) if borrows else 0.0
        return passage.rescored(max(passage.score, floor) + ASK_HEADING_BONUS)

    rescored = [lifted(p) if answering else p for p, answering in zip(ranking.passages, answers, strict=True)]
    best = sorted(rescored, key=lambda passage: passage.score, reverse=True)[:k]
    return Ranking(best, ranking.confidence, ranking.best_lexical)
