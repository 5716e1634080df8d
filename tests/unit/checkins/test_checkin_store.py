from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import StatementError

from bot.checkins import records
from bot.checkins.items import Result, ShipItem, record_result
from bot.checkins.schedule import Prompt, Schedule, skip_week
from bot.stages import Stage
from bot.store import checkins as store
from bot.store.db import Database
from bot.store.models import Workspace

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
TUESDAY_TEN = datetime(2026, 3, 3, 10, tzinfo=UTC)


async def turn_on(database: Database, channel: str = "C1", team: str = "T1", **schedule: object) -> None:
    async with database.session() as session:
        await records.turn_on(
            session, team_id=team, channel_id=channel, default=Schedule(**schedule), user_id="U1", now=MONDAY
        )


async def test_turning_on_arms_the_next_due_time_and_off_disarms_it(database: Database) -> None:
    await turn_on(database)
    async with database.session() as session:
        row = await store.get_schedule(session, team_id="T1", channel_id="C1")
        assert row is not None
        assert row.next_due_at == TUESDAY_TEN
        assert row.checked_through == MONDAY
        assert await store.due_schedules(session, now=TUESDAY_TEN - timedelta(seconds=1)) == []
        assert [r.channel_id for r in await store.due_schedules(session, now=TUESDAY_TEN)] == ["C1"]
        assert await store.earliest_due(session) == TUESDAY_TEN
        assert await store.turn_off(session, team_id="T1", channel_id="C1", now=MONDAY)
        assert not await store.turn_off(session, team_id="T1", channel_id="C1", now=MONDAY)
        assert await store.earliest_due(session) is None


async def test_a_schedule_round_trips_as_plain_data(database: Database) -> None:
    await turn_on(database, timezone="Europe/Berlin", participants=("U1", "U2"))
    async with database.session() as session:
        loaded = await records.load_schedule(session, team_id="T1", channel_id="C1")
    assert loaded is not None
    assert loaded[1] == Schedule(timezone="Europe/Berlin", participants=("U1", "U2"))
    assert loaded[0].next_due_at == datetime(2026, 3, 3, 9, tzinfo=UTC)  # 10:00 CET


async def test_a_channel_skip_moves_the_next_due_time_past_it(database: Database) -> None:
    await turn_on(database)
    async with database.session() as session:
        skip = skip_week("2026-W10")
        await store.add_skip(
            session, team_id="T1", channel_id="C1", user_id=skip.user_id, first_day=skip.first_day,
            last_day=skip.last_day, created_by="U1",
        )  # fmt: skip
        await records.refresh_next_due(session, team_id="T1", channel_id="C1", now=MONDAY)
        row = await store.get_schedule(session, team_id="T1", channel_id="C1")
        assert row.next_due_at == datetime(2026, 3, 10, 10, tzinfo=UTC)
        assert await store.end_skips(session, team_id="T1", channel_id="C1", user_id=None, today=date(2026, 3, 4)) == 1
        skips = await store.skips_for(session, team_id="T1", channel_ids=["C1"])
    assert [(s.first_day, s.last_day) for s in skips["C1"]] == [(date(2026, 3, 2), date(2026, 3, 3))]


async def test_pausing_stops_the_schedule_until_it_is_turned_on_again(database: Database) -> None:
    await turn_on(database)
    async with database.session() as session:
        assert await store.pause(session, team_id="T1", channel_id="C1", reason="archived", now=MONDAY)
        assert await store.due_schedules(session, now=TUESDAY_TEN) == []
    async with database.session() as session:
        assert await records.turn_on(
            session, team_id="T1", channel_id="C1", default=Schedule(), user_id="U2", now=TUESDAY_TEN
        )
    async with database.session() as session:
        row = await store.get_schedule(session, team_id="T1", channel_id="C1")
        assert row is not None
        assert (row.state, row.set_up_by, row.paused_reason) == ("on", "U2", None)
        assert row.next_due_at == datetime(2026, 3, 5, 10, tzinfo=UTC)  # Tuesday's is not owed


