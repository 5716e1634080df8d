"""Ranking: the retrievers side by side, the grounding signal, the vote prior, and multi-part questions."""

import numpy as np
import pytest

from bot.retrieval.extractive import Ask
from bot.retrieval.followup import contextual_query, needs_context, question_parts
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage
from bot.retrieval.ranking import (
    ASK_HEADING_BONUS,
    PRIOR_WEIGHT,
    SIBLING_SHARE,
    Ranking,
    Retriever,
    apply_vote_prior,
    prefer_headings_that_answer,
    rank,
    with_best_match_second,
)
from bot.retrieval.search_index import ChunkRecord, ScopeIndex


def _passage(pid: str, score: float) -> Passage:
    return Passage(pid, f"text {pid}", "Title", "Section", "docs/x.md", score)


def test_votes_reorder_close_passages():
    passages = [_passage("a", 0.61), _passage("b", 0.60)]
    ranked = apply_vote_prior(passages, {"b": (9, 0), "a": (0, 4)})
    assert [p.id for p in ranked] == ["b", "a"]


def test_votes_cannot_lift_a_passage_past_a_clearly_better_one():
    passages = [_passage("good", 0.70), _passage("popular", 0.60)]
    ranked = apply_vote_prior(passages, {"popular": (10_000, 0), "good": (0, 10_000)})
    assert [p.id for p in ranked] == ["good", "popular"]


def test_the_vote_nudge_is_bounded_and_grows_with_agreement():
    nudges = [apply_vote_prior([_passage("a", 0.5)], {"a": (up, 0)})[0].score - 0.5 for up in (1, 10, 1000)]
    assert 0 < nudges[0] < nudges[1] < nudges[2] < PRIOR_WEIGHT
    assert apply_vote_prior([_passage("a", 0.5)], {})[0].score == 0.5
    assert apply_vote_prior([_passage("a", 0.5)], {"a": (-5, -5)})[0].score == 0.5


def _index(texts: list[str], vectors: np.ndarray) -> ScopeIndex:
    records = [ChunkRecord(f"c{i}", t, "T", "", "s") for i, t in enumerate(texts)]
    return ScopeIndex(records, vectors, Analyzer())


def test_each_retriever_ranks_across_several_scope_indexes():
    basis = np.eye(384, dtype=np.float32)
    shared = _index(["apples and pears", "bananas"], basis[:2])
    team = _index(["pears only here"], basis[2:3])
    query = basis[2]
    dense = rank([shared, team], query_vector=query, lexical_query="pears", retriever=Retriever.DENSE, k=3)
    bm25 = rank([shared, team], query_vector=None, lexical_query="pears", retriever=Retriever.BM25, k=3)
    fused = rank([shared, team], query_vector=query, lexical_query="pears", retriever=Retriever.FUSED, k=3)
    rrf = rank([shared, team], query_vector=query, lexical_query="pears", retriever=Retriever.RRF, k=3)
    assert dense.passages[0].text == "pears only here"
    assert dense.confidence == pytest.approx(1.0)
    assert {p.text for p in bm25.passages[:2]} == {"apples and pears", "pears only here"}
    assert fused.passages[0].text == "pears only here"
    assert len(rrf.passages) == 3
    assert rank([], query_vector=query, lexical_query="x", retriever=Retriever.FUSED, k=3).passages == []


def _section(section: str, score: float, source: str = "docs/tiles.md") -> Passage:
    return Passage(section, f"text of {section}", "Tile Caches", section, source, score)


def test_a_heading_that_answers_the_kind_of_question_asked_settles_a_near_tie():
    ranking = Ranking(
        [
            _section("What a New Tile Cache Needs", 0.70),
            _section("Tile Cache Sizes", 0.69),
            _section("First Moves for a Tile Cache", 0.70 - ASK_HEADING_BONUS / 2),
            _section("The First Month of a Tile Cache", 0.68),
        ],
        confidence=0.70,
        best_lexical=3.0,
    )
    first = prefer_headings_that_answer(ranking, Ask.FIRST_STEP, k=3)
    assert [p.section for p in first.passages] == [
        "First Moves for a Tile Cache",
        "What a New Tile Cache Needs",
        "Tile Cache Sizes",
    ]
    assert (first.confidence, first.best_lexical) == (0.70, 3.0)
    # Other kinds of question keep the order; the cut to k applies to every kind.
    plain = prefer_headings_that_answer(ranking, Ask.DEFINITION, k=2)
    assert [p.section for p in plain.passages] == ["What a New Tile Cache Needs", "Tile Cache Sizes"]


