"""The LLM path on a real provider client: LangChain's ChatOpenAI against an OpenAI-compatible server on loopback.

The coach runs as deployed with LLM_MODEL=openai:…, OPENAI_BASE_URL aimed at the scripted server and a short
LLM_TIMEOUT_S, through the production app and the local Slack, on SQLite and PostgreSQL. The server streams an
answer (with a citation number the model made up, split across chunks), fails with a 500, or hangs.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.blocks.answers import AI_NOTE, QUOTED_NOTE
from bot.emulator import LocalSlack
from bot.runtime import Coach
from bot.store.models.answers import AnswerRecord
from tests.conftest import LEAKY_VARIABLES
from tests.e2e.conftest import CoachFactory
from tests.e2e.openai_compatible import API_KEY, OpenAICompatibleServer, Script, openai_compatible_server

QUESTION = "How fast is Duolingo's session generator now?"
MODEL = "openai:local-model"
TIMEOUT_S = "2"
# The model cites passage 9 of the 4 it was given; the marker arrives split across three chunks.
REPLY = ["Duolingo's session generator", " now takes 14 ms [1]", " [", "9", "]", ", down from 750 ms [1]."]
CLEANED = "Duolingo's session generator now takes 14 ms [1], down from 750 ms [1]."
COACH = Path(sys.executable).parent / "flywheel-coach"


@pytest.fixture
async def model_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OpenAICompatibleServer]:
    """The scripted server, with the OpenAI client's environment aimed at it."""
    async with openai_compatible_server() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield server


@pytest.fixture
async def coach(
    coach_factory: CoachFactory, model_server: OpenAICompatibleServer, database_url: str
) -> AsyncIterator[Coach]:
    """The coach over HTTP, answering through the model server, on each database under test."""
    async with coach_factory(DATABASE_URL=database_url, LLM_MODEL=MODEL, LLM_TIMEOUT_S=TIMEOUT_S) as running:
        yield running


def _blocks_text(message) -> str:  # noqa: ANN001
    return json.dumps(message.blocks)


async def _stored_answers(coach: Coach) -> list[AnswerRecord]:
    async with coach.services.db.session() as session:
        return list((await session.exec(select(AnswerRecord))).all())


async def test_a_streamed_model_answer_reaches_slack_without_invented_citations(
    slack: LocalSlack, coach: Coach, model_server: OpenAICompatibleServer
) -> None:
    model_server.script = Script(reply=REPLY)
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, QUESTION)
    answer = await slack.wait_for_message(channel=general, thread_ts=asked)
    assert answer.text == CLEANED
    assert slack.api_calls("chat.startStream") and slack.api_calls("chat.stopStream")
    sent = json.dumps([call.params for call in slack.api_calls() if call.method.endswith("Stream")])
    assert "14 ms" in sent and "9" not in sent.replace(answer.ts, "").replace(asked, "")  # no piece of [9] sent
    blocks = _blocks_text(answer)
    assert AI_NOTE in blocks and "knowledge/" in blocks and "Duolingo" in blocks
    [asked_model] = model_server.requests
    assert asked_model["stream"] is True and asked_model["model"] == "local-model"
    prompt = json.dumps(asked_model["messages"])
    assert "<passages>" in prompt and "Duolingo" in prompt and QUESTION.replace("'", "&#x27;") in prompt
    [stored] = await _stored_answers(coach)
    assert stored.answer_text == CLEANED and stored.generated


async def test_a_model_server_error_posts_the_quoted_answer(
    slack: LocalSlack, coach: Coach, model_server: OpenAICompatibleServer
) -> None:
    model_server.script = Script(fail=True)
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, QUESTION)
    answer = await slack.wait_for_message(channel=general, thread_ts=asked)
    assert "14 ms" in answer.text
    blocks = _blocks_text(answer)
    assert QUOTED_NOTE.split(".")[0] in blocks and AI_NOTE not in blocks
    assert "[1]" in blocks and "knowledge/" in blocks
    assert model_server.requests  # the model was asked, and its failure did not reach the person
    [stored] = await _stored_answers(coach)
    assert not stored.generated and "14 ms" in stored.answer_text


async def test_a_hanging_model_server_is_abandoned_for_the_quoted_answer(
    slack: LocalSlack, coach: Coach, model_server: OpenAICompatibleServer
) -> None:
    model_server.script = Script(hang=True)
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, QUESTION)
    answer = await slack.wait_for_message(channel=general, thread_ts=asked)
    assert "14 ms" in answer.text
    blocks = _blocks_text(answer)
    assert QUOTED_NOTE.split(".")[0] in blocks and "knowledge/" in blocks
    await model_server.wait_all_abandoned()  # the coach hung up rather than keep the request open
    assert model_server.abandoned == len(model_server.requests) >= 1


async def test_the_cli_asks_the_same_model_server(model_server: OpenAICompatibleServer, tmp_path: Path) -> None:
    model_server.script = Script(reply=REPLY)
    environment = {name: value for name, value in os.environ.items() if name not in LEAKY_VARIABLES}
    environment.update(
        FLYWHEEL_DATA_DIR=str(tmp_path / "data"),
        LLM_MODEL=MODEL,
        LLM_TIMEOUT_S=TIMEOUT_S,
        OPENAI_BASE_URL=model_server.base_url,
        OPENAI_API_KEY=API_KEY,
    )
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        str(COACH), "ask", QUESTION, "--json", env=environment, stdout=pipe, stderr=pipe
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    payload = json.loads(out)
    assert payload["answer"] == CLEANED and payload["grounded"] is True
    assert payload["sources"] and payload["sources"][0]["source"].startswith("knowledge/")
    assert len(model_server.requests) == 1
