"""The loop interview in Slack: `/flywheel interview`, answers by button, modal or typed reply, and `/flywheel map`."""

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
from bot.blocks.common import Block
from bot.blocks.loop_map import build_home_section, build_map_missing, build_map_summary
from bot.errors import CoachError
from bot.interview.diagnosis import Diagnosis
from bot.interview.diagram import render_png_async
from bot.interview.engine import Outcome, existing_answer, progress
from bot.interview.script import QuestionKind
from bot.interview.service import InterviewService, Step
from bot.listeners.errors import channel_unreachable, reporting_errors
from bot.listeners.router import CommandRequest, IncomingMessage, Routes
from bot.services import Services
from bot.store.loop_maps import active_interviews, latest_maps, set_interview_messages
from bot.store.models.loop_map import INTERVIEW_ACTIVE
from bot.store.threads import claim_thread, find_thread

logger = logging.getLogger(__name__)

THREAD_KIND = "interview"
NOT_IN_CHANNEL = "Invite me to this channel first (`/invite @flywheel-coach`), then try again."


class InterviewSlack:
    """Posts an interview's thread: the intro, one question at a time, re-asks, and the map at the end."""

    def __init__(self, interviews: InterviewService) -> None:
        self.interviews = interviews

    async def start(
        self, client: AsyncWebClient, *, team_id: str, channel_id: str, user_id: str, restart: bool = False
    ) -> None:
        """Open an interview and post its intro and first question in a new thread."""
        started = await self.interviews.start(team_id=team_id, channel_id=channel_id, user_id=user_id, restart=restart)
        interview_id = started.interview.id or 0
        _, total = progress(started.state, script=self.interviews.script)
        text, intro = blocks.build_intro(started_by=user_id, total=total, base_version=started.base_version)
        root = await _post(client, channel=channel_id, text=text, blocks=intro)
        thread_ts = root["ts"]
        async with self.interviews.db.session() as session:
            await claim_thread(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                kind=THREAD_KIND,
                ref_id=str(interview_id),
            )
            await set_interview_messages(session, team_id=team_id, interview_id=interview_id, thread_ts=thread_ts)
        await self._ask(client, team_id=team_id, interview_id=interview_id, channel_id=channel_id, thread_ts=thread_ts)

    async def apply(
        self,
        client: AsyncWebClient,
        *,
        team_id: str,
        interview_id: int,
        question_id: str,
        reply: str | list[str],
        user_id: str,
        note: str | None = None,
        message_ts: str | None = None,
    ) -> None:
        """Apply one reply and post what follows: the next question, a re-ask, the why, or the map.

        `message_ts` is the question message a button was clicked on; it is closed even when the click
        arrives before that message's ts was stored.
        """
        step = await self.interviews.reply(
            team_id=team_id,
            interview_id=interview_id,
            question_id=question_id,
            reply=reply,
            user_id=user_id,
            note=note,
        )
        row = step.interview
        channel_id, thread_ts = row.channel_id, row.thread_ts or None
        if step.outcome is Outcome.STALE:
            answered_already = not step.result.state.done and row.status == INTERVIEW_ACTIVE
            text = blocks.build_stale(step.result.answered_by) if answered_already else step.result.message
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
        await self._close_question(client, step, question_id, user_id, message_ts=message_ts)
        if step.outcome is Outcome.FINISHED:
            await self._finish(client, step)
            return
        await self._ask(
            client, team_id=team_id, interview_id=interview_id, channel_id=channel_id, thread_ts=thread_ts or ""
        )

    async def post_map(self, client: AsyncWebClient, *, team_id: str, channel_id: str) -> bool:
        """Post a channel's current map (summary, then the picture); False when it has none."""
        stored = await self.interviews.current_map(team_id=team_id, channel_id=channel_id)
        if stored is None:
            return False
        await _post_map(client, stored.diagnosis, channel_id=channel_id, version=stored.current.version)
        return True

    async def _ask(
        self, client: AsyncWebClient, *, team_id: str, interview_id: int, channel_id: str, thread_ts: str
    ) -> None:
        _, state = await self.interviews.load(team_id=team_id, interview_id=interview_id)
        question = self.interviews.script.get(state.current or "")
        position, total = progress(state, script=self.interviews.script)
        text, question_blocks = blocks.build_question(
            question,
            interview_id=interview_id,
            position=position,
            total=total,
            existing=existing_answer(state, question.id),
            has_previous=bool(state.previous),
        )
        posted = await _post(client, channel=channel_id, thread_ts=thread_ts, text=text, blocks=question_blocks)
        async with self.interviews.db.session() as session:
            await set_interview_messages(session, team_id=team_id, interview_id=interview_id, question_ts=posted["ts"])

    async def _close_question(
        self, client: AsyncWebClient, step: Step, question_id: str, user_id: str, *, message_ts: str | None
    ) -> None:
        """Replace the answered (or left) question's buttons with what happened, so they can't be pressed again."""
        row, state = step.interview, step.result.state
        question_ts = message_ts or row.question_ts
        if not question_ts:
            return
        question = self.interviews.script.get(question_id)
        _, total = progress(state, script=self.interviews.script)
        if step.outcome is Outcome.WENT_BACK:
            text, closed = blocks.build_went_back(question, position=len(state.history) + 2, total=total)
        else:
            record = state.answers[question_id]
            position = state.history.index(question_id) + 1 if question_id in state.history else total
            kept = not record.skipped and record.user_id != user_id
            text, closed = blocks.build_answered(question, record, position=position, total=total, kept=kept)
        try:
            await client.chat_update(channel=row.channel_id, ts=question_ts, text=text, blocks=closed)
        except SlackApiError as failure:
            logger.warning(
                "could not close question message in team %s: %s", row.team_id, failure.response.get("error")
            )

    async def _finish(self, client: AsyncWebClient, step: Step) -> None:
        row = step.interview
        if step.diagnosis is None or step.map_version is None:
            return
        await _post_map(
            client, step.diagnosis, channel_id=row.channel_id, version=step.map_version.version, thread_ts=row.thread_ts
        )


