"""Answers in Slack: mentions and DMs answered in threads, follow-ups, `/flywheel ask`, votes and sharing."""

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
from bot.blocks.answers import SourceLine
from bot.blocks.common import escape
from bot.errors import InputError
from bot.listeners.errors import reporting_errors
from bot.listeners.router import CommandRequest, IncomingMessage, Routes
from bot.retrieval.models import Answer
from bot.services import Services
from bot.store import answers as store
from bot.store.threads import claim_thread

logger = logging.getLogger(__name__)

THREAD_KIND = "answer"
SURFACE_MENTION = "mention"
SURFACE_DM = "dm"
SURFACE_COMMAND = "command"
SURFACE_THREAD = "thread"
_SUGGESTED = re.compile(rf"^{blocks.ACTION_SUGGESTED}_\d+$")


def _source_lines(answer: Answer) -> list[SourceLine]:
    return [SourceLine(p.label, p.source) for p in answer.sources]


class AnswerSlack:
    """Answers questions where they were asked and keeps what the coach learns from the replies."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.knowledge = services.knowledge

    # ---- asking

    async def handle_conversation(self, message: IncomingMessage) -> None:
        """A mention in a channel or a DM: answer in a thread under it."""
        if not message.text:
            text, empty = blocks.build_empty_question()
            await message.client.chat_postMessage(
                channel=message.channel_id, thread_ts=message.reply_thread_ts, text=text, blocks=empty
            )
            return
        history: list[str] = []
        if message.thread_ts:
            history = await self._history(message.team_id, message.channel_id, message.thread_ts)
        await self.answer_in_thread(
            message.client,
            team_id=message.team_id,
            channel_id=message.channel_id,
            user_id=message.user_id,
            question=message.text,
            thread_ts=message.reply_thread_ts,
            history=history,
            surface=SURFACE_DM if message.is_direct else SURFACE_MENTION,
        )

    async def handle_follow_up(self, message: IncomingMessage) -> None:
        """A reply in an answer's thread (no mention needed): answered with the thread's questions in mind."""
        if message.is_edit or not message.text:
            return
        thread_ts = message.thread_ts or message.ts
        await self.answer_in_thread(
            message.client,
            team_id=message.team_id,
            channel_id=message.channel_id,
            user_id=message.user_id,
            question=message.text,
            thread_ts=thread_ts,
            history=await self._history(message.team_id, message.channel_id, thread_ts),
            surface=SURFACE_THREAD,
        )

    async def _history(self, team_id: str, channel_id: str, thread_ts: str) -> list[str]:
        async with self.services.db.session() as session:
            return await store.thread_questions(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)

    async def answer_in_thread(
        self,
        client: AsyncWebClient,
        *,
        team_id: str,
        channel_id: str,
        user_id: str,
        question: str,
        thread_ts: str,
        history: list[str],
        surface: str,
    ) -> int:
        """Show that the coach is working, answer (streaming when a model writes it), store it; the answer id."""
        await self._set_status(client, channel_id, thread_ts, blocks.WORKING_STATUS)
        try:
            stream = await self.knowledge.stream_answer(question, team_id=team_id, history=history)
            if self.knowledge.chat_model is not None and stream.grounded:
                return await self._stream_reply(
                    client,
                    stream,
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    question=question,
                    thread_ts=thread_ts,
                    surface=surface,
                )
            async for _ in stream:
                pass
            answer = stream.answer
            answer_id = await self._record(team_id, channel_id, user_id, question, answer, surface, thread_ts)
            await self._post_whole(client, answer, answer_id, team_id, channel_id, thread_ts)
            return answer_id
        finally:
            await self._set_status(client, channel_id, thread_ts, "")

    async def _stream_reply(
        self,
        client: AsyncWebClient,
        stream: Any,
        *,
        team_id: str,
        channel_id: str,
        user_id: str,
        question: str,
        thread_ts: str,
        surface: str,
    ) -> int:
        async with self.services.db.session() as session:
            await claim_thread(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, kind=THREAD_KIND)
        streamer = await client.chat_stream(
            channel=channel_id, thread_ts=thread_ts, recipient_team_id=team_id, recipient_user_id=user_id
        )
        failure: SlackApiError | None = None
        async for piece in stream:
            if failure is None:
                try:
                    await streamer.append(markdown_text=blocks.defuse(piece))
                except SlackApiError as error:  # a workspace without streaming still gets the answer
                    failure = error
        answer = stream.answer
        answer_id = await self._record(team_id, channel_id, user_id, question, answer, surface, thread_ts)
        if failure is None:
            footer = blocks.answer_footer(
                answer_id=answer_id,
                sources=_source_lines(answer),
                grounded=answer.grounded,
                generated=answer.generated,
            )
            try:
                stopped = await streamer.stop(blocks=footer)
                await self._remember_post(team_id, channel_id, answer_id, stopped.get("ts"), thread_ts)
                return answer_id
            except SlackApiError as error:
                failure = error
        logger.warning(
            "streaming failed in %s (%s); posting the answer whole", channel_id, failure.response.get("error")
        )
        await self._post_whole(client, answer, answer_id, team_id, channel_id, thread_ts, replace=streamer.ts)
        return answer_id

    async def _post_whole(
        self,
        client: AsyncWebClient,
        answer: Answer,
        answer_id: int,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        *,
        replace: str | None = None,
    ) -> None:
        """Post the finished answer as one message (or turn a half-streamed message into it)."""
        text, message_blocks = blocks.build_answer(
            answer.text,
            answer_id=answer_id,
            sources=_source_lines(answer),
            grounded=answer.grounded,
            generated=answer.generated,
            nearest_topics=answer.nearest_topics,
        )
        if replace:
            posted = await client.chat_update(channel=channel_id, ts=replace, text=text, blocks=message_blocks)
        else:
            posted = await client.chat_postMessage(
                channel=channel_id, thread_ts=thread_ts, text=text, blocks=message_blocks, unfurl_links=False
            )
        await self._remember_post(team_id, channel_id, answer_id, posted.get("ts"), thread_ts)

    async def _record(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        question: str,
        answer: Answer,
        surface: str,
        thread_ts: str | None,
    ) -> int:
        """Store the answer and, before it is posted, claim its thread: a quick follow-up must find its owner."""
        async with self.services.db.session() as session:
            row = await store.record_answer(
                session,
                team_id=team_id,
                channel_id=channel_id,
                user_id=user_id,
                question=question,
                answer=answer,
                surface=surface,
                thread_ts=thread_ts,
            )
            answer_id = row.id or 0
            if thread_ts is not None:
                await claim_thread(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    kind=THREAD_KIND,
                    ref_id=str(answer_id),
                )
            return answer_id

    async def _remember_post(
        self, team_id: str, channel_id: str, answer_id: int, message_ts: str | None, thread_ts: str
    ) -> None:
        async with self.services.db.session() as session:
            await store.set_answer_message(
                session, team_id=team_id, answer_id=answer_id, message_ts=message_ts, thread_ts=thread_ts
            )
            await claim_thread(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                kind=THREAD_KIND,
                ref_id=str(answer_id),
            )

    async def _set_status(self, client: AsyncWebClient, channel_id: str, thread_ts: str, status: str) -> None:
        """The "is reading the material…" indicator; a workspace that refuses it just doesn't show it."""
        try:
            await client.assistant_threads_setStatus(channel_id=channel_id, thread_ts=thread_ts, status=status)
        except SlackApiError as failure:
            logger.info("no working indicator in %s: %s", channel_id, failure.response.get("error"))

    async def handle_ask_command(self, request: CommandRequest) -> None:
        """`/flywheel ask QUESTION`: a private answer with a button to share it in the channel."""
        if not request.text:
            await request.respond(text=blocks.build_usage(), response_type="ephemeral")
            return
        answer = await self.knowledge.answer(request.text, team_id=request.team_id)
        answer_id = await self._record(
            request.team_id, request.channel_id, request.user_id, request.text, answer, SURFACE_COMMAND, None
        )
        text, message_blocks = blocks.build_answer(
            answer.text,
            answer_id=answer_id,
            sources=_source_lines(answer),
            grounded=answer.grounded,
            generated=answer.generated,
            nearest_topics=answer.nearest_topics,
            shareable=True,
            question=request.text,
        )
        await request.respond(text=text, blocks=message_blocks, response_type="ephemeral")

    async def greet(self, team_id: str, user_id: str, channel_id: str, client: AsyncWebClient) -> None:
        """The Messages tab opened: greet with suggested prompts, once (when the conversation is empty)."""
        if not channel_id:
            return
        history = await client.conversations_history(channel=channel_id, limit=1)
        if history.get("messages"):
            return
        text, greeting = blocks.build_greeting()
        await client.chat_postMessage(channel=channel_id, text=text, blocks=greeting)

    # ---- feedback and sharing

    async def vote(
        self,
        client: AsyncWebClient,
        *,
        team_id: str,
        user_id: str,
        answer_id: int,
        vote: int,
        channel_id: str,
        thread_ts: str | None,
        respond: AsyncRespond | None,
    ) -> None:
        """Record a vote, move the shared ranking prior, and thank the person privately."""
        async with self.services.db.session() as session:
            previous = await store.cast_vote(session, team_id=team_id, answer_id=answer_id, user_id=user_id, vote=vote)
            cited = [s.passage_id for s in await store.answer_sources(session, team_id=team_id, answer_id=answer_id)]
        if previous != vote:  # a changed vote moves one count down and the other up
            up_change = int(vote == store.UP) - int(previous == store.UP)
            down_change = int(vote == store.DOWN) - int(previous == store.DOWN)
            self.knowledge.add_votes(cited, up=up_change, down=down_change)
        thanks = blocks.build_vote_thanks(vote)
        if respond is not None and not channel_id:
            await respond(text=thanks, response_type="ephemeral", replace_original=False)
            return
        await client.chat_postEphemeral(channel=channel_id, user=user_id, thread_ts=thread_ts, text=thanks)

    async def share(
        self, client: AsyncWebClient, *, team_id: str, user_id: str, answer_id: int, channel_id: str
    ) -> None:
        """Post a privately asked answer in the channel, where follow-ups in its thread are answered too."""
        async with self.services.db.session() as session:
            row = await store.get_answer(session, team_id=team_id, answer_id=answer_id)
            sources = await store.answer_sources(session, team_id=team_id, answer_id=answer_id)
        text, message_blocks = blocks.build_answer(
            row.answer_text,
            answer_id=answer_id,
            sources=[SourceLine(s.label, s.source) for s in sources],
            grounded=row.grounded,
            generated=row.generated,
            shared_by=user_id,
            question=row.question,
        )
        posted = await client.chat_postMessage(
            channel=channel_id or row.channel_id, text=text, blocks=message_blocks, unfurl_links=False
        )
        await self._remember_post(team_id, posted["channel"], answer_id, posted["ts"], posted["ts"])


