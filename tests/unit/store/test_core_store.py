"""Event de-duplication, thread ownership and workspace data: each workspace sees only its own rows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from bot.store.db import Database
from bot.store.deliveries import claim_event, forget_events_before
from bot.store.models import ProcessedEvent, ThreadSession
from bot.store.threads import claim_thread, find_thread
from bot.store.workspaces import delete_workspace_data, remember_workspace


async def test_an_event_is_claimed_once(database: Database) -> None:
    async with database.session() as session:
        assert await claim_event(session, team_id="T1", event_id="Ev1") is True
    async with database.session() as session:
        assert await claim_event(session, team_id="T1", event_id="Ev1") is False
        assert await claim_event(session, team_id="T2", event_id="Ev1") is True


async def test_concurrent_claims_of_one_event_let_exactly_one_through(database: Database) -> None:
    async def claim() -> bool:
        async with database.session() as session:
            return await claim_event(session, team_id="T1", event_id="EvRace")

    results = await asyncio.gather(*(claim() for _ in range(5)), return_exceptions=True)
    assert [result for result in results if result is True] == [True]


async def test_old_event_records_are_forgotten_per_workspace(database: Database) -> None:
    async with database.session() as session:
        await claim_event(session, team_id="T1", event_id="Ev1")
        await claim_event(session, team_id="T2", event_id="Ev1")
    async with database.session() as session:
        removed = await forget_events_before(session, team_id="T1", before=datetime.now(UTC) + timedelta(seconds=1))
    assert removed == 1
    async with database.session() as session:
        left = (await session.exec(select(ProcessedEvent.team_id))).all()
    assert left == ["T2"]


async def test_a_thread_keeps_its_first_owner_and_is_invisible_to_other_workspaces(database: Database) -> None:
    async with database.session() as session:
        await claim_thread(session, team_id="T1", channel_id="C1", thread_ts="1.0", kind="interview")
        await claim_thread(session, team_id="T1", channel_id="C1", thread_ts="1.0", kind="answer")
    async with database.session() as session:
        assert await find_thread(session, team_id="T2", channel_id="C1", thread_ts="1.0") is None
        found = await find_thread(session, team_id="T1", channel_id="C1", thread_ts="1.0")
    assert found is not None and found.kind == "interview"


async def test_deleting_a_workspace_removes_its_rows_in_every_table_and_nothing_else(database: Database) -> None:
    async with database.session() as session:
        for team in ("T1", "T2"):
            await remember_workspace(session, team_id=team)
            await claim_event(session, team_id=team, event_id="Ev1")
            await claim_thread(session, team_id=team, channel_id="C1", thread_ts="1.0", kind="answer")
    async with database.session() as session:
        counts = await delete_workspace_data(session, team_id="T1")
    assert counts == {"workspace": 1, "processed_event": 1, "thread_session": 1}
    async with database.session() as session:
        threads = (await session.exec(select(ThreadSession.team_id))).all()
        events = (await session.exec(select(func.count()).select_from(ProcessedEvent))).one()
    assert threads == ["T2"]
    assert events == 1


async def test_claims_of_one_thread_at_once_keep_one_owner_and_raise_nothing(database: Database) -> None:
    async def claim(kind: str) -> None:
        async with database.session() as session:
            await claim_thread(session, team_id="T1", channel_id="C1", thread_ts="2.0", kind=kind)

    await asyncio.gather(*(claim(kind) for kind in ("answer", "interview", "checkin", "answer")))
    async with database.session() as session:
        owners = (await session.exec(select(ThreadSession.kind).where(ThreadSession.thread_ts == "2.0"))).all()
    assert len(owners) == 1