async def _post_map(
    client: AsyncWebClient, diagnosis: Diagnosis, *, channel_id: str, version: int, thread_ts: str | None = None
) -> None:
    """The map's summary, then its picture in the same thread (the summary's own, when posted at the top)."""
    text, summary = build_map_summary(diagnosis, channel_id=channel_id, version=version)
    posted = await _post(client, channel=channel_id, thread_ts=thread_ts, text=text, blocks=summary)
    png = await render_png_async(diagnosis, title=f"Loop map · version {version}")
    await client.files_upload_v2(
        channel=channel_id,
        thread_ts=thread_ts or posted["ts"],
        file=png,
        filename=f"loop-map-v{version}.png",
        title=f"Loop map v{version}",
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


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """`/flywheel interview` and `/flywheel map`, the interview thread, its buttons and modal, and Home."""
    flow = InterviewSlack(InterviewService(services.db, search=services.knowledge.search))

    async def handle_interview_command(request: CommandRequest) -> None:
        """Start (or with `restart`, start over) the channel's interview."""
        word = request.text.strip().lower()
        if word not in ("", "restart"):
            await request.respond(
                text="Usage: `/flywheel interview` or `/flywheel interview restart`.", response_type="ephemeral"
            )
            return
        await flow.start(
            request.client,
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            restart=word == "restart",
        )

    async def handle_map_command(request: CommandRequest) -> None:
        """Post the channel's current loop map."""
        if not await flow.post_map(request.client, team_id=request.team_id, channel_id=request.channel_id):
            await request.respond(text=build_map_missing(), response_type="ephemeral")

    async def handle_interview_reply(message: IncomingMessage) -> None:
        """A typed reply in an interview thread answers the question currently asked."""
        if message.is_edit or not message.thread_ts:
            return
        async with services.db.session() as session:
            owner = await find_thread(
                session, team_id=message.team_id, channel_id=message.channel_id, thread_ts=message.thread_ts
            )
        if owner is None or not owner.ref_id:
            return
        interview_id = int(owner.ref_id)
        _, state = await flow.interviews.load(team_id=message.team_id, interview_id=interview_id)
        if state.done or state.current is None:
            await message.client.chat_postEphemeral(
                channel=message.channel_id,
                user=message.user_id,
                thread_ts=message.thread_ts,
                text="This interview is finished. Run `/flywheel interview` to update the map.",
            )
            return
        await flow.apply(
            message.client,
            team_id=message.team_id,
            interview_id=interview_id,
            question_id=state.current,
            reply=message.text,
            user_id=message.user_id,
        )

    async def handle_question_button(
        ack: AsyncAck, action: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """A question's button: a choice answers with that choice; back, skip, why, keep, keep all steer."""
        await ack()
        interview_id, question_id, value = blocks.read_button_value(action["value"])
        await flow.apply(
            client,
            team_id=context.team_id or "",
            interview_id=interview_id,
            question_id=question_id,
            reply=blocks.CONTROL_WORDS.get(action["action_id"], value),
            user_id=context.user_id or "",
            message_ts=body.get("container", {}).get("message_ts"),
        )

    async def handle_note_button(
        ack: AsyncAck, action: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """Open the answer modal (a pick plus a free-text note) for the question."""
        await ack()
        interview_id, question_id, _ = blocks.read_button_value(action["value"])
        row, state = await flow.interviews.load(team_id=context.team_id or "", interview_id=interview_id)
        if state.current != question_id:
            record = state.answers.get(question_id)
            await client.chat_postEphemeral(
                channel=row.channel_id,
                user=context.user_id or "",
                thread_ts=row.thread_ts,
                text=blocks.build_stale(record.user_id if record else None),
            )
            return
        question = flow.interviews.script.get(question_id)
        view = blocks.build_answer_modal(
            question,
            interview_id=interview_id,
            channel_id=row.channel_id,
            existing=existing_answer(state, question_id),
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def handle_answer_submitted(
        ack: AsyncAck, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The answer modal: the pick (one, or several) and the optional note."""
        interview_id, question_id, _, picked, note = blocks.read_answer_modal(view)
        if not picked:
            await ack(response_action="errors", errors={blocks.BLOCK_PICK: "Pick at least one answer."})
            return
        await ack()
        question = flow.interviews.script.get(question_id)
        reply: str | list[str] = picked if question.kind is QuestionKind.MULTI else picked[0]
        await flow.apply(
            client,
            team_id=context.team_id or "",
            interview_id=interview_id,
            question_id=question_id,
            reply=reply,
            user_id=context.user_id or "",
            note=note,
        )

    async def handle_start_button(
        ack: AsyncAck, action: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """Home's "update interview" button: start the interview in that channel's thread."""
        await ack()
        await flow.start(
            client, team_id=context.team_id or "", channel_id=action["value"], user_id=context.user_id or ""
        )

    async def home_section(team_id: str, user_id: str, client: AsyncWebClient) -> list[Block]:
        """The maps, and the interviews under way, of the channels this person belongs to."""
        async with services.db.session() as session:
            rows = await latest_maps(session, team_id=team_id)
            running = await active_interviews(session, team_id=team_id)
        membership: dict[str, bool] = {}

        async def is_member(channel_id: str) -> bool:
            if channel_id not in membership:
                try:
                    members = await client.conversations_members(channel=channel_id, limit=1000)
                except SlackApiError:
                    members = {}
                membership[channel_id] = user_id in members.get("members", [])
            return membership[channel_id]

        mine = [
            (row.channel_id, row.version, Diagnosis.model_validate(row.diagnosis))
            for row in rows
            if await is_member(row.channel_id)
        ]
        under_way = [interview.channel_id for interview in running if await is_member(interview.channel_id)]
        return build_home_section(mine, running=under_way)

    routes.add_subcommand("interview", handle_interview_command, usage="interview [restart]")
    routes.add_subcommand("map", handle_map_command, usage="map")
    routes.add_thread_kind(THREAD_KIND, handle_interview_reply)
    routes.home_sections.append(home_section)
    question_buttons = "|".join((rf"{blocks.ACTION_CHOICE}_\d+", *blocks.CONTROL_WORDS))
    app.action(re.compile(f"^({question_buttons})$"))(reporting_errors(handle_question_button))
    app.action(blocks.ACTION_NOTE)(reporting_errors(handle_note_button))
    app.action(blocks.ACTION_START)(reporting_errors(handle_start_button))
    app.view(blocks.VIEW_ANSWER)(reporting_errors(handle_answer_submitted))
