"""Interviews in storage: versions per channel, resume after restart, racing answers, tenancy."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.errors import NotFoundError
from bot.interview.engine import Outcome
from bot.interview.service import InterviewService, map_document
from bot.store.db import Database
from bot.store.loop_maps import InterviewAlreadyRunning, latest_maps

REPLIES = {
    "data_status": "yes",
    "collection": "4 - click events, owner @dana",
    "storage": "3",
    "storage_shared": "silos",
    "analysis": "2",
    "application": "2",
    "insight_path": "deck",
    "feedback": "2",
    "loop_closes": "no",
    "deletion_test": "network",
    "complexity": "compounds",
    "risks": "none",
    "idea_to_live": "2 weeks",
    "live_to_learn": "3 days",
}


async def finish(service: InterviewService, team: str, channel: str, replies: dict, user: str = "U1"):
    started = await service.start(team_id=team, channel_id=channel, user_id=user)
    interview_id = started.interview.id
    question = started.question.id
    while True:
        step = await service.reply(
            team_id=team, interview_id=interview_id, question_id=question, reply=replies[question], user_id=user
        )
        assert step.outcome in (Outcome.ADVANCED, Outcome.FINISHED), step.result.message
        if step.outcome is Outcome.FINISHED:
            return step
        question = step.result.question.id


async def test_a_finished_interview_is_version_one_and_a_rerun_is_version_two(database: Database):
    service = InterviewService(database)
    first = await finish(service, "T1", "C1", REPLIES)
    assert first.map_version.version == 1
    assert first.diagnosis.drag == "feedback"
    rerun = await service.start(team_id="T1", channel_id="C1", user_id="U2")
    assert rerun.base_version == 1
    assert rerun.state.previous["storage_shared"].value == "silos"
    interview_id, question = rerun.interview.id, rerun.question.id
    for reply in ("keep", "keep", "keep"):
        step = await service.reply(
            team_id="T1", interview_id=interview_id, question_id=question, reply=reply, user_id="U2"
        )
        question = step.result.question.id
    assert question == "storage_shared"
    step = await service.reply(team_id="T1", interview_id=interview_id, question_id=question, reply="1", user_id="U2")
    step = await service.reply(
        team_id="T1", interview_id=interview_id, question_id=step.result.question.id, reply="keep all", user_id="U2"
    )
    assert step.outcome is Outcome.FINISHED
    assert step.map_version.version == 2
    stored = await service.current_map(team_id="T1", channel_id="C1")
    assert [version.version for version in stored.history] == [1, 2]
    assert [item.kind for item in stored.diagnosis.breaks] == ["slide_deck", "open_loop"]
    assert stored.current.answers["storage_shared"]["user_id"] == "U2"
    assert stored.current.answers["collection"]["user_id"] == "U1"
    document = map_document(stored, team_id="T1", channel_id="C1")
    assert document["version"] == 2 and [h["version"] for h in document["history"]] == [1, 2]
    assert document["history"][0]["scores"]["storage"] < document["history"][1]["scores"]["storage"]
    assert document["created_at"].endswith("+00:00")


async def test_an_interview_resumes_at_the_same_question_after_a_restart(database: Database):
    started = await InterviewService(database).start(team_id="T1", channel_id="C1", user_id="U1")
    await InterviewService(database).reply(
        team_id="T1", interview_id=started.interview.id, question_id="data_status", reply="1", user_id="U1"
    )
    row, state = await InterviewService(database).load(team_id="T1", interview_id=started.interview.id)
    assert state.current == "collection" and state.answers["data_status"].value == "yes"


async def test_racing_answers_keep_one_and_say_so(database: Database):
    service = InterviewService(database)
    started = await service.start(team_id="T1", channel_id="C1", user_id="U1")

    async def reply(user: str, text: str):
        return await service.reply(
            team_id="T1", interview_id=started.interview.id, question_id="data_status", reply=text, user_id=user
        )

    steps = await asyncio.gather(reply("U1", "yes"), reply("U2", "none"), reply("U3", "a little"))
    outcomes = sorted(step.outcome for step in steps)
    assert outcomes.count(Outcome.ADVANCED) == 1 and outcomes.count(Outcome.STALE) == 2
    winner = next(step for step in steps if step.outcome is Outcome.ADVANCED)
    _, state = await service.load(team_id="T1", interview_id=started.interview.id)
    assert state.revision == 1
    assert state.answers["data_status"].user_id == winner.result.state.answers["data_status"].user_id
    for loser in (step for step in steps if step.outcome is Outcome.STALE):
        assert loser.result.answered_by == state.answers["data_status"].user_id


async def test_one_running_interview_per_channel_and_restart_replaces_it(database: Database):
    service = InterviewService(database)
    first = await service.start(team_id="T1", channel_id="C1", user_id="U1")
    with pytest.raises(InterviewAlreadyRunning) as raised:
        await service.start(team_id="T1", channel_id="C1", user_id="U2")
    assert raised.value.interview_id == first.interview.id
    assert "/flywheel interview restart" in raised.value.message
    await service.start(team_id="T2", channel_id="C1", user_id="U9")  # another workspace is independent
    second = await service.start(team_id="T1", channel_id="C1", user_id="U2", restart=True)
    assert second.interview.id != first.interview.id
    stopped = await service.reply(
        team_id="T1", interview_id=first.interview.id, question_id="data_status", reply="yes", user_id="U1"
    )
    assert stopped.outcome is Outcome.STALE and "stopped" in stopped.result.message


async def test_workspaces_never_see_each_others_maps_or_interviews(database: Database):
    service = InterviewService(database)
    step = await finish(service, "T1", "C1", REPLIES)
    assert await service.current_map(team_id="T2", channel_id="C1") is None
    with pytest.raises(NotFoundError):
        await service.load(team_id="T2", interview_id=step.interview.id)
    async with database.session() as session:
        assert await latest_maps(session, team_id="T2") == []
        assert [row.channel_id for row in await latest_maps(session, team_id="T1")] == ["C1"]


async def test_latest_maps_lists_the_newest_version_per_channel(database: Database):
    service = InterviewService(database)
    await finish(service, "T1", "C1", REPLIES)
    await finish(service, "T1", "C2", REPLIES)
    rerun = await service.start(team_id="T1", channel_id="C1", user_id="U1")
    await service.reply(
        team_id="T1", interview_id=rerun.interview.id, question_id="data_status", reply="keep all", user_id="U1"
    )
    async with database.session() as session:
        newest = await latest_maps(session, team_id="T1")
        only_c2 = await latest_maps(session, team_id="T1", channel_ids=["C2"])
    assert [(row.channel_id, row.version) for row in newest] == [("C1", 2), ("C2", 1)]
    assert [row.channel_id for row in only_c2] == ["C2"]


async def test_recommendations_cite_the_teams_search(database: Database):
    calls = []

    async def search(query: str, *, team_id: str, k: int):
        calls.append((team_id, k))
        return [SimpleNamespace(title="Breaks", section="Silos", source="guide.md", text="Shared storage.", score=1.0)]

    step = await finish(InterviewService(database, search=search), "T1", "C1", REPLIES)
    assert calls == [("T1", 1)] * 3
    assert all(item.citations[0].source == "guide.md" for item in step.diagnosis.recommendations)
    stored = await InterviewService(database).current_map(team_id="T1", channel_id="C1")
    assert stored.diagnosis.recommendations[0].citations[0].title == "Breaks"
