"""`flywheel-coach bench checkins`: one pass over many channels through the local Slack, timed.

It posts the way `serve` does: the Slack poster over the coach's own Web API client (which waits out
the forced 429s), into the local Slack.
"""

import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_web_client
from bot.checkins.dispatch import Dispatcher, PassReport
from bot.checkins.records import schedule_columns
from bot.checkins.schedule import Schedule, next_occurrence
from bot.clock import ManualClock
from bot.config import load_settings
from bot.emulator import LocalSlack
from bot.installations import WorkspaceTokens
from bot.listeners.checkins.poster import SlackCheckinPoster
from bot.manifest import build_manifest
from bot.store.db import Database
from bot.store.models.checkins import CheckinSchedule

# A Monday; the ship prompt is due the next day at 10:00 UTC.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class BenchFigures:
    """What the benchmark measured."""

    channels: int
    due_seconds: float
    idle_seconds: float
    posted: int
    channels_with_one_message: int
    rate_limited_calls: int
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON (`bench checkins --json`)."""
        return asdict(self)

    def lines(self) -> list[str]:
        """The figures, one per line."""
        return [
            f"channels: {self.channels}",
            f"pass with every channel due: {self.due_seconds:.2f} s "
            f"({self.posted / self.due_seconds:.0f} posts/s), outcomes {self.counts}",
            f"channels with exactly one message: {self.channels_with_one_message}",
            f"calls answered 429 and retried after Retry-After: {self.rate_limited_calls}",
            f"pass with nothing due: {self.idle_seconds * 1000:.1f} ms",
        ]


async def _seed(db: Database, team_id: str, channel_ids: list[str]) -> None:
    schedule = Schedule()
    upcoming = next_occurrence(schedule, MONDAY)
    assert upcoming is not None
    rows = [
        CheckinSchedule(
            team_id=team_id,
            channel_id=channel_id,
            set_up_by="U0BENCH",
            checked_through=MONDAY,
            next_due_at=upcoming.scheduled_at,
            **schedule_columns(schedule),
        )
        for channel_id in channel_ids
    ]
    async with db.session() as session:
        session.add_all(rows)


async def run_bench(*, channels: int, data_dir: Path, database_url: str | None, storm: int) -> BenchFigures:
    """Seed `channels` schedules, then time a pass with all due and one with nothing due."""
    clock = ManualClock(MONDAY)
    url = database_url or f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    db = Database(url)
    await db.upgrade()
    try:
        async with LocalSlack(clock=clock, manifest=build_manifest()) as slack:
            channel_ids = [slack.add_channel(f"bench-{index:05d}") for index in range(channels)]
            await _seed(db, slack.team_id, channel_ids)
            settings = load_settings(SLACK_BOT_TOKEN=slack.bot_token, SLACK_API_URL=slack.api_url)
            poster = SlackCheckinPoster(build_web_client(settings), WorkspaceTokens(token=settings.slack_bot_token))
            slack.faults.rate_limit("chat.postMessage", times=storm, retry_after=1)
            dispatcher = Dispatcher(db, concurrency=32)
            due_at = MONDAY + timedelta(days=1, hours=1)
            clock.set(due_at)
            started = time.perf_counter()
            report: PassReport = await dispatcher.run_pass(poster, due_at)
            due_seconds = time.perf_counter() - started
            idle_at = due_at + timedelta(hours=1)
            clock.set(idle_at)
            started = time.perf_counter()
            await dispatcher.run_pass(poster, idle_at)
            idle_seconds = time.perf_counter() - started
            per_channel = Counter(message.channel for message in slack.bot_messages())
            rate_limited = sum(1 for call in slack.api_calls("chat.postMessage") if call.status == 429)
            problems = slack.clear_problems()
            if problems:
                raise RuntimeError(f"the local Slack saw problems: {problems[:3]}")
    finally:
        await db.dispose()
    return BenchFigures(
        channels=channels,
        due_seconds=due_seconds,
        idle_seconds=idle_seconds,
        posted=sum(per_channel.values()),
        channels_with_one_message=sum(1 for channel in channel_ids if per_channel[channel] == 1),
        rate_limited_calls=rate_limited,
        counts=report.counts(),
    )
