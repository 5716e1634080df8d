"""Kill the real coach at every step boundary of answering a question and of the digest, restart it, check.

Answers: `serve` dies once the answer is recorded (`answer.recorded`), then once it is posted but before its
ts is saved (`answer.posted`); each restart posts what the dead process owed, once, and saves its ts. The
points are chained through three `serve` processes per database, each restart armed for the next point.
The digest dies inside `checkins run-due` (the scheduler's pass) after the digest is posted, then after its
chart is uploaded; the passes after the lease leave one digest and one chart. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.emulator.humans import Human
from bot.emulator.workspace import Message
from bot.installations import WorkspaceTokens
from bot.listeners.answers import ANSWER_EVENT, AnswerSlack
from bot.retrieval.service import AnswerService, Question, Surface
from bot.store.db import Database
from bot.store.models.answers import AnswerRecord
from tests.conftest import LEAKY_VARIABLES
from tests.e2e.conftest import CoachFactory
from tests.e2e.test_checkins_concurrency import coach_environment, dispatch_rows, run_due, seed
from tests.unit.interview.test_interview_service import REPLIES, finish

COACH = Path(sys.executable).parent / "flywheel-coach"
START_TIMEOUT = 180.0
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/slack/events")
QUESTIONS = {
    "answer.recorded": "How does a feedback loop close?",
    "answer.posted": "What feeds the next model?",
}
DIGEST_DUE = datetime(2026, 3, 6, 15, 0, 5, tzinfo=UTC)  # Friday of 2026-W10, the seeded schedule's first digest
LEASE = timedelta(minutes=11)  # a little over the dispatcher's claim lease
DIGEST_CHART = "checkins-2026-W10.png"


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
    """Start `serve` on a free port, aim the local Slack at it once healthy; stop it on exit if still alive."""
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


def answers_in(slack: LocalSlack, channel: str, thread_ts: str) -> list[Message]:
    """The coach's messages in a question's thread (its answer, and nothing else, once all is done)."""
    return [m for m in slack.bot_messages(channel, thread_ts) if m.ts != thread_ts]


async def ask_and_die(slack: LocalSlack, person: Human, channel: str, question: str, doomed: Serve) -> str:
    """Mention the coach with a question; wait for the process to kill itself at its armed point."""
    asked = await person.mention(channel, question)
    await asyncio.wait_for(doomed.process.wait(), 60)
    assert doomed.process.returncode == -signal.SIGKILL, doomed.tail()
    await slack.wait_idle()
    slack.clear_problems()  # deliveries cut off by the kill, as Slack would see them
    return asked


async def stored_answers(database_url: str, team_id: str) -> list[AnswerRecord]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            result = await session.exec(
                select(AnswerRecord).where(AnswerRecord.team_id == team_id).order_by(col(AnswerRecord.id))
            )
            return list(result.all())
    finally:
        await database.dispose()


async def test_a_kill_at_any_answer_step_boundary_answers_the_question_once(
    slack: LocalSlack, environment: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    asked: dict[str, str] = {}

    # Each process is armed at the next point; its start-up finishes what the previous one left.
    restart_log = tmp_path / "restarted.log"
    for index, (point, question) in enumerate(QUESTIONS.items()):
        armed = {**environment, "FLYWHEEL_CRASH_AT": point}
        async with serving(slack, armed, tmp_path / f"doomed-{index}.log") as doomed:
            for earlier in list(asked.values()):
                await until(lambda ts=earlier: bool(answers_in(slack, growth, ts)), "an earlier answer", doomed)
            asked[point] = await ask_and_die(slack, ana, growth, question, doomed)
        if point == "answer.recorded":
            assert not answers_in(slack, growth, asked[point])  # recorded, never posted

    async with serving(slack, environment, restart_log) as restarted:
        for point, ts in asked.items():
            await until(lambda ts=ts: bool(answers_in(slack, growth, ts)), f"the answer killed at {point}", restarted)
        await slack.wait_idle()

    rows = await stored_answers(database_url, slack.team_id)
    assert [row.question for row in rows] == list(QUESTIONS.values())  # recorded once each
    for row, (point, ts) in zip(rows, asked.items(), strict=True):
        shown = answers_in(slack, growth, ts)
        assert len(shown) == 1, f"killed at {point}: the answer was posted {len(shown)} times"
        assert shown[0].metadata == {"event_type": ANSWER_EVENT, "event_payload": {"answer": row.id}}
        assert "loop closes" in shown[0].all_text().lower(), shown[0].all_text()[:300]
        assert (row.thread_ts, row.message_ts) == (ts, shown[0].ts), f"killed at {point}: the ts was not saved"
        assert row.posted_at is not None


async def test_a_kill_after_the_digest_or_its_chart_leaves_one_digest_and_one_chart(
    database: Database, database_url: str, slack: LocalSlack, clock: ManualClock, tmp_path: Path
) -> None:
    (channel,) = await seed(database, slack, 1)
    environment = coach_environment(slack, database_url, tmp_path / "data")

    now = DIGEST_DUE
    for point in ("checkin.digest.posted", "checkin.digest.charted"):
        clock.set(now)
        doomed = await run_due({**environment, "FLYWHEEL_CRASH_AT": point}, now)
        _, err = await doomed.communicate()
        assert doomed.returncode == -signal.SIGKILL, f"{point}: {err.decode()[-1000:]}"
        await slack.wait_idle()
        now += LEASE

    clock.set(now)
    survivor = await run_due(environment, now)
    _, err = await survivor.communicate()
    assert survivor.returncode == 0, err.decode()[-1000:]
    await slack.wait_idle()

    digests = [m for m in slack.bot_messages(channel) if "Iterate: week 10" in m.all_text()]
    assert len(digests) == 1, [m.all_text()[:100] for m in digests]
    assert [file.name for file in slack.files(channel)] == [DIGEST_CHART]
    (chart_message,) = [m for m in slack.messages(channel, digests[0].ts) if m.files]
    assert chart_message.thread_ts == digests[0].ts
    (row,) = [row for row in await dispatch_rows(database, slack.team_id) if row.prompt == "digest"]
    assert (row.status, row.message_ts) == ("posted", digests[0].ts)


async def test_an_answer_streamed_by_a_process_that_died_is_finished_in_its_message_at_start_up(
    slack: LocalSlack, coach_factory: CoachFactory
) -> None:
    # A streamed answer can't be killed in `serve` (its model is set in-process): what the dead process left
    # is made by hand, a half-streamed message and the answer recorded with it, then a restart's recovery runs.
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana.id])
    async with coach_factory("http") as coach:
        asked = await ana.mention(growth, "Where does the loop close?")
        await slack.wait_for_message(channel=growth, thread_ts=asked)  # answered whole, as usual
        question = Question(
            text="And how does the feedback stage close the loop?", team_id=slack.team_id, channel_id=growth,
            user_id=ana.id, surface=Surface.THREAD, thread_ts=asked, follows_up=True,
        )  # fmt: skip
        started = await coach.app.client.chat_startStream(
            channel=growth, thread_ts=asked, markdown_text="A loop clo", recipient_team_id=slack.team_id,
            recipient_user_id=ana.id,
        )  # fmt: skip
        answer = await coach.services.answers.answer(question.text, team_id=slack.team_id)
        recorded = await coach.services.answers.record(question, answer, streamed_ts=started["ts"])
        await finish(coach.services.interview, slack.team_id, growth, REPLIES, user=ana.id)  # a map to coach from

        restarted = AnswerService(coach.services.db, coach.services.knowledge)  # claims before it began are dead
        await AnswerSlack(restarted, coach.services.interview).recover(
            coach.app.client, WorkspaceTokens(token=slack.bot_token)
        )
        await AnswerSlack(restarted, coach.services.interview).recover(
            coach.app.client, WorkspaceTokens(token=slack.bot_token)
        )
        await slack.wait_idle()

    finished = slack.workspace.get_message(growth, started["ts"])
    assert finished.metadata == {"event_type": ANSWER_EVENT, "event_payload": {"answer": recorded.id}}
    assert "A loop clo" not in finished.all_text() and "feedback_buttons" in str(finished.blocks)  # the whole answer
    assert "From this channel's loop map, v1 of" in str(finished.blocks)
    assert len(answers_in(slack, growth, asked)) == 2  # the first answer and this one, nothing posted anew
    (_, row) = await stored_answers(coach.settings.resolved_database_url, slack.team_id)
    assert (row.message_ts, row.thread_ts) == (started["ts"], asked) and row.posted_at is not None
