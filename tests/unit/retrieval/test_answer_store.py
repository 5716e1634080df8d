"""Stored answers, votes, the cross-workspace prior and knowledge gaps (SQLite, and PostgreSQL when set)."""

import pytest

from bot.errors import NotFoundError
from bot.retrieval.models import Answer, Passage
from bot.retrieval.service import retrieved_passages
from bot.store.answers import (
    answer_sources,
    cast_vote,
    get_answer,
    knowledge_gaps,
    record_answer,
    set_vote_reason,
    thread_questions,
    vote_counts,
)
from bot.store.db import Database
from bot.store.models.answers import DOWN, UP
from bot.store.workspaces import delete_workspace_data


def _passage(pid: str, title: str = "Guide") -> Passage:
    return Passage(pid, f"text of {pid}", title, f"Section {pid}", "knowledge/guide.md", 0.5)


def _answer(
    grounded: bool = True,
    cited: tuple[str, ...] = ("p1",),
    retrieved: tuple[str, ...] = ("p1", "p2"),
    closest: bool = False,
) -> Answer:
    return Answer(
        text="An answer [1]." if grounded else "I can't find that in the material.",
        grounded=grounded,
        closest=closest,
        sources=[_passage(p) for p in cited] if grounded else [],
        passages=[_passage(p) for p in retrieved],
        confidence=0.6,
    )


async def _ask(database: Database, team: str, question: str, answer: Answer, thread: str | None = None) -> int:
    async with database.session() as session:
        row = await record_answer(
            session,
            team_id=team,
            channel_id="C1",
            user_id="U1",
            question=question,
            text=answer.text,
            grounded=answer.grounded,
            closest=answer.closest,
            generated=answer.generated,
            confidence=answer.confidence,
            passages=retrieved_passages(answer),
            surface="mention",
            thread_ts=thread,
        )
        return row.id


async def _vote(database: Database, team: str, answer_id: int, user: str, vote: int) -> int:
    async with database.session() as session:
        return await cast_vote(session, team_id=team, answer_id=answer_id, user_id=user, vote=vote)


async def test_an_answer_is_stored_with_its_cited_passages(database: Database):
    answer_id = await _ask(database, "T1", "what is a flywheel?", _answer(), thread="100.1")
    async with database.session() as session:
        row = await get_answer(session, team_id="T1", answer_id=answer_id)
        sources = await answer_sources(session, team_id="T1", answer_id=answer_id)
        assert row.question == "what is a flywheel?" and row.grounded and row.surface == "mention"
        assert [s.passage_id for s in sources] == ["p1"]
        assert sources[0].label == "Guide > Section p1"
        with pytest.raises(NotFoundError):
            await get_answer(session, team_id="T2", answer_id=answer_id)


async def test_thread_questions_are_the_latest_oldest_first(database: Database):
    for question in ("first?", "second?", "third?", "fourth?"):
        await _ask(database, "T1", question, _answer(), thread="200.1")
    await _ask(database, "T1", "elsewhere?", _answer(), thread="300.1")
    async with database.session() as session:
        assert await thread_questions(session, team_id="T1", channel_id="C1", thread_ts="200.1") == [
            "second?",
            "third?",
            "fourth?",
        ]
        assert await thread_questions(session, team_id="T2", channel_id="C1", thread_ts="200.1") == []


async def test_votes_are_one_per_person_and_can_change(database: Database):
    answer_id = await _ask(database, "T1", "q", _answer())
    assert await _vote(database, "T1", answer_id, "U1", UP) == 0
    assert await _vote(database, "T1", answer_id, "U1", DOWN) == UP
    assert await _vote(database, "T1", answer_id, "U2", DOWN) == 0
    async with database.session() as session:
        await set_vote_reason(session, team_id="T1", answer_id=answer_id, user_id="U1", reason="  outdated  ")
        assert await vote_counts(session) == {"p1": (0, 2)}
        with pytest.raises(NotFoundError):
            await set_vote_reason(session, team_id="T1", answer_id=answer_id, user_id="U9", reason="x")
        with pytest.raises(NotFoundError):
            await cast_vote(session, team_id="T2", answer_id=answer_id, user_id="U1", vote=UP)


async def test_the_prior_sums_workspaces_and_forgets_a_deleted_one(database: Database):
    first = await _ask(database, "T1", "q", _answer(cited=("p1",)))
    second = await _ask(database, "T2", "q", _answer(cited=("p1", "p2"), retrieved=("p1", "p2", "p3")))
    await _vote(database, "T1", first, "U1", UP)
    await _vote(database, "T2", second, "U7", UP)
    await _vote(database, "T2", second, "U8", DOWN)
    async with database.session() as session:
        assert await vote_counts(session) == {"p1": (2, 1), "p2": (1, 1)}
    async with database.session() as session:
        deleted = await delete_workspace_data(session, team_id="T2")
        assert deleted["answer_vote"] == 2 and deleted["answer"] == 1
    async with database.session() as session:
        assert await vote_counts(session) == {"p1": (1, 0)}


async def test_gaps_list_unanswered_and_thumbs_down_questions_most_asked_first(database: Database):
    for _ in range(3):
        await _ask(database, "T1", "What is our churn rate?", _answer(grounded=False, retrieved=("p9",)))
    await _ask(database, "T2", "what is our churn rate", _answer(grounded=False))
    disliked = await _ask(database, "T1", "How do we seed data?", _answer())
    await _vote(database, "T1", disliked, "U1", DOWN)
    async with database.session() as session:
        await set_vote_reason(session, team_id="T1", answer_id=disliked, user_id="U1", reason="too vague")
    liked = await _ask(database, "T1", "What is a flywheel?", _answer())
    await _vote(database, "T1", liked, "U1", UP)
    await _ask(database, "T1", "How do we set up rollouts in LaunchDarkly?", _answer(closest=True))
    async with database.session() as session:
        mine = await knowledge_gaps(session, team_id="T1")
        everyone = await knowledge_gaps(session)
    assert [(g.question, g.asked, g.unanswered, g.closest, g.thumbs_down) for g in mine] == [
        ("What is our churn rate?", 3, 3, 0, 0),
        ("How do we seed data?", 1, 0, 0, 1),
        ("How do we set up rollouts in LaunchDarkly?", 1, 0, 1, 0),
    ]
    assert mine[0].nearest == ["Guide > Section p9"]
    assert mine[1].reasons == ["too vague"]
    assert (everyone[0].asked, everyone[0].to_json()["workspaces"]) == (4, 2)
