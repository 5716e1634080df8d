"""Whether the material can answer a question, and the honest refusal when it cannot."""

import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from bot.retrieval.extractive import SentenceFeatures, ask_of, asks_for_a_figure, topic_terms
from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage
from bot.retrieval.ranking import Ranking, Retriever

REFUSAL = "I can't find that in the material."
# Snowball keeps derived forms apart ("resolve" and "resolution", "analyst" and "analysis"); a longer term
# counts as covered when a passage word starts with the same first letters.
ROOT_CHARS = 5
IdfOf = Callable[[str], float]
FeaturesOf = Callable[[Passage], Sequence[SentenceFeatures]]
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# What a count is of comes between "how many" and the verb: "how many GPUs did..." ("how much faster" compares
# rather than counts).
_COUNTED = re.compile(
    r"\bhow (?:many|much)\s+(?!more\b|less\b|\w+er\b)((?:[\w/'-]+\s+){1,3}?)"
    r"(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|in|at|per)\b",
    re.IGNORECASE,
)


def _words_of(passages: Sequence[Passage], analyzer: Analyzer) -> set[str]:
    """Every term of the passages, headings included."""
    present: set[str] = set()
    for passage in passages:
        present.update(analyzer.terms(f"{passage.title} {passage.section} {passage.text}"))
    return present


def _shares_root(term: str, present: set[str]) -> bool:
    """Whether a word of the passages shares the term's first letters ("resolv" and "resolut")."""
    root = term[:ROOT_CHARS]
    return len(term) > ROOT_CHARS and any(word.startswith(root) for word in present)


def _shares(question_terms: Collection[str], passages: Sequence[Passage], analyzer: Analyzer, idf: IdfOf) -> dict:
    """Each question term's share of the question's idf weight, and whether the passages have it."""
    wanted = set(question_terms)
    total = sum(idf(t) for t in wanted)
    present = _words_of(passages, analyzer) if total else set()
    return {t: (idf(t) / total, t in present or _shares_root(t, present)) for t in wanted} if total else {}


def term_coverage(
    question_terms: Collection[str], passages: Sequence[Passage], analyzer: Analyzer, idf: IdfOf
) -> float:
    """The share of the question's term weight (idf) that the passages' words (headings included) cover."""
    return sum(share for share, found in _shares(question_terms, passages, analyzer, idf).values() if found)


def figure_absent(question: str, passages: Sequence[Passage], analyzer: Analyzer, features_of: FeaturesOf) -> bool:
    """Whether the figure a question asks for is plainly missing from the passages: a year none of them names
    ("revenue in 2023"), or a count of something no sentence puts a number to ("how many GPUs"; a year beside
    it is not a count)."""
    if any(all(year not in f"{p.section} {p.text}" for p in passages) for year in _YEAR.findall(question)):
        return True
    counted = _COUNTED.search(question)
    things = set(analyzer.terms(counted.group(1))) if counted else set()
    return bool(things) and not any(
        things & f.terms and any(not _YEAR.fullmatch(figure) for figure in f.figures)
        for passage in passages
        for f in features_of(passage)
    )


SIGNALS = (
    "similarity",
    "sentence_similarity",
    "coverage_top1",
    "coverage_top3",
    "missing",
    "missing_figure",
    "figure_absent",
)
"""What the refusal decision weighs, in this order (see `GroundingPolicy`)."""


def grounding_signals(
    question: str,
    ranking: Ranking,
    analyzer: Analyzer,
    idf: IdfOf,
    sentence_similarity: float,
    features_of: FeaturesOf,
) -> tuple[float, ...]:
    """The signals of `SIGNALS` for a question and what it retrieved."""
    terms = topic_terms(question, analyzer, ask_of(question))
    passages = ranking.passages
    top3 = _shares(terms, passages[:3], analyzer, idf).values()  # read once: coverage and the missing detail
    missing = max((share for share, found in top3 if not found), default=0.0)
    return (
        ranking.confidence,
        sentence_similarity,
        term_coverage(terms, passages[:1], analyzer, idf),
        sum(share for share, found in top3 if found),
        missing,
        missing if asks_for_a_figure(question) else 0.0,
        float(figure_absent(question, passages[:3], analyzer, features_of)),
    )


@dataclass(frozen=True, slots=True)
class GroundingPolicy:
    """When the retrieved material can answer a question: a logistic model of "the material answers this".

    Signals (`SIGNALS`): the best passage's cosine to the question; the best sentence's cosine in the top
    passages (meaning phrased in other words); the idf share of the question's words the top passage and the
    top three cover; and the largest share of one word none of them has (a known subject, an unknown detail:
    "how many employees does Duolingo have?"), again when the question asks for a number (a figure the
    material does not give is the commonest near miss); and whether it asks for a year or a count that no top
    passage gives (`figure_absent`). The coefficients and the threshold are fitted by
    `flywheel-coach eval --fit` on both evaluation sets (`bench.fitting.fit_grounding`), each checked by a fit
    on the other alone. With word-only (BM25) retrieval there are no cosines, and the best BM25 score decides.
    """

    intercept: float = -4.349
    similarity: float = 8.381
    sentence_similarity: float = 0.406
    coverage_top1: float = 0.765
    coverage_top3: float = 4.042
    missing: float = -2.533
    missing_figure: float = -2.468
    figure_absent: float = -3.456
    threshold: float = 0.206
    min_bm25: float = 2.5

    def to_json(self) -> dict[str, float]:
        """The policy's numbers, as `eval` reports them."""
        return {name: getattr(self, name) for name in ("intercept", *SIGNALS, "threshold", "min_bm25")}

    def probability(self, signals: Sequence[float]) -> float:
        """How likely the material answers the question, from its signals."""
        weights = tuple(getattr(self, name) for name in SIGNALS)
        z = self.intercept + sum(w * x for w, x in zip(weights, signals, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def is_grounded(
        self,
        question: str,
        ranking: Ranking,
        retriever: Retriever,
        analyzer: Analyzer,
        idf: IdfOf,
        sentence_similarity: float,
        features_of: FeaturesOf,
    ) -> bool:
        """Whether to answer from `ranking` or decline."""
        if not ranking.passages:
            return False
        if retriever is Retriever.BM25:
            return ranking.best_lexical >= self.min_bm25
        signals = grounding_signals(question, ranking, analyzer, idf, sentence_similarity, features_of)
        return self.probability(signals) >= self.threshold


def nearest_topics(passages: Sequence[Passage], limit: int = 3) -> list[str]:
    """The distinct `title > section` labels of the closest passages, best first."""
    topics: list[str] = []
    for passage in passages:
        if passage.label not in topics:
            topics.append(passage.label)
        if len(topics) == limit:
            break
    return topics


def refusal_text(passages: Sequence[Passage]) -> str:
    """The honest answer when the material has none, naming the nearest topics it does cover."""
    topics = nearest_topics(passages)
    if not topics:
        return f"{REFUSAL} Nothing has been indexed yet."
    return f"{REFUSAL} The nearest topics it covers: " + "; ".join(topics) + "."
