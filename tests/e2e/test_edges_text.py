"""Hostile text at the edge, through the local Slack: control characters and echoed pings.

Runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (which refuses NUL in text).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.runtime import Coach
from tests.e2e.conftest import CoachFactory
from tests.e2e.test_interview import TYPED

NEW_YORK = ZoneInfo("America/New_York")
MONDAY_MORNING = datetime(2026, 3, 2, 9, tzinfo=NEW_YORK)
SHIP_TIME = datetime(2026, 3, 3, 10, 0, 5, tzinfo=NEW_YORK)
FAILED = "Something went wrong"


@pytest.fixture
async def coach(coach_factory: CoachFactory, database_url: str, clock: ManualClock) -> AsyncIterator[Coach]:
    """The coach over HTTP on each database under test, started on a Monday morning in New York."""
    clock.set(MONDAY_MORNING)
    async with coach_factory("http", DATABASE_URL=database_url) as running:
        yield running


def _nothing_failed(slack: LocalSlack) -> None:
    notes = [json.dumps(call.params) for call in slack.api_calls() if FAILED in json.dumps(call.params)]
    assert notes == []


async def test_a_nul_character_in_a_dm_is_answered(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    asked = await ana.dm("What is the\x00 deletion\x07 test?")
    answer = await slack.wait_for_message(channel=ana.dm_channel, thread_ts=asked)
    assert "deletion test" in answer.text.lower()
    await slack.wait_idle()
    _nothing_failed(slack)


async def test_a_nul_character_in_flywheel_ask_is_answered(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    await ana.slash("/flywheel", "ask where do data\x00 flywheels usually break?", channel=general)
    private = await slack.wait_for_ephemeral(ana, contains="Break 1")
    assert "\\u0000" not in json.dumps(private.blocks)
    await slack.wait_idle()
    _nothing_failed(slack)


async def test_a_nul_character_in_a_ship_item_is_stored_without_it(
    slack: LocalSlack, clock: ManualClock, coach: Coach
) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    team = slack.add_channel("growth", members=[ana])
    await ana.slash("/flywheel", "checkins on", channel=team)
    await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")
    slack.advance(SHIP_TIME - clock.now())
    ship = await slack.wait_for_message(channel=team, contains="What ships this week?")
    await slack.wait_idle()  # the prompt's thread is the coach's once its post is recorded, a moment after it shows
    await ana.post(team, "Thumbs\x00 on answers | feedback | share of\x1b rated answers", thread_ts=ship.ts)
    added = await slack.wait_for_message(channel=team, thread_ts=ship.ts, contains="Thumbs on answers")
    assert "share of rated answers" in added.all_text()
    await slack.wait_idle()
    _nothing_failed(slack)


def _pings_sent(slack: LocalSlack) -> list[str]:
    """Every text the app sent that would notify a whole channel."""
    return [
        str(call.params.get("text") or call.params.get("markdown_text"))
        for call in slack.api_calls()
        if any(ping in json.dumps(call.params) for ping in ("<!channel>", "<!here>", "<!everyone>"))
    ]


async def test_no_fallback_text_repeats_a_channel_ping(slack: LocalSlack, clock: ManualClock, coach: Coach) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    team = slack.add_channel("growth", members=[ana])
    await ana.slash("/flywheel", "interview", channel=team)
    intro = await slack.wait_for_message(channel=team, contains="Loop interview started")
    await slack.wait_for_message(channel=team, thread_ts=intro.ts, contains="Question 1 of")
    await ana.post(team, "<!channel> banana", thread_ts=intro.ts)
    await slack.wait_for_message(channel=team, thread_ts=intro.ts, contains="didn't get that")

    await ana.slash("/flywheel", "<!here>", channel=team)
    await slack.wait_for_ephemeral(ana, contains="I don't know")

    await ana.slash("/flywheel", "checkins on", channel=team)
    await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")
    slack.advance(SHIP_TIME - clock.now())
    ship = await slack.wait_for_message(channel=team, contains="What ships this week?")
    await slack.wait_idle()  # the prompt's thread is the coach's once its post is recorded, a moment after it shows
    await ana.post(team, "Ping <!everyone> on answers | feedback | <!channel> rate", thread_ts=ship.ts)
    await slack.wait_for_message(channel=team, thread_ts=ship.ts, contains="on answers")
    await slack.wait_idle()
    assert _pings_sent(slack) == []
    assert [problem for problem in slack.clear_problems() if "ping" in problem] == []


async def test_a_model_answer_posted_whole_does_not_ping(slack: LocalSlack, coach: Coach) -> None:
    reply = "<!channel> Duolingo's session generator now takes 14 ms instead of 750 ms [1]."
    coach.services.knowledge.chat_model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    slack.faults.server_error("chat.startStream", times=3)  # the answer is then posted whole, with a fallback text
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, "How fast is Duolingo's session generator now?")
    answer = await slack.wait_for_message(channel=general, thread_ts=asked)
    assert "14 ms" in answer.text
    await slack.wait_idle()
    assert _pings_sent(slack) == []
    assert [problem for problem in slack.clear_problems() if "ping" in problem] == []


async def test_the_loop_map_picture_has_alt_text(slack: LocalSlack, coach_factory: CoachFactory) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    async with coach_factory("http"):
        await ana.slash("/flywheel", "interview", channel=growth)
        intro = await slack.wait_for_message(channel=growth, contains="Loop interview started")
        for number, (_, reply) in enumerate(TYPED, start=1):
            await slack.wait_for_message(channel=growth, thread_ts=intro.ts, contains=f"Question {number} of 14")
            await ana.post(growth, reply, thread_ts=intro.ts)
        picture = await slack.wait_for_file(channel=growth, name="loop-map-v1.png")
    assert picture.alt_txt is not None
    assert picture.alt_txt.startswith("Loop map · version 1: a diagram of the five loop stages")
    assert "Collection" in picture.alt_txt and "Fix first:" in picture.alt_txt
