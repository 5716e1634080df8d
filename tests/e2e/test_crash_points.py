"""Kill the real coach at every step boundary of the interview and of check-ins, restart it, finish.

One interview per database walks through every fault-injection point (`FLYWHEEL_CRASH_AT`) in flow order:
each `serve` is armed with the next point, driven until it dies there (SIGKILL, as `kill -9` would, and its
last log line names the point), then the next one starts on the same database and data dir and carries the
SAME interview on. A point an earlier death leaves pending work for is reached while the restarted process
finishes that work at start-up; the others are reached handling the person's next reply. After every death
and every restart the thread is checked against what people must see: the current question shown, no
answer lost, no message posted twice or overwritten; at the end the map and its picture are there once.
Check-ins die inside `checkins run-due` (the scheduler's pass), at each point in turn, and the last pass
posts each prompt once. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from bot.checkins.dispatch import CLAIM_LEASE
from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.emulator.humans import Human
from bot.emulator.workspace import Message
from bot.faults import CRASH_AT, KILLED_AT
from bot.interview.engine import InterviewState
from bot.store.db import Database
from bot.store.models.loop_map import InterviewSession, LoopMapVersion
from tests.conftest import LEAKY_VARIABLES
from tests.e2e.test_checkins_concurrency import AFTER_LEASE, SHIP_DUE, dispatch_rows, run_due, seed, ship_prompts
from tests.e2e.test_interview import TYPED

COACH = Path(sys.executable).parent / "flywheel-coach"
QUESTIONS = len(TYPED)
START_TIMEOUT = 180.0
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/slack/events")


@dataclass(frozen=True)
class Kill:
    """One `serve` of the chain: the point it dies at, and what the person does first (nothing: it dies while
    finishing, at start-up, the work the previous process left)."""

    point: str
    starts_interview: bool = False
    answers: tuple[int, ...] = ()
    """The questions answered (typed) while this process runs; the last one's step is the one it dies in."""

    @property
    def logged(self) -> str:
        """How the process names the point in its last log line (`point:n`)."""
        return self.point if ":" in self.point else f"{self.point}:1"


KILLS = [
    # `/flywheel interview`: the step commits (the interview, its intro and first question recorded), then
    # the next processes die finishing that work at start-up, one point each.
    Kill("interview.start.committed", starts_interview=True),
    Kill("effect.intro.claimed"),
    Kill("effect.intro.posted"),
    Kill("effect.question.claimed"),
    Kill("effect.question.posted"),
    # The first answer: stored, then its question closed and the next one asked.
    Kill("interview.reply.committed", answers=(1,)),
    Kill("effect.close.claimed"),
    Kill("effect.close.posted"),
    Kill("effect.question.claimed"),
    Kill("effect.question.posted"),
    # The last answer (this process takes answers 2 to the end): stored with the map, its question closed,
    # the map and its picture posted.
    Kill(f"interview.reply.committed:{QUESTIONS - 1}", answers=tuple(range(2, QUESTIONS + 1))),
    Kill("effect.close.posted"),
    Kill("effect.map_summary.claimed"),
    Kill("effect.map_summary.posted"),
    Kill("effect.map_picture.claimed"),
    Kill("effect.map_picture.posted"),
]


