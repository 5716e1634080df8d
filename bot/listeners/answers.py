"""Answers in Slack: mentions and DMs answered in threads, follow-ups, `/flywheel ask`, feedback and sharing,
suggested prompts in the app's conversation, and the coaching line from a channel's loop map."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import answers as blocks
from bot.blocks.common import Block, escape, section
from bot.errors import InputError, NotInstalled
from bot.faults import crash_point
from bot.interview.coaching import coaching_line, map_citation
from bot.interview.service import InterviewService
from bot.listeners.context import Actor, actor_of
from bot.listeners.errors import reporting_errors
from bot.listeners.router import CommandRequest, IncomingMessage, Routes
from bot.listeners.tokens import BotTokens, client_with_token
from bot.manifest import COMMAND
from bot.retrieval.knowledge_base import AnswerStream
from bot.retrieval.models import Answer
from bot.retrieval.service import (
    ANSWER_THREAD,
    AnswerService,
    Question,
    RecordedAnswer,
    StoredAnswer,
    Surface,
    UnpostedAnswer,
)
from bot.retrieval.small_talk import SmallTalk, small_talk
from bot.services import Services

logger = logging.getLogger(__name__)

SUGGESTED_PROMPT = re.compile(rf"^{blocks.ACTION_SUGGESTED}_\d+$")
ANSWER_EVENT = "flywheel_answer"
"""The message metadata type that carries an answer's id, so an answer whose ts was lost is found again."""
HISTORY_LIMIT = 200
DIRECT_MESSAGE = "directmessage"
"""The `channel_name` a slash command carries when it was typed in a DM."""
DIRECT_MESSAGE_ID_PREFIX = "D"
"""What Slack's ids of direct-message conversations start with."""


ANSWER_ID = re.compile(r"[1-9][0-9]{0,8}")
"""An answer button's value: the answer's row id, as we wrote it."""


def _answer_id(body: dict[str, Any]) -> int:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    value = first.get("value")
    if not isinstance(value, str) or not ANSWER_ID.fullmatch(value):
        raise InputError("That button no longer points at an answer.")
    return int(value)


