"""Kill the real coach at every step boundary of the interview and of check-ins, restart it, finish.

Each case arms one fault-injection point (`FLYWHEEL_CRASH_AT`), drives the interview through the local Slack
until the process dies there (SIGKILL, as `kill -9` would), starts `serve` again without the hook, finishes
the interview and checks what people see: the current question shown, no answer lost, no message posted
twice or overwritten, the map and its picture there once. Check-ins die inside `checkins run-due` (the
scheduler's pass) and the next pass posts each prompt once. Runs on SQLite and PostgreSQL.
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
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.emulator.humans import Human
from bot.emulator.workspace import Message
from bot.store.db import Database
from bot.store.models.loop_map import LoopMapVersion
from tests.conftest import LEAKY_VARIABLES
from tests.e2e.test_checkins_concurrency import AFTER_LEASE, SHIP_DUE, dispatch_rows, run_due, seed, ship_prompts
from tests.e2e.test_interview import TYPED

COACH = Path(sys.executable).parent / "flywheel-coach"
QUESTIONS = len(TYPED)
START_TIMEOUT = 180.0
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/slack/events")


@dataclass(frozen=True)
class Case:
    """Where to die (`point`, or `point:n` for its n-th arrival) and how many typed answers reach it."""

    point: str
    answers_before_crash: int
    """Typed answers the coach stores before dying (the last one is stored: every point follows its commit)."""


CASES = [
    # `/flywheel interview`: the interview row, the intro, the first question.
    Case("interview.start.committed", 0),
    Case("effect.intro.claimed", 0),
    Case("effect.intro.posted", 0),
    Case("effect.question.claimed", 0),
    Case("effect.question.posted", 0),
    # The first answer: stored, its question closed, the next one asked.
    Case("interview.reply.committed", 1),
    Case("effect.close.claimed", 1),
    Case("effect.close.posted", 1),
    Case("effect.question.claimed:2", 1),
    Case("effect.question.posted:2", 1),
    # The last answer: stored with the map, its question closed, the map and its picture posted.
    Case(f"interview.reply.committed:{QUESTIONS}", QUESTIONS),
    Case(f"effect.close.posted:{QUESTIONS}", QUESTIONS),
    Case("effect.map_summary.claimed", QUESTIONS),
    Case("effect.map_summary.posted", QUESTIONS),
    Case("effect.map_picture.claimed", QUESTIONS),
    Case("effect.map_picture.posted", QUESTIONS),
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
    values.pop("FLYWHEEL_CRASH_AT", None)
    values.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=slack.signing_secret,
        SLACK_API_URL=slack.api_url,
        FLYWHEEL_DATA_DIR=str(tmp_path / "data"),
        KNOWLEDGE_DIR=str(knowledge),
    )
    return values


@asynccontextmanager
async def serving(slack: LocalSlack, environment: dict[str, str], log: Path) -> AsyncIterator[Serve]:
    """Start `serve` on a free port, aim the local Slack at it once healthy; kill it on exit if still alive."""
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(COACH), "serve", "--host", "127.0.0.1", "--port", "0",
            env=environment, stdout=sink, stderr=sink,
        )  # fmt: skip
    serve = Serve(process, log)
    try:
        port = await _wait_healthy(serve)
        slack.set_request_url(f"http://127.0.0.1:{port}/slack/events")
        yield serve
    finally:
        slack.set_request_url(None)
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_healthy(serve: Serve) -> int:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            if serve.process.returncode is not None:
                raise AssertionError(f"serve exited with {serve.process.returncode}:\n{serve.tail()}")
            found = LISTENING.search(serve.log.read_text(errors="replace"))
            if found:
                try:
                    async with session.get(f"http://127.0.0.1:{found.group(1)}/healthz") as response:
                        if response.status == 200:
                            return int(found.group(1))
                except aiohttp.ClientError:
                    pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"serve was not healthy within {START_TIMEOUT:g} s:\n{serve.tail()}")


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


@pytest.mark.parametrize("case", CASES, ids=[case.point for case in CASES])
async def test_a_kill_at_any_interview_step_boundary_leaves_a_consistent_thread(
    case: Case, slack: LocalSlack, environment: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])

    async with serving(slack, {**environment, "FLYWHEEL_CRASH_AT": case.point}, tmp_path / "doomed.log") as doomed:
        await ana.slash("/flywheel", "interview", channel=growth)
        for number in range(1, case.answers_before_crash + 1):
            await answer(slack, ana, growth, number, doomed)
        await asyncio.wait_for(doomed.process.wait(), 60)
        assert doomed.process.returncode == -signal.SIGKILL, doomed.tail()
    await slack.wait_idle()
    slack.clear_problems()  # deliveries cut off by the kill, as Slack would see them

    async with serving(slack, environment, tmp_path / "restarted.log") as restarted:
        if case.answers_before_crash < QUESTIONS:
            current = case.answers_before_crash + 1
            await until(lambda: open_question(slack, growth, current), f"question {current} shown again", restarted)
            for number in range(current, QUESTIONS + 1):
                await answer(slack, ana, growth, number, restarted)
        summary = await slack.wait_for_message(channel=growth, contains="Loop map · version 1", timeout=30)
        await slack.wait_for_file(channel=growth, name="loop-map-v1.png", timeout=30)
        await slack.wait_idle()

    assert len(intro_messages(slack, growth)) == 1
    thread = intro_messages(slack, growth)[0].ts
    assert summary.thread_ts == thread
    for number in range(1, QUESTIONS + 1):
        shown = question_messages(slack, growth, number)
        assert len(shown) == 1, f"question {number} was posted {len(shown)} times"
        assert not shown[0].action_elements(), f"question {number} was never closed"
        assert "answered by" in shown[0].all_text().lower(), f"question {number}: {shown[0].all_text()[:200]}"
    assert len([m for m in thread_messages(slack, growth) if "Loop map · version 1" in m.all_text()]) == 1
    assert [file.name for file in slack.files(growth)] == ["loop-map-v1.png"]
    (version,) = await stored_answers(database_url, slack.team_id, growth)
    assert set(version.answers) == {question_id for question_id, _ in TYPED}
    assert all(record["user_id"] == ana.id for record in version.answers.values())


CHECKIN_POINTS = ["checkin.claimed", "checkin.ship.posted"]


@pytest.mark.parametrize("point", CHECKIN_POINTS)
async def test_a_kill_at_any_checkin_step_boundary_posts_the_prompt_once(
    point: str, database: Database, slack: LocalSlack, clock: ManualClock, environment: dict[str, str]
) -> None:
    (channel,) = await seed(database, slack, 1)
    clock.set(SHIP_DUE)

    doomed = await run_due({**environment, "FLYWHEEL_CRASH_AT": point}, SHIP_DUE)
    _, err = await doomed.communicate()
    assert doomed.returncode == -signal.SIGKILL, err.decode()[-1000:]
    await slack.wait_idle()
    (row,) = await dispatch_rows(database, slack.team_id)
    assert (row.status, row.message_ts) == ("claimed", None)  # the key was written, the ts never recorded

    clock.set(AFTER_LEASE)
    survivor = await run_due(environment, AFTER_LEASE)
    out, err = await survivor.communicate()
    assert survivor.returncode == 0, err.decode()[-1000:]
    assert ship_prompts(slack) == Counter({channel: 1})
    (row,) = await dispatch_rows(database, slack.team_id)
    assert row.status == "posted" and row.message_ts
