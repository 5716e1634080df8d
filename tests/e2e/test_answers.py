"""Answers through the local Slack: mentions, follow-ups, DMs, `/flywheel ask`, votes, sharing, streaming."""

from __future__ import annotations

import json

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from sqlmodel import select

from bot.blocks.answers import (
    ACTION_FEEDBACK,
    ACTION_SHARE,
    ACTION_SUGGESTED,
    BLOCK_REASON,
    CLOSEST_NOTE,
    DECLINED_NOTE,
    QUOTED_NOTE,
    SUGGESTED_PROMPTS,
    VIEW_REASON,
    WORKING_STATUS,
)
from bot.emulator import Human, LocalSlack, Message
from bot.runtime import Coach
from bot.store.answers import knowledge_gaps
from bot.store.models.answers import AnswerVote

FIRST = "How fast is Duolingo's session generator now?"
FOLLOW_UP = "and what did that speed make possible?"


def _blocks_text(message) -> str:  # noqa: ANN001
    return json.dumps(message.blocks)


async def _asked_in_general(slack: LocalSlack, question: str) -> tuple[Human, str, str, Message]:
    """Ana mentions the coach in #general with `question`: Ana, the channel, the question's ts and the reply."""
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, question)
    return ana, general, asked, await slack.wait_for_message(channel=general, thread_ts=asked)


async def test_a_mention_is_answered_in_its_thread_with_sources(slack: LocalSlack, coach: Coach) -> None:
    *_, answer = await _asked_in_general(slack, FIRST)
    assert "14 ms" in answer.text
    blocks = _blocks_text(answer)
    assert "[1]" in blocks and "Duolingo" in blocks and "knowledge/" in blocks
    assert QUOTED_NOTE.split(".")[0] in blocks
    assert ACTION_FEEDBACK in blocks
    working = await slack.wait_for_call("assistant.threads.setStatus")
    assert working.params.get("status") == WORKING_STATUS
    await slack.wait_for_call("assistant.threads.setStatus", lambda call: call.params.get("status") == "")


async def test_a_follow_up_in_the_thread_needs_no_mention(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, FIRST)
    await slack.wait_for_message(channel=general, thread_ts=asked)
    await ana.post(general, FOLLOW_UP, thread_ts=asked)
    follow_up = await slack.wait_for_message(channel=general, thread_ts=asked, count=2)
    assert "real time" in follow_up.text
    await slack.wait_idle()
    assert len(slack.bot_messages(general, thread_ts=asked)) == 2  # the coach never answers itself


async def test_an_errand_in_the_thread_is_declined_not_taken_for_a_follow_up(slack: LocalSlack, coach: Coach) -> None:
    ana, general, asked, first = await _asked_in_general(slack, "Who came up with the weekly rhythm?")
    assert "Yirifi" in first.text
    await ana.post(general, "book a meeting room for friday", thread_ts=asked)
    errand = await slack.wait_for_message(channel=general, thread_ts=asked, count=2)
    assert "I can't find that in the material" in errand.text


async def test_an_off_topic_question_is_declined_honestly(slack: LocalSlack, coach: Coach) -> None:
    *_, reply = await _asked_in_general(slack, "what's a good banana bread recipe?")
    assert "I can't find that in the material" in reply.text
    assert "Nearest topics" in _blocks_text(reply)
    assert DECLINED_NOTE.split(";")[0] in _blocks_text(reply) and QUOTED_NOTE.split(".")[0] not in _blocks_text(reply)


async def test_a_question_the_material_only_comes_close_to_is_answered_as_such_and_listed_as_a_gap(
    slack: LocalSlack, coach: Coach
) -> None:
    question = "How do I configure a 5% percentage rollout in LaunchDarkly?"
    *_, reply = await _asked_in_general(slack, question)
    blocks = _blocks_text(reply)
    assert "canary" in reply.text.lower() and "knowledge/" in blocks
    assert CLOSEST_NOTE.split(":")[2].strip() in blocks and QUOTED_NOTE.split(".")[0] not in blocks
    async with coach.services.db.session() as session:
        (gap,) = await knowledge_gaps(session, team_id=slack.team_id)
    assert (gap.question, gap.closest, gap.unanswered) == (question, 1, 0)