@dataclass
class Serve:
    """One `flywheel-coach serve` process and where its log goes."""

    process: asyncio.subprocess.Process
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def environment(slack: LocalSlack, database_url: str, tmp_path: Path) -> dict[str, str]:
    """`serve` aimed at the local Slack, the test's database, one data dir and a one-file knowledge folder."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "loop.md").write_text(
        "# Data flywheel\n\n## Feedback\n\nA loop closes when what users do feeds the next model.\n"
    )
    values = {name: value for name, value in os.environ.items() if name not in LEAKY_VARIABLES}
    values.pop(CRASH_AT, None)
    values.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=slack.signing_secret,
        SLACK_API_URL=slack.api_url,
        FLYWHEEL_DATA_DIR=str(tmp_path / "data"),
        KNOWLEDGE_DIR=str(knowledge),
    )
    return values


async def launch(environment: dict[str, str], log: Path) -> Serve:
    """Start `serve` on a free port, its output into `log`."""
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(COACH), "serve", "--host", "127.0.0.1", "--port", "0",
            env=environment, stdout=sink, stderr=sink,
        )  # fmt: skip
    return Serve(process, log)


async def stop(serve: Serve) -> None:
    """Stop `serve` if it still runs (SIGTERM, then SIGKILL)."""
    if serve.process.returncode is None:
        serve.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(serve.process.wait(), 20)
        except TimeoutError:
            serve.process.kill()
            await serve.process.wait()


@asynccontextmanager
async def serving(slack: LocalSlack, environment: dict[str, str], log: Path) -> AsyncIterator[Serve]:
    """Start `serve` on a free port, aim the local Slack at it once healthy; stop it on exit if still alive."""
    serve = await launch(environment, log)
    try:
        port = await _wait_healthy(serve)
        if port is None:
            raise AssertionError(f"serve exited with {serve.process.returncode}:\n{serve.tail()}")
        slack.set_request_url(f"http://127.0.0.1:{port}/slack/events")
        yield serve
    finally:
        slack.set_request_url(None)
        await stop(serve)


async def _wait_healthy(serve: Serve) -> int | None:
    """The port once `/healthz` answers 200; None if the process exited first."""
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            if serve.process.returncode is not None:
                return None
            found = LISTENING.search(serve.log.read_text(errors="replace"))
            if found:
                try:
                    async with session.get(f"http://127.0.0.1:{found.group(1)}/healthz") as response:
                        if response.status == 200:
                            return int(found.group(1))
                except aiohttp.ClientError:
                    pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"serve was not healthy within {START_TIMEOUT:g} s:\n{serve.tail()}")


def assert_killed_at(returncode: int | None, log: str, point: str) -> None:
    """The process died by SIGKILL, and its last words name the point it was armed with."""
    assert returncode == -signal.SIGKILL, f"exit {returncode}, not killed at {point}:\n{log[-3000:]}"
    last = log.strip().splitlines()[-1] if log.strip() else ""
    assert last.endswith(f"{KILLED_AT} {point}"), f"not killed at {point}:\n{log[-3000:]}"


async def until(condition: Callable[[], bool], what: str, serve: Serve, timeout: float = 30) -> None:
    """Wait for a condition of the local Slack's state (not for time)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{serve.tail()}")
        await asyncio.sleep(0.05)


def thread_messages(slack: LocalSlack, channel: str) -> list[Message]:
    """The bot's messages in the interview's thread (the intro, questions, map), oldest first."""
    intros = intro_messages(slack, channel)
    if not intros:
        return []
    return [m for m in slack.messages(channel, intros[0].ts) if m.bot_id == slack.bot_id and m.ts != intros[0].ts]


def intro_messages(slack: LocalSlack, channel: str) -> list[Message]:
    return [
        m
        for m in slack.messages(channel)
        if m.bot_id == slack.bot_id and m.ts == (m.thread_ts or m.ts) and "Loop interview started" in m.all_text()
    ]


def question_messages(slack: LocalSlack, channel: str, number: int) -> list[Message]:
    return [m for m in thread_messages(slack, channel) if f"Question {number} of {QUESTIONS}" in m.all_text()]


def open_question(slack: LocalSlack, channel: str, number: int) -> bool:
    """Question `number` is shown with its buttons: the thread shows what to answer now."""
    return any(m.action_elements() for m in question_messages(slack, channel, number))


async def answer(slack: LocalSlack, person: Human, channel: str, number: int, serve: Serve) -> None:
    """Wait for question `number` to be asked, then type its answer in the thread."""
    await until(lambda: open_question(slack, channel, number), f"question {number} to be asked", serve)
    await person.post(channel, TYPED[number - 1][1], thread_ts=intro_messages(slack, channel)[0].ts)


async def interview_answers(database: Database, team_id: str, channel: str) -> set[str]:
    """The questions the channel's interview has an answer stored for."""
    async with database.session() as session:
        result = await session.exec(
            select(InterviewSession).where(InterviewSession.team_id == team_id, InterviewSession.channel_id == channel)
        )
        rows = list(result.all())
    assert len(rows) <= 1, f"{len(rows)} interviews in the channel"
    return set(InterviewState.model_validate(rows[0].state).answers) if rows else set()


async def check_thread(
    slack: LocalSlack, database: Database, channel: str, *, answered: int, settled: bool, serve: Serve
) -> None:
    """What people see after a death (nothing doubled, no answer lost) and, once a restart has finished what was
    left (`settled`), the intro, every answered question closed, and the current question open."""
    assert len(intro_messages(slack, channel)) <= 1, "the intro was posted twice"
    for number in range(1, QUESTIONS + 1):
        shown = question_messages(slack, channel, number)
        assert len(shown) <= 1, f"question {number} was posted {len(shown)} times"
    assert await interview_answers(database, slack.team_id, channel) == {
        question_id for question_id, _ in TYPED[:answered]
    }, "an answer was lost"
    if not settled:
        return
    assert intro_messages(slack, channel), f"no intro after the restart:\n{serve.tail()}"
    for number in range(1, answered + 1):
        (shown,) = question_messages(slack, channel, number)
        assert not shown.action_elements(), f"question {number} was never closed"
        assert "answered by" in shown.all_text().lower(), f"question {number}: {shown.all_text()[:200]}"
    if answered < QUESTIONS:
        assert open_question(slack, channel, answered + 1), f"question {answered + 1} is not shown:\n{serve.tail()}"
        assert not question_messages(slack, channel, answered + 2), "a question was asked ahead of its turn"