async def test_a_dispatch_key_is_written_once_and_taken_over_only_by_compare_and_swap(database: Database) -> None:
    claim = dict(
        team_id="T1", channel_id="C1", week="2026-W10", prompt=Prompt.SHIP, status="claimed",
        scheduled_at=TUESDAY_TEN, deadline=TUESDAY_TEN + timedelta(days=2), late=False, now=TUESDAY_TEN,
    )  # fmt: skip
    async with database.session() as session:
        first = await store.claim_dispatch(session, token="a", **claim)
        second = await store.claim_dispatch(session, token="b", **claim)
    assert first is not None and second is None
    later = TUESDAY_TEN + timedelta(minutes=11)
    async with database.session() as session:
        (stale,) = await store.stale_dispatches(session, now=later, lease=timedelta(minutes=10), max_attempts=5)
        assert await store.stale_dispatches(session, now=later, lease=timedelta(minutes=20), max_attempts=5) == []
    async with database.session() as session:
        assert await store.reclaim_dispatch(session, team_id="T1", dispatch=stale, token="c", now=later)
        assert not await store.reclaim_dispatch(session, team_id="T1", dispatch=stale, token="d", now=later)
        assert not await store.finish_dispatch(
            session, team_id="T1", dispatch_id=first, token="a", status="posted", now=later, message_ts="1.0"
        )
        assert await store.finish_dispatch(
            session, team_id="T1", dispatch_id=first, token="c", status="posted", now=later, message_ts="1.0"
        )
        row = await store.find_dispatch(session, team_id="T1", channel_id="C1", week="2026-W10", prompt=Prompt.SHIP)
    assert (row.status, row.attempts, row.message_ts) == ("posted", 2, "1.0")


async def test_items_stay_inside_their_workspace(database: Database) -> None:
    item = ShipItem("i1", "2026-W10", "Thumbs", "U1", Stage.FEEDBACK, "rated answers", TUESDAY_TEN)
    async with database.session() as session:
        await store.add_item(
            session, team_id="T1", channel_id="C1", item_id=item.id, week=item.week, shipped_at=item.shipped_at,
            columns=records.item_columns(item), created_by="U1", source_ts="9.1",
        )  # fmt: skip
    measured = record_result(item, Result.MOVED, at=TUESDAY_TEN + timedelta(days=2), number=3.0)
    columns = records.item_columns(measured)
    async with database.session() as session:
        assert await store.save_item(session, team_id="T2", item_id="i1", columns=columns, now=TUESDAY_TEN) is None
        assert await store.get_item(session, team_id="T2", item_id="i1") is None
        assert await store.week_items(session, team_id="T2", channel_id="C1", week="2026-W10") == []
        await store.save_item(session, team_id="T1", item_id="i1", columns=columns, now=TUESDAY_TEN, result_ts="9.2")
    async with database.session() as session:
        (row,) = await store.week_items(session, team_id="T1", channel_id="C1", week="2026-W10")
        assert records.ship_item(row) == measured
        assert (
            await store.item_by_reply(session, team_id="T1", channel_id="C1", ts="9.2", field="result_ts")
        ).id == "i1"
        assert await store.item_by_reply(session, team_id="T2", channel_id="C1", ts="9.1") is None


async def test_stored_times_come_back_aware_in_utc_without_conversion(database: Database) -> None:
    berlin_ten = datetime(2026, 3, 3, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    async with database.session() as session:
        await records.turn_on(session, team_id="T1", channel_id="C1", default=Schedule(), user_id="U1", now=berlin_ten)
    async with database.session() as session:
        row = await store.get_schedule(session, team_id="T1", channel_id="C1")
        assert row is not None
        assert row.checked_through == datetime(2026, 3, 3, 9, tzinfo=UTC)
        assert row.checked_through.tzinfo is UTC
        assert row.created_at.tzinfo is UTC


async def test_a_naive_time_is_refused_instead_of_stored_ambiguously(database: Database) -> None:
    with pytest.raises(StatementError, match="timezone-aware"):
        async with database.session() as session:
            session.add(Workspace(team_id="T1", first_seen_at=datetime(2026, 3, 3)))