def _action_context(body: dict[str, Any], context: AsyncBoltContext) -> tuple[str, str, str, str | None]:
    """(team, user, channel, thread) of a button click, in a message or an ephemeral answer."""
    container = body.get("container") or {}
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") or container.get("thread_ts")
    return context.team_id or "", context.user_id or (body.get("user") or {}).get("id", ""), channel_id, thread_ts


def _answer_id(body: dict[str, Any]) -> int:
    try:
        return int((body.get("actions") or [{}])[0].get("value", ""))
    except ValueError:
        raise InputError("That button no longer points at an answer.") from None


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """Answer mentions, DMs and `/flywheel ask`; follow-ups in answer threads; votes, reasons and sharing."""
    answers = AnswerSlack(services)
    routes.conversation = answers.handle_conversation
    routes.messages_tab_opened = answers.greet
    routes.add_thread_kind(THREAD_KIND, answers.handle_follow_up)
    routes.add_subcommand("ask", answers.handle_ask_command, usage="ask QUESTION")

    async def home_section(team_id: str, user_id: str, client: AsyncWebClient) -> list[dict[str, Any]]:
        """The answers part of the Home tab."""
        async with services.db.session() as session:
            answered = await store.answer_count(session, team_id=team_id)
            gaps = await store.knowledge_gaps(session, team_id=team_id, limit=5)
        return blocks.build_home_section(answered=answered, gaps=[gap.question for gap in gaps])

    routes.home_sections.append(home_section)

    async def handle_vote_up(
        ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext, respond: AsyncRespond
    ) -> None:
        """👍 on an answer."""
        await ack()
        team_id, user_id, channel_id, thread_ts = _action_context(body, context)
        await answers.vote(
            client,
            team_id=team_id,
            user_id=user_id,
            answer_id=_answer_id(body),
            vote=store.UP,
            channel_id=channel_id,
            thread_ts=thread_ts,
            respond=respond,
        )

    async def handle_vote_down(
        ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext, respond: AsyncRespond
    ) -> None:
        """👎 on an answer: record it, then open the optional reason modal (within the trigger's 3 s).

        The vote is stored first so that a reason sent quickly from the modal always finds it.
        """
        await ack()
        team_id, user_id, channel_id, thread_ts = _action_context(body, context)
        answer_id = _answer_id(body)
        await answers.vote(
            client,
            team_id=team_id,
            user_id=user_id,
            answer_id=answer_id,
            vote=store.DOWN,
            channel_id=channel_id,
            thread_ts=thread_ts,
            respond=respond,
        )
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.build_reason_modal(answer_id=answer_id, channel_id=channel_id, thread_ts=thread_ts),
        )

    async def handle_reason(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
        """The reason modal was sent: keep the reason with the vote."""
        await ack()
        reason = blocks.read_reason(view)
        if not reason:
            return
        answer_id, _, _ = blocks.read_reason_metadata(view.get("private_metadata", ""))
        async with services.db.session() as session:
            await store.set_vote_reason(
                session,
                team_id=context.team_id or "",
                answer_id=answer_id,
                user_id=context.user_id or "",
                reason=reason,
            )

    async def handle_share(
        ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext, respond: AsyncRespond
    ) -> None:
        """ "Share in channel" under a private answer."""
        await ack()
        team_id, user_id, channel_id, _ = _action_context(body, context)
        await answers.share(client, team_id=team_id, user_id=user_id, answer_id=_answer_id(body), channel_id=channel_id)
        await respond(delete_original=True)

    async def handle_suggested(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        """A suggested prompt was tapped: ask it, answered in a thread under the prompt list."""
        await ack()
        team_id, user_id, channel_id, _ = _action_context(body, context)
        question = str((body.get("actions") or [{}])[0].get("value", "")).strip()
        if not question or not channel_id:
            return
        posted = await client.chat_postMessage(channel=channel_id, text=f"<@{user_id}> asked: {escape(question)}")
        await answers.answer_in_thread(
            client,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            question=question,
            thread_ts=posted["ts"],
            history=[],
            surface=SURFACE_DM,
        )

    app.action(blocks.ACTION_VOTE_UP)(reporting_errors(handle_vote_up))
    app.action(blocks.ACTION_VOTE_DOWN)(reporting_errors(handle_vote_down))
    app.action(blocks.ACTION_SHARE)(reporting_errors(handle_share))
    app.action(_SUGGESTED)(reporting_errors(handle_suggested))
    app.view(blocks.VIEW_REASON)(reporting_errors(handle_reason))
