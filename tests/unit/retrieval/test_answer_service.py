"""The answer service: asking and recording, thread ownership, follow-ups, votes and the prior, sharing, figures."""

from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.models import Answer, Passage
from bot.retrieval.service import ANSWER_THREAD, AnswerService, Question, Surface, retrieved_passages
from bot.store.db import Database
from bot.store.threads import find_thread

TILES = "How did Acme Maps speed up its tile rendering?"


def _question(text: str, *, thread_ts: str | None = "100.1", follows_up: bool = False) -> Question:
    surface = Surface.THREAD if follows_up else Surface.MENTION
    return Question(
        text=text,
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        surface=surface,
        thread_ts=thread_ts,
        follows_up=follows_up,
    )


def _passage(pid: str) -> Passage:
    return Passage(pid, f"text of {pid}", "Guide", f"Section {pid}", "knowledge/guide.md", 0.5)


def test_retrieved_passages_keep_rank_order_and_add_cited_ones_besides():
    answer = Answer(
        "An answer [1][2].", True, [_passage("p2"), _passage("p9")], passages=[_passage("p1"), _passage("p2")]
    )
    stored = retrieved_passages(answer)
    assert [(p.passage_id, p.cited) for p in stored] == [("p1", False), ("p2", True), ("p9", True)]
    assert stored[0].label == "Guide > Section p1" and stored[0].source == "knowledge/guide.md"


async def test_an_asked_question_is_recorded_and_its_thread_owned(database: Database, knowledge: KnowledgeBase):
    answers = AnswerService(database, knowledge)
    recorded = await answers.ask(_question(TILES))
    stored = await answers.stored(team_id="T1", answer_id=recorded.id)
    assert (stored.question, stored.text, stored.grounded) == (TILES, recorded.answer.text, True)
    assert [s.label for s in stored.sources] == [p.label for p in recorded.answer.sources]
    async with database.session() as session:
        owner = await find_thread(session, team_id="T1", channel_id="C1", thread_ts="100.1")
    assert owner is not None and (owner.kind, owner.ref_id) == (ANSWER_THREAD, str(recorded.id))


async def test_a_follow_up_is_answered_with_the_thread_in_mind(database: Database, knowledge: KnowledgeBase):
    answers = AnswerService(database, knowledge)
    await answers.ask(_question(TILES))
    follow_up = await answers.ask(_question("and how long did that take them?", follows_up=True))
    assert follow_up.answer.grounded and "six weeks" in follow_up.answer.text


async def test_a_private_answer_owns_no_thread(database: Database, knowledge: KnowledgeBase):
    answers = AnswerService(database, knowledge)
    recorded = await answers.ask(_question(TILES, thread_ts=None))
    await answers.claim_thread(_question(TILES, thread_ts=None))
    async with database.session() as session:
        assert await find_thread(session, team_id="T1", channel_id="C1", thread_ts="100.1") is None
    assert (await answers.stored(team_id="T1", answer_id=recorded.id)).channel_id == "C1"


async def test_votes_move_the_shared_prior_once_per_change(database: Database, knowledge: KnowledgeBase):
    answers = AnswerService(database, knowledge)
    recorded = await answers.ask(_question(TILES))
    cited = recorded.answer.sources[0].id
    await answers.vote(team_id="T1", user_id="U1", answer_id=recorded.id, helpful=True)
    await answers.vote(team_id="T1", user_id="U1", answer_id=recorded.id, helpful=True)
    assert knowledge.vote_counts(cited) == (1, 0)
    await answers.vote(team_id="T1", user_id="U1", answer_id=recorded.id, helpful=False)
    assert knowledge.vote_counts(cited) == (0, 1)
    await answers.explain_vote(team_id="T1", user_id="U1", answer_id=recorded.id, reason="too short")
    gaps = await answers.gaps(team_id="T1")
    assert [(g.question, g.thumbs_down, g.reasons) for g in gaps] == [(TILES, 1, ["too short"])]
    figures = await answers.figures(team_id="T1")
    assert (figures.answered, figures.gaps) == (1, [TILES])
    assert (await answers.figures(team_id="T2")).answered == 0
