"""The loop interview in Slack: `/flywheel interview` and `map`, answers by button, modal or typed reply, Home."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import interview as blocks
from bot.blocks.common import Block, escape
from bot.blocks.loop_map import build_home_section, build_map_missing, build_map_summary
from bot.errors import CoachError, InputError
from bot.interview.diagnosis import Diagnosis
from bot.interview.engine import InterviewState, Outcome, existing_answer
from bot.interview.script import QuestionKind
from bot.interview.service import THREAD_KIND, InterviewService
from bot.listeners.context import actor_of
from bot.listeners.errors import channel_unreachable, reporting_errors
from bot.listeners.interview_effects import NOT_IN_CHANNEL, InterviewEffects, upload_map_picture
from bot.listeners.router import CommandRequest, IncomingMessage, Routes
from bot.services import Services
from bot.store.models.loop_map import InterviewSession

logger = logging.getLogger(__name__)

INTERVIEW_USAGE = "Usage: `/flywheel interview` or `/flywheel interview restart`."
MEMBERS_PAGE = 1000
"""Members asked for per `conversations.members` page (Slack's most)."""
OTHER_CHANNEL = "That button belongs to an interview in another channel: answer it there."
CHANNEL_ID = re.compile(r"[A-Z0-9]{1,40}")
QUESTION_BUTTONS = re.compile("^(" + "|".join((rf"{blocks.ACTION_CHOICE}_\d+", *blocks.CONTROL_WORDS)) + ")$")


class InterviewSlack:
    """The interview's Slack side: each handler reads its request, calls the interview service, and posts."""

    def __init__(self, interviews: InterviewService) -> None:
        self.interviews = interviews
        self.effects = InterviewEffects(interviews)

    async def handle_interview_command(self, request: CommandRequest) -> None:
        """`/flywheel interview`: start (or with `restart`, start over) the channel's interview."""
        word = request.text.strip().lower()
        if word not in ("", "restart"):
            await request.respond(text=INTERVIEW_USAGE, response_type="ephemeral")
            return
        await self._start(
            request.client,
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            restart=word == "restart",
        )

    async def handle_map_command(self, request: CommandRequest) -> None:
        """`/flywheel map`: post the channel's current loop map."""
        stored = await self.interviews.current_map(team_id=request.team_id, channel_id=request.channel_id)
        if stored is None:
            await request.respond(text=build_map_missing(), response_type="ephemeral")
            return
        await _post_map(request.client, stored.diagnosis, channel_id=request.channel_id, version=stored.current.version)

    async def handle_interview_reply(self, message: IncomingMessage) -> None:
        """A typed reply in an interview's thread answers the question being asked."""
        if message.is_edit or message.owner is None or not message.owner.ref_id:
            return
        await self._apply(
            message.client,
            team_id=message.team_id,
            interview_id=int(message.owner.ref_id),
            question_id=None,
            reply=message.text,
            user_id=message.user_id,
        )

    async def handle_question_button(
        self, ack: AsyncAck, action: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """A question's button: a choice answers with that choice; back, skip, why, keep, keep all steer."""
        await ack()
        actor = actor_of(context, body)
        interview_id, question_id, value = blocks.read_button_value(action.get("value"))
        await self._named(
            team_id=actor.team_id, interview_id=interview_id, question_id=question_id, at=actor.channel_id
        )
        await self._apply(
            client,
            team_id=actor.team_id,
            interview_id=interview_id,
            question_id=question_id,
            reply=blocks.CONTROL_WORDS.get(action["action_id"], value),
            user_id=actor.user_id,
            message_ts=(body.get("container") or {}).get("message_ts"),
        )

    async def handle_note_button(
        self, ack: AsyncAck, action: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """Open the answer modal (a pick plus a free-text note) for the question."""
        await ack()
        actor = actor_of(context, body)
        interview_id, question_id, _ = blocks.read_button_value(action.get("value"))
        row, state = await self._named(
            team_id=actor.team_id, interview_id=interview_id, question_id=question_id, at=actor.channel_id
        )
        if state.current != question_id:
            record = state.answers.get(question_id)
            await client.chat_postEphemeral(
                channel=row.channel_id,
                user=actor.user_id,
                thread_ts=row.thread_ts,
                text=blocks.build_stale(record.user_id if record else None),
            )
            return
        view = blocks.build_answer_modal(
            self.interviews.script.get(question_id),
            interview_id=interview_id,
            channel_id=row.channel_id,
            existing=existing_answer(state, question_id),
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def handle_answer_submitted(
        self, ack: AsyncAck, view: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The answer modal: the pick (one, or several) and the optional note."""
        interview_id, question_id, channel_id, picked, note = blocks.read_answer_modal(view)
        if not picked:
            await ack(response_action="errors", errors={blocks.BLOCK_PICK: "Pick at least one answer."})
            return
        await ack()
        actor = actor_of(context, body)
        await self._named(team_id=actor.team_id, interview_id=interview_id, question_id=question_id, at=channel_id)
        question = self.interviews.script.get(question_id)
        await self._apply(
            client,
            team_id=actor.team_id,
            interview_id=interview_id,
            question_id=question_id,
            reply=picked if question.kind is QuestionKind.MULTI else picked[0],
            user_id=actor.user_id,
            note=note,
        )

    async def handle_start_button(
        self, ack: AsyncAck, action: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """Home's "Update interview" button: start the interview in that channel."""
        await ack()
        actor = actor_of(context, body)
        channel_id = action.get("value")
        if not isinstance(channel_id, str) or not CHANNEL_ID.fullmatch(channel_id):
            raise InputError(blocks.UNREADABLE_BUTTON)
        await self._start(client, team_id=actor.team_id, channel_id=channel_id, user_id=actor.user_id)

    async def home_section(self, team_id: str, user_id: str, client: AsyncWebClient) -> list[Block]:
        """The maps, and the interviews under way, of the channels this person belongs to."""
        listing = await self.interviews.workspace_maps(team_id=team_id)
        channels = [item.channel_id for item in listing.maps] + listing.running
        theirs = await _channels_with_member(client, user_id=user_id, channel_ids=channels)
        return build_home_section(
            [item for item in listing.maps if item.channel_id in theirs],
            running=[channel_id for channel_id in listing.running if channel_id in theirs],
        )

    async def _named(
        self, *, team_id: str, interview_id: int, question_id: str, at: str
    ) -> tuple[InterviewSession, InterviewState]:
        """The interview a button or modal names, when it is one of this workspace's and runs in channel `at`."""
        if question_id not in self.interviews.script:
            raise InputError(blocks.UNREADABLE_BUTTON)
        row, state = await self.interviews.load(team_id=team_id, interview_id=interview_id)
        if row.channel_id != at:
            raise InputError(OTHER_CHANNEL)
        return row, state

    async def _start(
        self, client: AsyncWebClient, *, team_id: str, channel_id: str, user_id: str, restart: bool = False
    ) -> None:
        """Open an interview; its intro and first question are posted as the effects it recorded."""
        started = await self.interviews.start(team_id=team_id, channel_id=channel_id, user_id=user_id, restart=restart)
        await self.effects.run(client, team_id=team_id, interview_id=started.interview.id or 0)

    async def _apply(
        self,
        client: AsyncWebClient,
        *,
        team_id: str,
        interview_id: int,
        question_id: str | None,
        reply: str | list[str],
        user_id: str,
        note: str | None = None,
        message_ts: str | None = None,
    ) -> None:
        """Apply one reply and show what follows: a re-ask or the why at once, or the step's recorded effects.

        `question_id` None answers the question being asked. `message_ts` is the question message a
        button was clicked on; it is closed even when the click arrives before that message's ts was stored.
        """
        step = await self.interviews.reply(
            team_id=team_id,
            interview_id=interview_id,
            question_id=question_id,
            reply=reply,
            user_id=user_id,
            note=note,
            message_ts=message_ts,
        )
        row = step.interview
        channel_id, thread_ts = row.channel_id, row.thread_ts or None
        if step.outcome is Outcome.STALE:
            text = blocks.build_stale(step.result.answered_by) if step.answered_already else escape(step.result.message)
            await client.chat_postEphemeral(channel=channel_id, user=user_id, thread_ts=thread_ts, text=text)
            return
        if step.outcome is Outcome.REASK:
            text, reask = blocks.build_reask(step.result.message)
            await _post(client, channel=channel_id, thread_ts=thread_ts, text=text, blocks=reask)
            return
        if step.outcome is Outcome.WHY and step.result.question is not None:
            passages = await self.interviews.why_passages(team_id=team_id, query=step.result.why_query or "")
            text, why = blocks.build_why(step.result.question, passages)
            await _post(client, channel=channel_id, thread_ts=thread_ts, text=text, blocks=why)
            return
        await self.effects.run(client, team_id=team_id, interview_id=interview_id)


async def _post_map(
    client: AsyncWebClient, diagnosis: Diagnosis, *, channel_id: str, version: int, thread_ts: str | None = None
) -> None:
    """The map's summary, then its picture in the same thread (the summary's own, when posted at the top)."""
    text, summary = build_map_summary(diagnosis, channel_id=channel_id, version=version)
    posted = await _post(client, channel=channel_id, thread_ts=thread_ts, text=text, blocks=summary)
    await upload_map_picture(
        client, diagnosis, channel_id=channel_id, version=version, thread_ts=thread_ts or posted["ts"]
    )


async def _post(
    client: AsyncWebClient, *, channel: str, text: str, blocks: list[Block], thread_ts: str | None = None
) -> Any:
    try:
        return await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
    except SlackApiError as failure:
        if channel_unreachable(failure):
            raise CoachError(NOT_IN_CHANNEL) from failure
        raise


async def _channels_with_member(client: AsyncWebClient, *, user_id: str, channel_ids: list[str]) -> set[str]:
    """Which of these channels the person belongs to; each channel's members are read once, page by page."""
    theirs = set()
    for channel_id in dict.fromkeys(channel_ids):
        try:
            async for page in await client.conversations_members(channel=channel_id, limit=MEMBERS_PAGE):
                if user_id in page.get("members", []):
                    theirs.add(channel_id)
                    break
        except SlackApiError:
            continue
    return theirs


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """`/flywheel interview` and `/flywheel map`, the interview thread, its buttons and modal, and Home."""
    interview = InterviewSlack(services.interview)
    routes.add_subcommand("interview", interview.handle_interview_command, usage="interview [restart]")
    routes.add_subcommand("map", interview.handle_map_command, usage="map")
    routes.add_thread_kind(THREAD_KIND, interview.handle_interview_reply)
    routes.home_sections.append(interview.home_section)
    app.action(QUESTION_BUTTONS)(reporting_errors(interview.handle_question_button))
    app.action(blocks.ACTION_NOTE)(reporting_errors(interview.handle_note_button))
    app.action(blocks.ACTION_START)(reporting_errors(interview.handle_start_button))
    app.view(blocks.VIEW_ANSWER)(reporting_errors(interview.handle_answer_submitted))
