"""Exactly once, on SQLite and PostgreSQL: passes racing, processes racing, and processes that die mid-way."""

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot.checkins import records
from bot.checkins.dispatch import Dispatcher
from bot.checkins.schedule import Prompt, Schedule
from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.emulator.waiting import Notifier, wait_until
from bot.installations import WorkspaceTokens
from bot.listeners.checkins.poster import CHECKIN_EVENT, SlackCheckinPoster
from bot.store import checkins as store
from bot.store.db import Database
from bot.store.models.checkins import CheckinDispatch
from bot.store.threads import find_thread
from tests.conftest import LEAKY_VARIABLES

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
SHIP_DUE = datetime(2026, 3, 3, 10, 0, 5, tzinfo=UTC)
AFTER_LEASE = SHIP_DUE + timedelta(minutes=11)
COACH = Path(sys.executable).parent / "flywheel-coach"


async def seed(db: Database, slack: LocalSlack, count: int) -> list[str]:
    channels = [slack.add_channel(f"squad-{n}") for n in range(count)]
    async with db.session() as session:
        for channel in channels:
            await records.turn_on(
                session, team_id=slack.team_id, channel_id=channel, default=Schedule(), user_id="U0OWNER", now=MONDAY
            )
    return channels


def client_for(slack: LocalSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


def poster_for(slack: LocalSlack) -> SlackCheckinPoster:
    return SlackCheckinPoster(client_for(slack), WorkspaceTokens(token=slack.bot_token))


def ship_prompts(slack: LocalSlack) -> Counter[str]:
    return Counter(m.channel for m in slack.bot_messages() if "What ships this week" in m.all_text())


async def dispatch_rows(db: Database, team_id: str) -> list[CheckinDispatch]:
    async with db.session() as session:
        return list((await session.exec(select(CheckinDispatch).where(CheckinDispatch.team_id == team_id))).all())


async def test_two_passes_at_once_post_every_prompt_exactly_once(
    database: Database, database_url: str, slack: LocalSlack, clock: ManualClock
) -> None:
    channels = await seed(database, slack, 30)
    other = Database(database_url)
    clock.set(SHIP_DUE)
    try:
        first, second = await asyncio.gather(
            Dispatcher(database).run_pass(poster_for(slack), SHIP_DUE),
            Dispatcher(other).run_pass(poster_for(slack), SHIP_DUE),
        )
    finally:
        await other.dispose()
    assert ship_prompts(slack) == Counter({channel: 1 for channel in channels})
    posted = first.counts().get("posted", 0) + second.counts().get("posted", 0)
    taken = first.counts().get("taken_by_another_pass", 0) + second.counts().get("taken_by_another_pass", 0)
    assert posted == 30
    assert taken <= 30
    rows = await dispatch_rows(database, slack.team_id)
    assert sorted(row.status for row in rows) == ["posted"] * 30
    assert all(row.message_ts for row in rows)


async def test_a_key_written_by_a_process_that_died_before_posting_is_posted_once_after_the_lease(
    database: Database, slack: LocalSlack, clock: ManualClock
) -> None:
    (channel,) = await seed(database, slack, 1)
    async with database.session() as session:  # what the dead process managed: the key, nothing else
        await store.claim_dispatch(
            session, team_id=slack.team_id, channel_id=channel, week="2026-W10", prompt=Prompt.SHIP,
            status="claimed", scheduled_at=SHIP_DUE - timedelta(seconds=5), deadline=SHIP_DUE + timedelta(days=2),
            late=False, token="dead-process", now=SHIP_DUE,
        )  # fmt: skip
    dispatcher = Dispatcher(database)
    clock.set(SHIP_DUE + timedelta(minutes=1))
    early = await dispatcher.run_pass(poster_for(slack), SHIP_DUE + timedelta(minutes=1))
    assert early.counts() == {"taken_by_another_pass": 1}  # still within the dead process's lease
    assert ship_prompts(slack) == Counter()

    clock.set(AFTER_LEASE)
    recovered = await dispatcher.run_pass(poster_for(slack), AFTER_LEASE)
    assert recovered.counts() == {"posted": 1}
    assert ship_prompts(slack) == Counter({channel: 1})
    (row,) = await dispatch_rows(database, slack.team_id)
    assert (row.status, row.attempts) == ("posted", 2)
    async with database.session() as session:
        thread = await find_thread(session, team_id=slack.team_id, channel_id=channel, thread_ts=row.message_ts or "")
    assert thread is not None and thread.kind == "checkin"


async def test_a_message_posted_just_before_a_crash_is_found_not_posted_again(
    database: Database, slack: LocalSlack, clock: ManualClock
) -> None:
    (channel,) = await seed(database, slack, 1)
    clock.set(SHIP_DUE)
    async with database.session() as session:
        await store.claim_dispatch(
            session, team_id=slack.team_id, channel_id=channel, week="2026-W10", prompt=Prompt.SHIP,
            status="claimed", scheduled_at=SHIP_DUE - timedelta(seconds=5), deadline=SHIP_DUE + timedelta(days=2),
            late=False, token="dead-process", now=SHIP_DUE,
        )  # fmt: skip
    key = f"{slack.team_id}/{channel}/2026-W10/ship"
    posted = await client_for(slack).chat_postMessage(
        channel=channel,
        text="What ships this week? (posted by a process that died before recording it)",
        metadata={"event_type": CHECKIN_EVENT, "event_payload": {"key": key}},
    )

    clock.set(AFTER_LEASE)
    report = await Dispatcher(database).run_pass(poster_for(slack), AFTER_LEASE)

    assert report.counts() == {"found_already_posted": 1}
    assert ship_prompts(slack) == Counter({channel: 1})
    (row,) = await dispatch_rows(database, slack.team_id)
    assert (row.status, row.message_ts) == ("posted", posted["ts"])


def coach_environment(slack: LocalSlack, database_url: str, data_dir: Path) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in LEAKY_VARIABLES}
    environment.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_API_URL=slack.api_url,
        FLYWHEEL_DATA_DIR=str(data_dir),
    )
    return environment


