"""An answer the refusal policy is unsure of says it is the closest the material comes, rather than being declined
or passed off as the answer."""

import pytest

from bot.config import bundled_knowledge_dir
from bot.retrieval.extractive import sentence_features
from bot.retrieval.grounding import Grounding, GroundingPolicy
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage
from bot.retrieval.ranking import Ranking, Retriever

PASSAGE = Passage(
    "p1", "Canary rollouts send a change to a small share of traffic first.", "Guide", "Rollouts", "guide.md", 0.5
)


def _judged(policy: GroundingPolicy, retriever: Retriever = Retriever.FUSED) -> Grounding:
    analyzer = Analyzer()
    return policy.judge(
        "how do we roll out a change to a small share of traffic?",
        Ranking([PASSAGE], confidence=0.5, best_lexical=3.0),
        retriever,
        analyzer,
        lambda term: 1.0,
        0.5,
        lambda passage: sentence_features(passage.text, analyzer),
        off_topic=0.2,
    )


@pytest.mark.parametrize(
    ("intercept", "verdict"),
    [(2.0, Grounding.ANSWERS), (0.0, Grounding.CLOSEST), (-2.0, Grounding.DECLINED)],
)
def test_the_probability_decides_between_answering_the_closest_and_declining(intercept: float, verdict: Grounding):
    # With every weight at zero the probability is sigmoid(intercept): 0.88, 0.5 and 0.12 against 0.262 and 0.6.
    unweighted = {name: 0.0 for name in GroundingPolicy().to_json() if name not in ("threshold", "closest_below")}
    policy = GroundingPolicy(**(unweighted | {"intercept": intercept, "min_bm25": 2.5}))
    assert _judged(policy) is verdict


def test_word_only_retrieval_answers_or_declines_and_is_never_the_closest():
    assert _judged(GroundingPolicy(min_bm25=2.5), Retriever.BM25) is Grounding.ANSWERS
    assert _judged(GroundingPolicy(min_bm25=9.0), Retriever.BM25) is Grounding.DECLINED


@pytest.fixture
async def bundled(open_knowledge) -> KnowledgeBase:
    base = await open_knowledge()
    await base.ensure_indexed(bundled_knowledge_dir())
    yield base
    await base.close()


async def test_a_vendor_question_near_the_material_gets_its_closest_passage_said_to_be_so(bundled: KnowledgeBase):
    vendor = await bundled.answer("How do I configure a 5% percentage rollout in LaunchDarkly?")
    assert vendor.grounded and vendor.closest and vendor.sources
    plain = await bundled.answer("what is the deletion test?")
    assert plain.grounded and not plain.closest
    declined = await bundled.answer("what's a good banana bread recipe?")
    assert not declined.grounded and not declined.closest
