"""What the ask path keeps between and within questions gives the same results as working them out afresh."""

import numpy as np

from bot.retrieval.extractive import SIGNALS, profile_question, sentence_features, sentence_signals
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import GLOBAL_SCOPE, Passage

TEXTS = [
    "Model collapse happens when a model trains on its own outputs.",
    "Teams optimise the loop; analysts analyse the logs and organize the labels.",
    "Netflix deploys 4,000 times a day, the ops team says.",
    "",
]


def test_the_analyzer_gives_the_same_terms_from_its_memory_as_worked_out_afresh():
    remembering = Analyzer()
    afresh = Analyzer(max_cached=0)
    first = [remembering.terms(text) for text in TEXTS]
    assert first == [afresh.terms(text) for text in TEXTS]
    assert afresh.kept_texts == 0
    assert [remembering.terms(text) for text in TEXTS] == first
    assert first[0] == ["model", "collaps", "happen", "model", "train", "output"]


def test_the_terms_a_caller_is_given_are_its_own_copy():
    analyzer = Analyzer()
    terms = analyzer.terms(TEXTS[0])
    terms.append("planted")
    assert "planted" not in analyzer.terms(TEXTS[0])


def test_the_analyzer_keeps_a_bounded_number_of_texts_the_least_recently_used_going_first():
    analyzer = Analyzer(max_cached=2)
    analyzer.terms("first text")
    analyzer.terms("second text")
    analyzer.terms("first text")  # used again: "second text" is now the oldest
    analyzer.terms("third text")
    assert analyzer.kept_texts == 2
    calls = []

    class Counting(Analyzer):
        def __init__(self) -> None:
            super().__init__(max_cached=2)
            self._stemmer = _CountingStemmer(self._stemmer, calls)

    counting = Counting()
    for text in ("first text", "second text", "first text", "third text", "first text", "second text"):
        counting.terms(text)
    # Stemmed: first, second, third, and second again (evicted by third); "first" came from memory twice.
    assert len(calls) == 4
    assert counting.kept_texts == 2


class _CountingStemmer:
    def __init__(self, stemmer, calls: list[list[str]]) -> None:
        self._stemmer = stemmer
        self._calls = calls

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802 (PyStemmer's name)
        self._calls.append(words)
        return self._stemmer.stemWords(words)


async def test_a_retrievals_sentence_cosines_are_worked_out_once_and_match_the_stored_vectors(
    knowledge: KnowledgeBase,
):
    retrieval = knowledge.retrieve_sync("how do we start without any data?")
    assert retrieval.similarity_of is not None
    query_vector = knowledge.embedder.embed([retrieval.query])[0]
    shared = knowledge.scope_index(GLOBAL_SCOPE)
    assert shared is not None
    for passage in retrieval.ranking.passages:
        cosines = retrieval.similarity_of(passage)
        assert cosines is not None and retrieval.similarity_of(passage) is cosines
        stored = shared.sentence_vectors(passage.id)
        assert stored is not None
        np.testing.assert_allclose(cosines, stored @ query_vector, rtol=1e-5, atol=1e-6)
    top = retrieval.ranking.passages[:3]
    assert retrieval.best_sentence == max(max(retrieval.similarity_of(p) or [0.0]) for p in top)


def test_coverage_counts_only_the_question_words_a_sentence_has_exactly_as_the_full_sum():
    analyzer = Analyzer()
    passage = Passage("p1", " ".join(TEXTS[:3]), "Guide", "Collapse", "docs/guide.md", 0.7)
    question = "why does model collapse happen when a model trains on outputs?"
    candidates = sentence_signals(question, [passage], analyzer)
    assert candidates and all(len(signals) == len(SIGNALS) for _, signals in candidates)
    features = {f.text: f for f in sentence_features(passage.text, analyzer)}
    vocabulary = frozenset().union(*(f.terms for f in features.values()))
    weights = profile_question(question, analyzer, vocabulary=vocabulary).weights
    coverage = SIGNALS.index("coverage")
    for text, signals in candidates:
        assert signals[coverage] == sum(weights.get(t, 0.0) for t in features[text].terms)
    assert candidates[0][1][coverage] > 0 and candidates[2][1][coverage] == 0