def test_a_heading_cannot_lift_a_passage_the_meaning_does_not_support():
    elsewhere = _section("Risks of a Cold Tile Cache", 0.50, source="docs/caches.md")
    ranking = Ranking([_section("How Tile Caches Work", 0.70), elsewhere], 0.7, 0.0)
    risky = prefer_headings_that_answer(ranking, Ask.RISK, k=2)
    assert [p.section for p in risky.passages] == ["How Tile Caches Work", "Risks of a Cold Tile Cache"]
    assert risky.passages[1].score == 0.50 + ASK_HEADING_BONUS


def _first_steps(*sections: Passage, k: int | None = None) -> list[Passage]:
    """The sections as ranked for a what-first question."""
    ranking = Ranking(list(sections), confidence=0.70, best_lexical=3.0)
    return prefer_headings_that_answer(ranking, Ask.FIRST_STEP, k=k or len(sections)).passages


def test_the_answering_section_of_a_top_document_rises_to_its_documents_best():
    """A question in the words of the problem finds the section naming it; the fix sits in a sibling section."""
    sections = (
        _section("Cold Caches Stall Map Loads", 0.70),
        _section("Cache Warming Explained", 0.66, source="docs/warming.md"),
        _section("Tile Cache Sizes", 0.60),
        *[_section(f"Tile Formats {n}", 0.55 - n / 100, source=f"docs/formats-{n}.md") for n in range(6)],
        _section("First Moves for a Cold Cache", 0.40),
        _section("First Moves for Warming", 0.40, source="docs/warming.md"),
        _section("First Moves for Formats", 0.40, source="docs/formats-5.md"),
    )
    first = _first_steps(*sections, k=4)
    assert [p.section for p in first] == [
        "First Moves for a Cold Cache",
        "Cold Caches Stall Map Loads",
        "First Moves for Warming",
        "Cache Warming Explained",
    ]
    assert first[0].score == pytest.approx(SIBLING_SHARE * 0.70 + ASK_HEADING_BONUS)
    # A document outside the top few lends nothing: its answering section keeps its own score plus the bonus.
    formats = next(p for p in _first_steps(*sections) if p.section == "First Moves for Formats")
    assert formats.score == pytest.approx(0.40 + ASK_HEADING_BONUS)


def test_a_section_headed_by_a_question_answers_only_its_own_question():
    """An FAQ's entries are neighbours by format, not by topic: one does not borrow another's relevance."""
    first = _first_steps(
        _section("How Do We Warm a Cold Cache?", 0.70, source="docs/faq.md"),
        _section("Cache Warming Explained", 0.60, source="docs/warming.md"),
        _section("What Should We Fix First?", 0.52, source="docs/faq.md"),
        _section("First Moves for Warming", 0.50, source="docs/warming.md"),
    )
    assert [p.section for p in first] == [
        "How Do We Warm a Cold Cache?",
        "First Moves for Warming",
        "Cache Warming Explained",
        "What Should We Fix First?",
    ]
    assert first[3].score == pytest.approx(0.52 + ASK_HEADING_BONUS)


def test_a_document_with_several_answering_sections_lends_its_relevance_to_none():
    """A step-by-step guide's "Step 1" and "Pick One First Fix" both read as first steps: which one fits the
    question is not told by their neighbour's match, so the first move of another document can lead."""
    first = _first_steps(
        _section("Step 4: Map the Cache", 0.70, source="docs/mapping.md"),
        _section("Step 1: Name the Tiles", 0.55, source="docs/mapping.md"),
        _section("First Moves for a Cold Cache", 0.62, source="docs/cache.md"),
        _section("Step 6: Pick One First Fix", 0.52, source="docs/mapping.md"),
    )
    assert [p.section for p in first] == [
        "Step 4: Map the Cache",
        "First Moves for a Cold Cache",
        "Step 1: Name the Tiles",
        "Step 6: Pick One First Fix",
    ]
    assert [p.score for p in first[1:]] == pytest.approx([s + ASK_HEADING_BONUS for s in (0.62, 0.55, 0.52)])


def test_follow_up_detection():
    assert needs_context("and how long did that take them?")
    assert needs_context("why?")
    assert not needs_context("What does an inverter do for rooftop solar panels?")
    assert needs_context("what is a moat?")
    assert not needs_context("what is a moat?", names_its_topic=True)
    assert needs_context("what is it?", names_its_topic=True)
    # A pronoun that points ahead or inside the question does not lean on the thread; one that points back does.
    assert not needs_context("is it a problem that every team keeps its own copy of the tile cache?")
    assert not needs_context("does it matter whether the tile counts match across teams at all")
    assert needs_context("how do we measure its effect on tile load times next quarter")
    assert needs_context("is that a problem for a team of our size really")
    assert (
        contextual_query("and how long?", ["How did Acme speed up tiles?"])
        == "How did Acme speed up tiles?\nand how long?"
    )
    assert contextual_query("and how long?", None) == "and how long?"