async def test_channel_messages_without_a_mention_are_left_alone(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    await ana.post(general, "How do we start a data flywheel with no data?")
    await slack.wait_idle()
    assert slack.bot_messages(general) == []


async def test_a_dm_is_answered_and_an_empty_mention_offers_prompt_buttons(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    await ana.mention(general, "")
    offer = await slack.wait_for_message(channel=general, contains="Ask me anything")
    assert SUGGESTED_PROMPTS[0].message in _blocks_text(offer)
    await ana.click(f"{ACTION_SUGGESTED}_0", message=offer)
    prompted = await slack.wait_for_message(channel=general, contains="cold-start")
    assert prompted.thread_ts is not None
    asked = await ana.dm("What is the deletion test?")
    answer = await slack.wait_for_message(channel=ana.dm_channel, thread_ts=asked)
    assert "deletion test" in answer.text.lower()


async def test_small_talk_is_replied_to_and_never_searched(slack: LocalSlack, coach: Coach) -> None:
    ana, general, asked, _ = await _asked_in_general(slack, FIRST)
    await ana.post(general, "thanks, that helps! :pray:", thread_ts=asked)
    thanks = await slack.wait_for_message(channel=general, thread_ts=asked, count=2)
    assert "Glad to help" in thanks.text and "can't find" not in thanks.text
    hello = await ana.dm("hi!")
    introduction = await slack.wait_for_message(channel=ana.dm_channel, thread_ts=hello)
    assert introduction.text.startswith("Hi! I'm Flywheel Coach")
    assert SUGGESTED_PROMPTS[0].message in _blocks_text(introduction) and "/flywheel interview" in _blocks_text(
        introduction
    )
    await ana.slash("/flywheel", "ask what can you do?", channel=general)
    private = await slack.wait_for_ephemeral(ana, contains="I'm Flywheel Coach")
    assert ACTION_SUGGESTED not in _blocks_text(private)  # a tapped prompt would be asked for all to see
    question = await ana.dm("hi, what is the deletion test?")
    answer = await slack.wait_for_message(channel=ana.dm_channel, thread_ts=question)
    assert "deletion test" in answer.text and "[1]" in _blocks_text(answer)
    async with coach.services.db.session() as session:
        assert await knowledge_gaps(session, team_id=slack.team_id) == []


async def test_flywheel_ask_answers_privately_and_can_share(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    await ana.slash("/flywheel", "ask where do data flywheels usually break?", channel=general)
    private = await slack.wait_for_ephemeral(ana, contains="Break 1")
    assert slack.bot_messages(general) == []
    await ana.click(ACTION_SHARE, message=private)
    shared = await slack.wait_for_message(channel=general, contains="Shared by")
    assert "Break 1" in shared.text and "where do data flywheels usually break?" in _blocks_text(shared)
    await ana.post(general, "and how do we fix the first one?", thread_ts=shared.ts)
    await slack.wait_for_message(channel=general, thread_ts=shared.ts)


async def test_flywheel_ask_without_a_question_explains_itself(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    await ana.slash("/flywheel", "ask")
    await slack.wait_for_ephemeral(ana, contains="/flywheel ask QUESTION")


async def test_votes_are_stored_and_a_thumbs_down_asks_why(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    bo = slack.add_user("bo")
    general = slack.add_channel("general", members=[ana.id, bo.id])
    asked = await ana.mention(general, "What is the deletion test?")
    answer = await slack.wait_for_message(channel=general, thread_ts=asked)
    await ana.give_feedback(positive=True, message=answer)
    await slack.wait_for_ephemeral(ana, contains="Thanks!")
    await bo.give_feedback(positive=False, message=answer)
    await slack.wait_for_modal(bo, callback_id=VIEW_REASON)
    await bo.submit_modal({BLOCK_REASON: "it skipped the example"})
    await slack.wait_idle()
    async with coach.services.db.session() as session:
        votes = (await session.exec(select(AnswerVote).order_by(AnswerVote.id))).all()
        gaps = await knowledge_gaps(session, team_id=slack.team_id)
    assert [(v.vote, v.reason) for v in votes] == [(1, None), (-1, "it skipped the example")]
    assert gaps[0].question == "What is the deletion test?" and gaps[0].reasons == ["it skipped the example"]
    cited = [p for p in await coach.services.knowledge.search("What is the deletion test?", k=1)]
    assert coach.services.knowledge.vote_counts(cited[0].id) == (1, 1)
    await ana.give_feedback(positive=False, message=answer)  # ana changes her mind: her up becomes a down
    await slack.wait_for_modal(ana, callback_id=VIEW_REASON)
    await ana.close_modal()
    await slack.wait_idle()
    assert coach.services.knowledge.vote_counts(cited[0].id) == (0, 2)


async def test_a_language_model_answer_is_streamed_into_the_thread(slack: LocalSlack, coach: Coach) -> None:
    reply = "Duolingo's session generator now takes 14 ms instead of 750 ms [1]."
    coach.services.knowledge.chat_model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    *_, answer = await _asked_in_general(slack, FIRST)
    assert answer.text == reply
    assert slack.api_calls("chat.startStream") and slack.api_calls("chat.stopStream")
    assert ACTION_FEEDBACK in _blocks_text(answer) and "[1]" in _blocks_text(answer)


async def test_home_shows_the_questions_not_answered_well(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    asked = await ana.mention(general, "what is our churn rate this quarter?")
    await slack.wait_for_message(channel=general, thread_ts=asked, contains="can't find")
    await ana.open_home()
    home = await slack.wait_for_home(ana, contains="Not answered well yet")
    text = json.dumps(home.definition)
    assert "what is our churn rate this quarter?" in text and "asked 1 question so far" in text


async def test_when_streaming_fails_the_answer_is_posted_whole(slack: LocalSlack, coach: Coach) -> None:
    reply = "Duolingo's session generator now takes 14 ms instead of 750 ms [1]."
    coach.services.knowledge.chat_model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    slack.faults.server_error("chat.startStream", times=3)  # the client retries twice
    *_, answer = await _asked_in_general(slack, FIRST)
    assert reply in answer.text and ACTION_FEEDBACK in _blocks_text(answer)