class AnswerSlack:
    """Answers questions where they were asked and keeps what the coach learns from the replies."""

    def __init__(self, answers: AnswerService, interview: InterviewService) -> None:
        self.answers = answers
        self.interview = interview

    # ---- asking

    async def handle_conversation(self, message: IncomingMessage) -> None:
        """A mention in a channel or a DM: answer in a thread under it."""
        if not message.text:
            text, empty = blocks.build_empty_question()
            await message.client.chat_postMessage(
                channel=message.channel_id, thread_ts=message.reply_thread_ts, text=text, blocks=empty
            )
            return
        surface = Surface.DM if message.is_direct else Surface.MENTION
        await self._answer_message(message, surface, follows_up=bool(message.thread_ts))

    async def handle_follow_up(self, message: IncomingMessage) -> None:
        """A reply in an answer's thread (no mention needed): answered with the thread's questions in mind."""
        if message.is_edit or not message.text:
            return
        await self._answer_message(message, Surface.THREAD, follows_up=True)

    async def handle_suggested_prompt(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """A suggested prompt was tapped: ask it, answered in a thread under the prompt list."""
        await ack()
        actor = actor_of(context, body)
        question = str((body.get("actions") or [{}])[0].get("value", "")).strip()
        if not question or not actor.channel_id:
            return
        posted = await client.chat_postMessage(
            channel=actor.channel_id, text=f"<@{actor.user_id}> asked: {escape(question)}"
        )
        await self._answer_in_thread(
            client,
            team_id=actor.team_id,
            channel_id=actor.channel_id,
            user_id=actor.user_id,
            text=question,
            thread_ts=posted["ts"],
            surface=Surface.DM,
        )

    async def handle_ask_command(self, request: CommandRequest) -> None:
        """`/flywheel ask QUESTION`: a private answer with a button to share it in the channel."""
        if not request.text:
            await request.respond(text=blocks.build_usage(), response_type="ephemeral")
            return
        if (said := small_talk(request.text)) is not None:
            text, reply = _small_talk_reply(said, private=True)
            await request.respond(text=text, blocks=reply, response_type="ephemeral")
            return
        recorded = await self.answers.ask(
            Question(
                text=request.text,
                team_id=request.team_id,
                channel_id=request.channel_id,
                user_id=request.user_id,
                surface=Surface.COMMAND,
            )
        )
        in_channel = request.body.get("channel_name") != DIRECT_MESSAGE
        coaching = await self._coaching(request.team_id, request.channel_id, request.text, recorded.answer, in_channel)
        text, message_blocks = _answer_blocks(recorded, shareable=True, question=request.text, coaching=coaching)
        await request.respond(text=text, blocks=message_blocks, response_type="ephemeral")

    async def handle_messages_tab_opened(
        self, team_id: str, user_id: str, channel_id: str, client: AsyncWebClient
    ) -> None:
        """The Messages tab opened: offer the suggested prompts, and greet once (when the conversation is empty).

        Without a thread_ts the prompts are the conversation's own, as an agent app's Messages tab shows them.
        """
        if not channel_id:
            return
        await self._suggest_prompts(client, channel_id, thread_ts=None)
        history = await client.conversations_history(channel=channel_id, limit=1)
        if history.get("messages"):
            return
        text, greeting = blocks.build_greeting()
        await client.chat_postMessage(channel=channel_id, text=text, blocks=greeting)

    async def handle_assistant_thread_started(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """A person opened a new thread with the coach in its agent view: offer the suggested prompts there."""
        thread = event.get("assistant_thread")
        channel_id = thread.get("channel_id") if isinstance(thread, dict) else None
        thread_ts = thread.get("thread_ts") if isinstance(thread, dict) else None
        if isinstance(channel_id, str) and channel_id and isinstance(thread_ts, str) and thread_ts:
            await self._suggest_prompts(client, channel_id, thread_ts=thread_ts)

    async def _suggest_prompts(self, client: AsyncWebClient, channel_id: str, *, thread_ts: str | None) -> None:
        """Slack's suggested prompts; a workspace that refuses them still gets answers to typed questions."""
        try:
            await client.assistant_threads_setSuggestedPrompts(
                channel_id=channel_id,
                thread_ts=thread_ts,
                title=blocks.PROMPTS_TITLE,
                prompts=blocks.build_suggested_prompts(),
            )
        except SlackApiError as failure:
            logger.info("no suggested prompts in %s: %s", channel_id, failure.response.get("error"))

    async def _answer_message(self, message: IncomingMessage, surface: Surface, *, follows_up: bool) -> None:
        if (said := small_talk(message.text)) is not None:
            await _reply_to_small_talk(message, said)
            return
        await self._answer_in_thread(
            message.client,
            team_id=message.team_id,
            channel_id=message.channel_id,
            user_id=message.user_id,
            text=message.text,
            thread_ts=message.reply_thread_ts,
            surface=surface,
            follows_up=follows_up,
            in_channel=not message.is_direct,
        )

    async def _answer_in_thread(
        self,
        client: AsyncWebClient,
        *,
        team_id: str,
        channel_id: str,
        user_id: str,
        text: str,
        thread_ts: str,
        surface: Surface,
        follows_up: bool = False,
        in_channel: bool = False,
    ) -> None:
        """Show that the coach is working, answer (streaming when a model writes it), store it, post it."""
        question = Question(
            text=text,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            surface=surface,
            thread_ts=thread_ts,
            follows_up=follows_up,
        )
        await self._set_status(client, channel_id, thread_ts, working=True)
        try:
            stream = await self.answers.stream(question)
            if stream.in_pieces:
                await self._stream_reply(client, question, thread_ts, stream, in_channel=in_channel)
                return
            recorded = await self.answers.record(question, await stream.complete())
            crash_point("answer.recorded")
            coaching = await self._coaching(team_id, channel_id, text, recorded.answer, in_channel)
            await self._post_whole(client, question, thread_ts, recorded, coaching=coaching)
        finally:
            await self._set_status(client, channel_id, thread_ts, working=False)

    async def _coaching(
        self, team_id: str, channel_id: str, question: str, answer: Answer | StoredAnswer, in_channel: bool
    ) -> Block | None:
        """The line tying a grounded answer to the channel's loop map (none in DMs or channels never mapped)."""
        if not in_channel or not answer.grounded:
            return None
        stored = await self.interview.current_map(team_id=team_id, channel_id=channel_id)
        if stored is None:
            return None
        line = coaching_line(question, [source.label for source in answer.sources], stored.diagnosis)
        if line is None:
            return None
        return blocks.coaching_block(line, map_citation(stored.current.version, stored.current.created_at))

    async def _stream_reply(
        self, client: AsyncWebClient, question: Question, thread_ts: str, stream: AnswerStream, *, in_channel: bool
    ) -> None:
        """Stream a model's answer into the thread, then add its footer; post it whole if streaming fails."""
        await self.answers.claim_thread(question)
        streamer = await client.chat_stream(
            channel=question.channel_id,
            thread_ts=thread_ts,
            recipient_team_id=question.team_id,
            recipient_user_id=question.user_id,
        )
        failure: SlackApiError | None = None
        async for piece in stream:
            if failure is None:
                try:
                    await streamer.append(markdown_text=blocks.defuse(piece))
                except SlackApiError as error:  # a workspace without streaming still gets the answer
                    failure = error
        recorded = await self.answers.record(question, stream.answer, streamed_ts=streamer.ts)
        crash_point("answer.recorded")
        answer = recorded.answer
        coaching = await self._coaching(question.team_id, question.channel_id, question.text, answer, in_channel)
        if failure is None:
            footer = blocks.answer_footer(
                answer_id=recorded.id,
                sources=answer.sources,
                grounded=answer.grounded,
                closest=answer.closest,
                generated=answer.generated,
                coaching=coaching,
            )
            try:
                stopped = await streamer.stop(blocks=footer, metadata=_answer_metadata(recorded.id))
                crash_point("answer.posted")
                await self.answers.remember_post(
                    team_id=question.team_id,
                    channel_id=question.channel_id,
                    answer_id=recorded.id,
                    message_ts=stopped.get("ts"),
                    thread_ts=thread_ts,
                )
                return
            except SlackApiError as error:
                failure = error
        logger.warning(
            "streaming failed in %s (%s); posting the answer whole", question.channel_id, failure.response.get("error")
        )
        await self._post_whole(client, question, thread_ts, recorded, replace=streamer.ts, coaching=coaching)

    async def _post_whole(
        self,
        client: AsyncWebClient,
        question: Question,
        thread_ts: str,
        recorded: RecordedAnswer,
        *,
        replace: str | None = None,
        coaching: Block | None = None,
    ) -> None:
        """Post the finished answer as one message (or turn a half-streamed message into it)."""
        text, message_blocks = _answer_blocks(recorded, coaching=coaching)
        metadata = _answer_metadata(recorded.id)
        if replace:
            posted = await client.chat_update(
                channel=question.channel_id, ts=replace, text=text, blocks=message_blocks, metadata=metadata
            )
        else:
            posted = await client.chat_postMessage(
                channel=question.channel_id,
                thread_ts=thread_ts,
                text=text,
                blocks=message_blocks,
                unfurl_links=False,
                metadata=metadata,
            )
        crash_point("answer.posted")
        await self.answers.remember_post(
            team_id=question.team_id,
            channel_id=question.channel_id,
            answer_id=recorded.id,
            message_ts=posted.get("ts"),
            thread_ts=thread_ts,
        )

    async def recover(self, client: AsyncWebClient, tokens: BotTokens) -> None:
        """At start-up: post, once, the recent answers a process that died recorded but never posted.

        A message carrying the answer's id is looked for in its thread first (the process may have died after
        posting, before recording the ts); a half-streamed message is finished in place.
        """
        for unposted in await self.answers.claim_unposted():
            try:
                token = await tokens.bot_token(unposted.team_id)
                await self._post_unposted(client_with_token(client, token), unposted)
            except NotInstalled:
                continue
            except Exception:  # noqa: BLE001  (one answer's failure doesn't stop the others' recovery)
                logger.exception(
                    "could not post answer %s left unposted (team %s)", unposted.stored.id, unposted.team_id
                )

    async def _post_unposted(self, client: AsyncWebClient, unposted: UnpostedAnswer) -> None:
        stored = unposted.stored
        text, message_blocks = blocks.build_answer(
            stored.text,
            answer_id=stored.id,
            sources=stored.sources,
            grounded=stored.grounded,
            closest=stored.closest,
            generated=stored.generated,
            coaching=await self._coaching(
                unposted.team_id, stored.channel_id, stored.question, stored, _in_channel(stored.channel_id)
            ),
        )
        metadata = _answer_metadata(stored.id)
        if unposted.streamed_ts:
            await client.chat_update(
                channel=stored.channel_id, ts=unposted.streamed_ts, text=text, blocks=message_blocks, metadata=metadata
            )
            ts: str | None = unposted.streamed_ts
        else:
            ts = await _find_answer(
                client, channel_id=stored.channel_id, thread_ts=unposted.thread_ts, answer_id=stored.id
            )
            if ts is None:
                posted = await client.chat_postMessage(
                    channel=stored.channel_id,
                    thread_ts=unposted.thread_ts,
                    text=text,
                    blocks=message_blocks,
                    unfurl_links=False,
                    metadata=metadata,
                )
                ts = posted.get("ts")
        await self.answers.remember_post(
            team_id=unposted.team_id,
            channel_id=stored.channel_id,
            answer_id=stored.id,
            message_ts=ts,
            thread_ts=unposted.thread_ts,
        )

    async def _set_status(self, client: AsyncWebClient, channel_id: str, thread_ts: str, *, working: bool) -> None:
        """The "is reading the material…" indicator with its rotating loading messages, or cleared.

        A workspace that refuses it just doesn't show it.
        """
        try:
            await client.assistant_threads_setStatus(
                channel_id=channel_id,
                thread_ts=thread_ts,
                status=blocks.WORKING_STATUS if working else "",
                loading_messages=list(blocks.LOADING_MESSAGES) if working else None,
            )
        except SlackApiError as failure:
            logger.info("no working indicator in %s: %s", channel_id, failure.response.get("error"))

    # ---- feedback and sharing

    async def handle_feedback(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        respond: AsyncRespond,
    ) -> None:
        """👍 or 👎 on an answer; a 👎 then opens the optional reason modal (within the trigger's 3 s).

        The vote is stored first so that a reason sent quickly from the modal always finds it.
        """
        await ack()
        actor = actor_of(context, body)
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        answer_id, helpful = blocks.read_feedback(first.get("value"))
        await self._vote(client, respond, actor, answer_id=answer_id, helpful=helpful)
        if not helpful:
            await client.views_open(
                trigger_id=body["trigger_id"],
                view=blocks.build_reason_modal(
                    answer_id=answer_id, channel_id=actor.channel_id, thread_ts=actor.thread_ts
                ),
            )

    async def _vote(
        self, client: AsyncWebClient, respond: AsyncRespond | None, actor: Actor, *, answer_id: int, helpful: bool
    ) -> None:
        """Record a vote (which moves the shared ranking prior), and thank the person privately."""
        await self.answers.vote(team_id=actor.team_id, user_id=actor.user_id, answer_id=answer_id, helpful=helpful)
        thanks = blocks.build_vote_thanks(helpful=helpful)
        if respond is not None and not actor.channel_id:
            await respond(text=thanks, response_type="ephemeral", replace_original=False)
            return
        await client.chat_postEphemeral(
            channel=actor.channel_id, user=actor.user_id, thread_ts=actor.thread_ts, text=thanks
        )

    async def handle_reason(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """The reason modal was sent: keep the reason with the vote."""
        await ack()
        reason = blocks.read_reason(view)
        if not reason:
            return
        answer_id, _, _ = blocks.read_reason_metadata(view.get("private_metadata", ""))
        actor = actor_of(context, body)
        await self.answers.explain_vote(
            team_id=actor.team_id, user_id=actor.user_id, answer_id=answer_id, reason=reason
        )

    async def handle_share(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        respond: AsyncRespond,
    ) -> None:
        """ "Share in channel" under a private answer: post it where follow-ups in its thread are answered too."""
        await ack()
        actor = actor_of(context, body)
        stored = await self.answers.stored(team_id=actor.team_id, answer_id=_answer_id(body))
        channel_id = actor.channel_id or stored.channel_id
        text, message_blocks = blocks.build_answer(
            stored.text,
            answer_id=stored.id,
            sources=stored.sources,
            grounded=stored.grounded,
            closest=stored.closest,
            generated=stored.generated,
            shared_by=actor.user_id,
            question=stored.question,
            coaching=await self._coaching(actor.team_id, channel_id, stored.question, stored, _in_channel(channel_id)),
        )
        posted = await client.chat_postMessage(channel=channel_id, text=text, blocks=message_blocks, unfurl_links=False)
        await self.answers.remember_post(
            team_id=actor.team_id,
            channel_id=posted["channel"],
            answer_id=stored.id,
            message_ts=posted["ts"],
            thread_ts=posted["ts"],
        )
        await respond(delete_original=True)

    # ---- Home

    async def home_section(self, team_id: str, user_id: str, client: AsyncWebClient) -> list[Block]:
        """The answers part of the Home tab."""
        figures = await self.answers.figures(team_id=team_id)
        return blocks.build_home_section(answered=figures.answered, gaps=figures.gaps)


def _in_channel(channel_id: str) -> bool:
    """Whether a conversation is a channel rather than a DM (Slack's DM ids start with D)."""
    return not channel_id.startswith(DIRECT_MESSAGE_ID_PREFIX)


def _small_talk_reply(said: SmallTalk, *, private: bool = False) -> tuple[str, list[Block]]:
    if said is SmallTalk.THANKS:
        thanks = blocks.build_thanks_reply()
        return thanks, [section(thanks)]
    prompts = () if private else blocks.SUGGESTED_PROMPTS
    return blocks.build_introduction(greeting=said is SmallTalk.GREETING, command=COMMAND, prompts=prompts)


async def _reply_to_small_talk(message: IncomingMessage, said: SmallTalk) -> None:
    """A greeting, thanks or "what can you do?" is replied to in its thread, and not searched or recorded."""
    text, reply = _small_talk_reply(said)
    await message.client.chat_postMessage(
        channel=message.channel_id, thread_ts=message.reply_thread_ts, text=text, blocks=reply
    )


def _answer_metadata(answer_id: int) -> dict[str, Any]:
    return {"event_type": ANSWER_EVENT, "event_payload": {"answer": answer_id}}


async def _find_answer(client: AsyncWebClient, *, channel_id: str, thread_ts: str, answer_id: int) -> str | None:
    """The ts of the message in the thread that carries this answer's id, if one was posted."""
    response = await client.conversations_replies(
        channel=channel_id, ts=thread_ts, include_all_metadata=True, limit=HISTORY_LIMIT
    )
    for message in response.get("messages") or []:
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == ANSWER_EVENT
            and (metadata.get("event_payload") or {}).get("answer") == answer_id
        ):
            return str(message["ts"])
    return None


def _answer_blocks(
    recorded: RecordedAnswer, *, shareable: bool = False, question: str | None = None, coaching: Block | None = None
) -> tuple[str, list[Block]]:
    answer = recorded.answer
    return blocks.build_answer(
        answer.text,
        answer_id=recorded.id,
        sources=answer.sources,
        grounded=answer.grounded,
        closest=answer.closest,
        generated=answer.generated,
        nearest_topics=answer.nearest_topics,
        shareable=shareable,
        question=question,
        coaching=coaching,
    )


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """Answer mentions, DMs and `/flywheel ask`; follow-ups in answer threads; feedback, reasons and sharing."""
    answers = AnswerSlack(services.answers, services.interview)
    routes.conversation = answers.handle_conversation
    routes.messages_tab_opened = answers.handle_messages_tab_opened
    routes.add_thread_kind(ANSWER_THREAD, answers.handle_follow_up)
    routes.add_subcommand("ask", answers.handle_ask_command, usage="ask QUESTION")
    routes.home_sections.append(answers.home_section)
    app.action(blocks.ACTION_FEEDBACK)(reporting_errors(answers.handle_feedback))
    app.event("assistant_thread_started")(answers.handle_assistant_thread_started)
    app.action(blocks.ACTION_SHARE)(reporting_errors(answers.handle_share))
    app.action(SUGGESTED_PROMPT)(reporting_errors(answers.handle_suggested_prompt))
    app.view(blocks.VIEW_REASON)(reporting_errors(answers.handle_reason))
