"""Get-or-create, toggles and votes raced by several engines on one database (as several `serve` processes would).

Each race is repeated for many rounds, so an interleaving that breaks it shows up reliably.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from sqlmodel import col, func, select

from bot.checkins import records
from bot.checkins.schedule import Schedule
from bot.store import answers as answer_store
from bot.store import checkins as checkin_store
from bot.store.db import Database
from bot.store.loop_maps import save_map_version
from bot.store.models import Workspace
from bot.store.models.answers import DOWN, UP, AnswerVote
from bot.store.models.checkins import SCHEDULE_ON, CheckinSchedule
from bot.store.models.loop_map import LoopMapVersion
from bot.store.workspaces import remember_workspace

ROUNDS = 20
RACERS = 4
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
Result = TypeVar("Result")


@pytest.fixture
async def engines(database: Database, database_url: str) -> AsyncIterator[list[Database]]:
    """One engine per racer on the same (migrated) database, like separate processes."""
    others = [Database(database_url) for _ in range(RACERS - 1)]
    try:
        yield [database, *others]
    finally:
        for other in others:
            await other.dispose()


async def race(engines: list[Database], work: Callable[[Database], Awaitable[Result]]) -> list[Result]:
    """Run `work` once per engine, all at once; any error fails the test."""
    return list(await asyncio.gather(*(work(engine) for engine in engines)))


async def test_a_new_workspace_seen_at_once_is_created_once(engines: list[Database]) -> None:
    for round_number in range(ROUNDS):
        team_id = f"TNEW{round_number}"

        async def remember(db: Database, team_id: str = team_id) -> str:
            async with db.session() as session:
                return (await remember_workspace(session, team_id=team_id)).team_id

        assert await race(engines, remember) == [team_id] * RACERS
    async with engines[0].session() as session:
        count = (await session.exec(select(func.count()).select_from(Workspace))).one()
    assert count == ROUNDS


async def test_answers_recorded_at_once_in_a_new_workspace_are_all_kept(engines: list[Database]) -> None:
    for round_number in range(ROUNDS):
        team_id = f"TASK{round_number}"

        async def record(db: Database, team_id: str = team_id) -> int:
            async with db.session() as session:
                row = await answer_store.record_answer(
                    session,
                    team_id=team_id,
                    channel_id="C1",
                    user_id="U1",
                    question="how do we start?",
                    text="like this",
                    grounded=True,
                    generated=False,
                    confidence=0.5,
                    passages=[],
                    surface="dm",
                )
                return row.id or 0

        ids = await race(engines, record)
        assert len(set(ids)) == RACERS
        async with engines[0].session() as session:
            assert await answer_store.answer_count(session, team_id=team_id) == RACERS


async def _new_answer(db: Database, team_id: str) -> int:
    async with db.session() as session:
        row = await answer_store.record_answer(
            session,
            team_id=team_id,
            channel_id="C1",
            user_id="U0",
            question="q",
            text="a",
            grounded=True,
            generated=False,
            confidence=0.5,
            passages=[answer_store.RetrievedPassage("p1", "Guide › Start", "knowledge/start.md", 0.9, True)],
            surface="mention",
        )
        return row.id or 0


async def _votes(db: Database, team_id: str, answer_id: int) -> list[int]:
    async with db.session() as session:
        rows = await session.exec(
            select(AnswerVote.vote).where(AnswerVote.team_id == team_id, AnswerVote.answer_id == answer_id)
        )
        return list(rows.all())


async def test_one_person_voting_the_same_way_at_once_keeps_one_vote(engines: list[Database]) -> None:
    team_id = "TVOTE"
    for _ in range(ROUNDS):
        answer_id = await _new_answer(engines[0], team_id)

        async def vote(db: Database, answer_id: int = answer_id) -> int:
            async with db.session() as session:
                return await answer_store.cast_vote(
                    session, team_id=team_id, answer_id=answer_id, user_id="U1", vote=UP
                )

        previous = await race(engines, vote)
        assert sorted(previous) == [0] + [UP] * (RACERS - 1)  # exactly one click was new; the others repeat it
        assert await _votes(engines[0], team_id, answer_id) == [UP]


async def test_up_and_down_at_once_end_as_one_vote_whose_history_adds_up(engines: list[Database]) -> None:
    team_id = "TFLIP"
    for round_number in range(ROUNDS):
        answer_id = await _new_answer(engines[0], team_id)
        wanted = [UP if (n + round_number) % 2 else DOWN for n in range(RACERS)]

        async def vote(db: Database, answer_id: int = answer_id, wanted: list[int] = wanted) -> tuple[int, int]:
            choice = wanted[engines.index(db)]
            async with db.session() as session:
                previous = await answer_store.cast_vote(
                    session, team_id=team_id, answer_id=answer_id, user_id="U1", vote=choice
                )
            return previous, choice

        changes = await race(engines, vote)
        # Replayed in the order they really happened, the (previous, new) pairs form one chain from no vote
        # to the stored vote: none is lost, none counted twice.
        stored = await _votes(engines[0], team_id, answer_id)
        assert len(stored) == 1
        ups = sum(int(new == UP) - int(previous == UP) for previous, new in changes)
        downs = sum(int(new == DOWN) - int(previous == DOWN) for previous, new in changes)
        assert (ups, downs) == ((1, 0) if stored == [UP] else (0, 1))
        assert [previous for previous, _ in changes].count(0) == 1


async def test_checkins_turned_on_at_once_start_once(engines: list[Database]) -> None:
    for round_number in range(ROUNDS):
        channel_id = f"CON{round_number}"

        async def turn_on(db: Database, channel_id: str = channel_id) -> bool:
            async with db.session() as session:
                return await records.turn_on(
                    session, team_id="T1", channel_id=channel_id, default=Schedule(), user_id="U1", now=NOW
                )

        assert sorted(await race(engines, turn_on)) == [False] * (RACERS - 1) + [True]
        async with engines[0].session() as session:
            assert await checkin_store.turn_off(session, team_id="T1", channel_id=channel_id, now=NOW)
        # Turned on again from off, at once: again exactly one request changes the state.
        assert sorted(await race(engines, turn_on)) == [False] * (RACERS - 1) + [True]
    async with engines[0].session() as session:
        states = (await session.exec(select(CheckinSchedule.state).where(CheckinSchedule.team_id == "T1"))).all()
    assert list(states) == [SCHEDULE_ON] * ROUNDS


async def test_map_versions_saved_at_once_all_get_their_own_number(engines: list[Database]) -> None:
    for round_number in range(ROUNDS):
        channel_id = f"CMAP{round_number}"

        async def save(db: Database, channel_id: str = channel_id) -> int:
            async with db.session() as session:
                row = await save_map_version(
                    session, team_id="T1", channel_id=channel_id, answers={}, diagnosis={}, created_by="U1"
                )
                return row.version

        assert sorted(await race(engines, save)) == list(range(1, RACERS + 1))
    async with engines[0].session() as session:
        count = (
            await session.exec(
                select(func.count()).select_from(LoopMapVersion).where(col(LoopMapVersion.team_id) == "T1")
            )
        ).one()
    assert count == ROUNDS * RACERS