async def run_due(environment: dict[str, str], now: datetime) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(COACH), "checkins", "run-due", "--now", now.isoformat(), "--json",
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_two_run_due_processes_started_at_once_leave_one_message_per_prompt(
    database: Database, database_url: str, slack: LocalSlack, clock: ManualClock, tmp_path: Path
) -> None:
    channels = await seed(database, slack, 12)
    clock.set(SHIP_DUE)
    environment = coach_environment(slack, database_url, tmp_path / "data")

    processes = [await run_due(environment, SHIP_DUE) for _ in range(2)]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))

    assert [process.returncode for process in processes] == [0, 0], [err.decode()[-500:] for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert sum(report["counts"].get("posted", 0) for report in reports) == 12
    assert ship_prompts(slack) == Counter({channel: 1 for channel in channels})


async def test_a_process_killed_while_posting_leaves_exactly_one_message(
    database: Database, database_url: str, slack: LocalSlack, clock: ManualClock, tmp_path: Path
) -> None:
    (channel,) = await seed(database, slack, 1)
    clock.set(SHIP_DUE)
    environment = coach_environment(slack, database_url, tmp_path / "data")
    slack.faults.slow("chat.postMessage", seconds=2, times=1)

    doomed = await run_due(environment, SHIP_DUE)
    await wait_until(
        Notifier(),
        lambda: slack.api_calls("chat.postMessage"),
        limit=20,
        describe=lambda: "the first process to start posting",
    )
    doomed.send_signal(signal.SIGKILL)
    await doomed.wait()
    await slack.wait_idle()
    (row,) = await dispatch_rows(database, slack.team_id)
    assert (row.status, row.message_ts) == ("claimed", None)  # the key was written, the ts never recorded

    clock.set(AFTER_LEASE)
    survivor = await run_due(environment, AFTER_LEASE)
    out, err = await survivor.communicate()
    assert survivor.returncode == 0, err.decode()[-500:]
    assert json.loads(out)["counts"] in ({"posted": 1}, {"found_already_posted": 1})
    assert ship_prompts(slack) == Counter({channel: 1})
    (row,) = await dispatch_rows(database, slack.team_id)
    assert row.status == "posted" and row.message_ts