def test_multi_part_questions_are_split_keeping_their_subject():
    assert question_parts("harvey: when did they start, and who was the first big client") == [
        "harvey when did they start",
        "harvey who was the first big client",
    ]
    assert question_parts("a/b test vs holdout") == ["a/b test", "holdout"]
    assert question_parts("how did harvey get going without any legal data?") == []


async def test_each_part_of_a_multi_part_question_gets_a_passage(knowledge: KnowledgeBase):
    passages = await knowledge.search("solar panels: what does the inverter do, and how do you shape bread dough", k=3)
    assert {p.source for p in passages[:3]} >= {"docs/solar-panels.txt", "docs/sourdough.md"}


async def test_votes_decide_between_near_equal_passages(knowledge: KnowledgeBase, docs):
    text = "Reviewing one metric every Friday keeps a product loop honest about what worked."
    (docs / "review-a.md").write_text(f"# Review Habits\n\n## Friday Review\n\n{text}\n")
    (docs / "review-b.md").write_text(f"# Review Routines\n\n## Friday Review\n\n{text}\n")
    await knowledge.ensure_indexed(docs)
    question = "why review a metric every friday?"
    first, second = (await knowledge.search(question, k=2))[:2]
    assert {first.source, second.source} == {"docs/review-a.md", "docs/review-b.md"}
    knowledge.set_vote_counts({second.id: (12, 0), first.id: (0, 3)})
    after = await knowledge.search(question, k=2)
    assert after[0].id == second.id
    knowledge.set_vote_counts({})
    assert (await knowledge.search(question, k=2))[0].id == first.id


def test_a_follow_up_borrows_only_the_telling_words_of_the_thread():
    weights = {"Harvey": 3.0, "start": 0.5, "data": 0.2}
    query = contextual_query(
        "and who was their first client?", ["How did Harvey start with no data?"], lambda w: weights.get(w, 0.0), keep=2
    )
    assert query == "and who was their first client? (Harvey start)"
    assert contextual_query("and then?", ["How?"], lambda w: 0.0) == "and then?"


def test_chat_shorthand_and_apostrophe_free_contractions_are_not_topic_words():
    analyzer = Analyzer()
    assert analyzer.terms("whats a data flywheel exactly, ppl keep saying it") == ["data", "flywheel", "keep", "say"]
    assert analyzer.terms("isnt it the same thing? dont we need data") == ["need", "data"]


def test_american_and_british_spellings_find_each_other():
    analyzer = Analyzer()
    assert analyzer.terms("optimizing personalization, analyze") == analyzer.terms(
        "optimising personalisation, analyse"
    )
    assert analyzer.terms("size and prize") == ["size", "prize"]


def test_a_plural_in_aus_meets_its_singular_and_other_us_words_stay():
    analyzer = Analyzer()
    assert analyzer.terms("plateaus") == analyzer.terms("plateau") == analyzer.terms("plateauing")
    assert analyzer.terms("status bonus focus") == ["status", "bonus", "focus"]


def test_the_best_match_for_a_word_can_be_put_second():
    basis = np.eye(384, dtype=np.float32)
    index = _index(["loop basics", "weekly rhythm", "release notes", "the curve flatlined after launch"], basis[:4])
    ranking = rank([index], query_vector=basis[0], lexical_query="loop", retriever=Retriever.DENSE, k=3)
    assert [p.id for p in ranking.passages] == ["c0", "c1", "c2"]

    covered = with_best_match_second(ranking, [index], "flatlined")
    assert [p.id for p in covered.passages] == ["c0", "c3", "c1"]  # the same length, the rest in their order
    assert covered.passages[1].score == ranking.passages[1].score
    assert with_best_match_second(ranking, [index], "loop") == ranking  # it leads already
    assert with_best_match_second(ranking, [index], "sourdough") == ranking  # nothing matches it


async def test_a_short_definition_in_a_thread_asks_about_what_it_names(knowledge: KnowledgeBase):
    earlier = ["how does the inverter feed rooftop solar power into the grid?"]
    assert knowledge.retrieve_sync("what is a sourdough starter?", history=earlier).query == (
        "what is a sourdough starter?"
    )
    assert knowledge.retrieve_sync("why?", history=earlier).query.startswith("why? (")
