"""Slack's agent surfaces through the local Slack: the answer in a markdown block, native 👍/👎, suggested
prompts, loading messages, and the coaching line from a channel's loop map (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.blocks.answers import (
    ACTION_SHARE,
    BLOCK_REASON,
    LOADING_MESSAGES,
    PROMPTS_TITLE,
    VIEW_REASON,
    WORKING_STATUS,
    build_suggested_prompts,
)
from bot.emulator import LocalSlack
from bot.emulator.api_chat import CHANNEL_PROMPTS
from bot.runtime import Coach
from bot.store.models.answers import AnswerVote
from tests.e2e.conftest import CoachFactory
from tests.e2e.handmade import block_action, post_signed
from tests.e2e.test_interview import TYPED, start_interview

BREAKS = "Where do data flywheels usually break?"
MAP_CITATION = "From this channel's loop map, v1 of"


def _types(message) -> list[str]:  # noqa: ANN001
    return [block["type"] for block in message.blocks]


async def test_a_grounded_answer_is_a_markdown_block_that_cannot_ping(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, "What is the deletion test? <!channel>")
    answer = await slack.wait_for_message(channel=general, thread_ts=asked)
    assert _types(answer)[0] == "markdown" and "section" not in _types(answer)
    body = answer.blocks[0]["text"]
    assert "deletion test" in body.lower() and "*" not in body.replace("**", "")  # markdown, not mrkdwn
    assert _types(answer)[-1] == "context_actions"
    assert "<!channel>" not in json.dumps(answer.blocks) + answer.text
    assert ":compass:" not in json.dumps(answer.blocks)  # no loop map here, no coaching line


async def test_status_shows_loading_messages_while_working_and_is_cleared(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, "How do we start a data flywheel with no data?")
    await slack.wait_for_message(channel=general, thread_ts=asked)
    cleared = await slack.wait_for_call("assistant.threads.setStatus", lambda call: call.params.get("status") == "")
    calls = slack.api_calls("assistant.threads.setStatus")
    working = calls[0]
    assert working.params["status"] == WORKING_STATUS
    assert working.params["loading_messages"] == list(LOADING_MESSAGES)
    assert working.params["thread_ts"] == asked and cleared.seq > working.seq
    assert "loading_messages" not in cleared.params
    thread = slack.workspace.assistant_threads[(general, asked)]
    assert thread.status == "" and thread.loading_messages == []


async def test_the_messages_tab_and_a_new_assistant_thread_get_suggested_prompts(
    slack: LocalSlack, coach: Coach
) -> None:
    ana = slack.add_user("ana")
    await ana.open_messages_tab()
    tab = await slack.wait_for_call("assistant.threads.setSuggestedPrompts")
    assert "thread_ts" not in tab.params  # an agent app's prompts belong to the conversation
    assert tab.params["title"] == PROMPTS_TITLE and tab.params["prompts"] == build_suggested_prompts()
    assert slack.workspace.assistant_threads[(ana.dm_channel, CHANNEL_PROMPTS)].prompts == build_suggested_prompts()
    greeting = await slack.wait_for_message(channel=ana.dm_channel, contains="data flywheels")
    assert "actions" not in _types(greeting)  # the prompts live in Slack's own UI now
    await ana.open_messages_tab()
    await slack.wait_for_call("assistant.threads.setSuggestedPrompts", count=2)
    await slack.wait_idle()
    assert len(slack.bot_messages(ana.dm_channel)) == 1  # greeted once, not on every visit
    thread_ts = await ana.start_assistant_thread()
    started = await slack.wait_for_call(
        "assistant.threads.setSuggestedPrompts", lambda call: call.params.get("thread_ts") == thread_ts
    )
    assert started.params["prompts"] == build_suggested_prompts()
    assert slack.workspace.assistant_threads[(ana.dm_channel, thread_ts)].prompts_title == PROMPTS_TITLE


async def test_feedback_buttons_record_votes_and_a_thumbs_down_asks_why(
    slack: LocalSlack, coach_factory: CoachFactory, database_url: str
) -> None:
    ana, bo = slack.add_user("ana"), slack.add_user("bo")
    general = slack.add_channel("general", members=[ana.id, bo.id])
    async with coach_factory("http", DATABASE_URL=database_url) as coach:
        asked = await ana.mention(general, "What is the deletion test?")
        answer = await slack.wait_for_message(channel=general, thread_ts=asked)
        await ana.give_feedback(positive=True, message=answer)
        await slack.wait_for_ephemeral(ana, contains="Thanks!")
        assert ana.modal is None
        await bo.give_feedback(positive=False, message=answer)
        await slack.wait_for_modal(bo, callback_id=VIEW_REASON)
        await bo.submit_modal({BLOCK_REASON: "it skipped the example"})
        await slack.wait_idle()
        async with coach.services.db.session() as session:
            votes = (await session.exec(select(AnswerVote).order_by(AnswerVote.id))).all()
        assert [(v.user_id, v.vote, v.reason) for v in votes] == [
            (ana.id, 1, None),
            (bo.id, -1, "it skipped the example"),
        ]


async def test_a_hand_made_feedback_value_gets_a_one_line_note(
    slack: LocalSlack, coach_factory: CoachFactory, database_url: str
) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    async with coach_factory("http", DATABASE_URL=database_url) as coach:
        for value in ("up:0", "down:abc", "7"):
            payload = block_action(slack, user_id=ana.id, channel_id=general, action_id="answer_feedback", value=value)
            await post_signed(slack, "interactive", payload)
        await slack.wait_idle()
        notes = slack.ephemerals(ana, general)
        assert [note.text for note in notes] == ["That button no longer points at an answer."] * 3
        async with coach.services.db.session() as session:
            assert (await session.exec(select(AnswerVote))).all() == []


async def test_the_coaching_line_ties_an_answer_to_the_channels_loop_map(
    slack: LocalSlack, coach_factory: CoachFactory, database_url: str
) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana.id])
    general = slack.add_channel("general", members=[ana.id])
    async with coach_factory("http", DATABASE_URL=database_url):
        thread = await start_interview(slack, ana, growth)
        for number, (_, reply) in enumerate(TYPED, start=1):
            await slack.wait_for_message(channel=growth, thread_ts=thread, contains=f"Question {number} of 14")
            await ana.post(growth, reply, thread_ts=thread)
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Loop map · version 1")
        await slack.wait_idle()

        asked = await ana.mention(growth, BREAKS)
        mapped = await slack.wait_for_message(channel=growth, thread_ts=asked)
        assert _types(mapped)[:2] == ["markdown", "context"]
        line = json.dumps(mapped.blocks[1])
        assert "Your loop has a break: data in silos" in line and MAP_CITATION in line
        assert MAP_CITATION not in mapped.blocks[0]["text"] and MAP_CITATION not in mapped.text

        await ana.slash("/flywheel", "ask how fast should our loop turn?", channel=growth)
        private = await slack.wait_for_ephemeral(ana, contains="")
        assert "velocity is" in json.dumps(private.blocks) and MAP_CITATION in json.dumps(private.blocks)
        await ana.click(ACTION_SHARE, message=private)
        shared = await slack.wait_for_message(channel=growth, contains="Shared by")
        assert "velocity is" in json.dumps(shared.blocks) and MAP_CITATION in json.dumps(shared.blocks)

        elsewhere = await ana.mention(general, BREAKS)
        unmapped = await slack.wait_for_message(channel=general, thread_ts=elsewhere)
        direct = await ana.dm(BREAKS)
        in_dm = await slack.wait_for_message(channel=ana.dm_channel, thread_ts=direct)
        for answer in (unmapped, in_dm):
            assert MAP_CITATION not in json.dumps(answer.blocks) and ":compass:" not in json.dumps(answer.blocks)