async def stored_answers(database_url: str, team_id: str, channel: str) -> list[LoopMapVersion]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            result = await session.exec(
                select(LoopMapVersion).where(LoopMapVersion.team_id == team_id, LoopMapVersion.channel_id == channel)
            )
            return list(result.all())
    finally:
        await database.dispose()


async def test_a_kill_at_every_interview_step_boundary_leaves_a_consistent_thread(
    slack: LocalSlack, environment: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    database = Database(database_url)
    answered = 0
    try:
        for step, kill in enumerate(KILLS, start=1):
            doomed = await launch({**environment, CRASH_AT: kill.point}, tmp_path / f"doomed-{step}.log")
            try:
                port = await _wait_healthy(doomed)
                if port is not None:
                    assert kill.starts_interview or kill.answers, f"{kill.point} not reached at start-up"
                    slack.set_request_url(f"http://127.0.0.1:{port}/slack/events")
                    if step > 1:
                        await check_thread(slack, database, growth, answered=answered, settled=True, serve=doomed)
                    if kill.starts_interview:
                        await ana.slash("/flywheel", "interview", channel=growth)
                    for number in kill.answers:
                        await answer(slack, ana, growth, number, doomed)
                    answered = max(kill.answers, default=answered)
                    await asyncio.wait_for(doomed.process.wait(), 60)
            finally:
                slack.set_request_url(None)
                await stop(doomed)
            assert_killed_at(doomed.process.returncode, doomed.log.read_text(errors="replace"), kill.logged)
            await slack.wait_idle()
            slack.clear_problems()  # deliveries cut off by the kill, as Slack would see them
            await check_thread(slack, database, growth, answered=answered, settled=False, serve=doomed)

        async with serving(slack, environment, tmp_path / "restarted.log") as restarted:
            summary = await slack.wait_for_message(channel=growth, contains="Loop map · version 1", timeout=30)
            await slack.wait_for_file(channel=growth, name="loop-map-v1.png", timeout=30)
            await slack.wait_idle()
            await check_thread(slack, database, growth, answered=QUESTIONS, settled=True, serve=restarted)
    finally:
        await database.dispose()

    assert len(intro_messages(slack, growth)) == 1
    thread = intro_messages(slack, growth)[0].ts
    assert summary.thread_ts == thread
    for number in range(1, QUESTIONS + 1):
        assert len(question_messages(slack, growth, number)) == 1, f"question {number} is missing"
    assert len([m for m in thread_messages(slack, growth) if "Loop map · version 1" in m.all_text()]) == 1
    assert [file.name for file in slack.files(growth)] == ["loop-map-v1.png"]
    (version,) = await stored_answers(database_url, slack.team_id, growth)
    assert set(version.answers) == {question_id for question_id, _ in TYPED}
    assert all(record["user_id"] == ana.id for record in version.answers.values())


CHECKIN_KILLS = [
    # The pass writes the dispatch's key, then dies before posting.
    ("checkin.claimed", SHIP_DUE),
    # The next pass, once the claim's lease ran out, takes it over, posts, and dies before recording the ts.
    ("checkin.ship.posted", AFTER_LEASE),
]
LAST_PASS = AFTER_LEASE + CLAIM_LEASE + timedelta(minutes=1)


async def test_a_kill_at_every_checkin_step_boundary_posts_the_prompt_once(
    database: Database, slack: LocalSlack, clock: ManualClock, environment: dict[str, str]
) -> None:
    (channel,) = await seed(database, slack, 1)
    posted: Counter[str] = Counter()
    for point, now in CHECKIN_KILLS:
        clock.set(now)
        doomed = await run_due({**environment, CRASH_AT: point}, now)
        _, err = await doomed.communicate()
        assert_killed_at(doomed.returncode, err.decode(errors="replace"), f"{point}:1")
        await slack.wait_idle()
        if point.endswith(".posted"):
            posted[channel] += 1
        assert ship_prompts(slack) == posted
        (row,) = await dispatch_rows(database, slack.team_id)
        assert (row.status, row.message_ts) == ("claimed", None)  # the key was written, the ts never recorded

    clock.set(LAST_PASS)
    survivor = await run_due(environment, LAST_PASS)
    _, err = await survivor.communicate()
    assert survivor.returncode == 0, err.decode()[-1000:]
    assert ship_prompts(slack) == Counter({channel: 1})
    (row,) = await dispatch_rows(database, slack.team_id)
    assert row.status == "posted" and row.message_ts
