"""Whether the material can answer a question, and the honest refusal when it cannot."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage
from bot.retrieval.ranking import Ranking, Retriever

REFUSAL = "I can't find that in the material."
# Snowball keeps derived forms apart ("resolve" and "resolution", "analyst" and "analysis"); a longer term
# counts as covered when a passage word starts with the same first letters.
ROOT_CHARS = 5


def term_coverage(
    question_terms: Sequence[str], passages: Sequence[Passage], analyzer: Analyzer, idf: Callable[[str], float]
) -> float:
    """The share of the question's term weight (idf) that the passages' words (headings included) cover."""
    wanted = set(question_terms)
    total = sum(idf(t) for t in wanted)
    if not total:
        return 0.0
    present: set[str] = set()
    for passage in passages:
        present.update(analyzer.terms(f"{passage.title} {passage.section} {passage.text}"))
    covered = {t for t in wanted if t in present or _shares_root(t, present)}
    return sum(idf(t) for t in covered) / total


def _shares_root(term: str, present: set[str]) -> bool:
    """Whether a word of the passages shares the term's first letters ("resolv" and "resolut")."""
    root = term[:ROOT_CHARS]
    return len(term) > ROOT_CHARS and any(word.startswith(root) for word in present)


@dataclass(frozen=True, slots=True)
class GroundingPolicy:
    """When the retrieved material can answer a question, from meaning (cosine) and words (coverage).

    - A clearly similar passage (cosine >= `confident_similarity`) answers.
    - A moderately similar one (>= `min_similarity`) answers unless the top passages cover little of the
      question's rarer words: that is a question about a known subject but an unknown detail
      ("how many employees does Duolingo have?"), which must not get a confident guess.
    - A weak match still answers when the top passage covers most of the question's words: short
      keyword questions ("what should we fix first") embed poorly but match exactly.
    """

    min_similarity: float = 0.40
    confident_similarity: float = 0.52
    min_coverage_top3: float = 0.34
    rescue_coverage_top1: float = 0.5
    rescue_coverage_top3: float = 0.6
    floor_similarity: float = 0.15
    min_bm25: float = 2.5

    def is_grounded(
        self,
        question: str,
        ranking: Ranking,
        retriever: Retriever,
        analyzer: Analyzer,
        idf: Callable[[str], float],
    ) -> bool:
        """Whether to answer from `ranking` or decline."""
        passages = ranking.passages
        if not passages:
            return False
        if retriever is Retriever.BM25:
            return ranking.best_lexical >= self.min_bm25
        similarity = ranking.confidence
        if similarity >= self.confident_similarity:
            return True
        if similarity < self.floor_similarity:
            return False
        terms = analyzer.terms(question)
        top3 = term_coverage(terms, passages[:3], analyzer, idf)
        if similarity >= self.min_similarity:
            return top3 >= self.min_coverage_top3
        top1 = term_coverage(terms, passages[:1], analyzer, idf)
        return top1 >= self.rescue_coverage_top1 or top3 >= self.rescue_coverage_top3


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
