"""Performs the Slack effects interview steps recorded: after each step, and at start-up for a process that died.

Each effect is claimed, performed, then recorded with its message's ts (`InterviewService`). Posts carry the
effect's id in their metadata; an effect taken over from a dead claim first looks for its message in the
channel or thread, so a crash between posting and recording never posts twice. A close effect edits a
message (`chat.update` may safely run twice); the map's picture is looked for by its file name.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import interview as blocks
from bot.blocks.common import Block
from bot.blocks.loop_map import build_map_summary
from bot.errors import CoachError, NotInstalled
from bot.faults import crash_point
from bot.interview.diagnosis import Diagnosis
from bot.interview.diagram import describe, render_png_async
from bot.interview.engine import AnswerRecord
from bot.interview.service import ClaimedEffect, EffectKind, InterviewService
from bot.listeners.errors import channel_unreachable
from bot.listeners.tokens import BotTokens, client_with_token

logger = logging.getLogger(__name__)

EFFECT_EVENT = "flywheel_effect"
"""The message metadata type that carries an effect's id, so a message whose ts was lost is found again."""
FIND_WINDOW = timedelta(seconds=60)
"""Looking for an intro starts this long before its effect was recorded (the coach's and Slack's clocks differ)."""
HISTORY_LIMIT = 200
NOT_IN_CHANNEL = "Invite me to this channel first (`/invite @flywheel-coach`), then try again."


class InterviewEffects:
    """Runs an interview's recorded effects in order, exactly once each."""

    def __init__(self, interviews: InterviewService) -> None:
        self.interviews = interviews

    async def run(self, client: AsyncWebClient, *, team_id: str, interview_id: int) -> None:
        """Perform the interview's effects until none is left (or another process holds the next one)."""
        while (
            claimed := await self.interviews.claim_next_effect(team_id=team_id, interview_id=interview_id)
        ) is not None:
            crash_point(f"effect.{claimed.kind}.claimed")
            try:
                ts = await self._perform(client, claimed)
            except SlackApiError as failure:
                await self.interviews.release_effect(claimed, error=str(failure.response.get("error")))
                if channel_unreachable(failure):
                    raise CoachError(NOT_IN_CHANNEL) from failure
                raise
            crash_point(f"effect.{claimed.kind}.posted")
            await self.interviews.complete_effect(claimed, ts)

    async def recover(self, client: AsyncWebClient, tokens: BotTokens) -> None:
        """At start-up: finish every interview's effects left pending, or claimed by a process that died, each
        with its own workspace's token."""
        for team_id, interview_id in await self.interviews.interviews_with_pending_work():
            try:
                token = await tokens.bot_token(team_id)
            except NotInstalled:
                continue
            try:
                await self.run(client_with_token(client, token), team_id=team_id, interview_id=interview_id)
            except Exception:  # noqa: BLE001  (one interview's failure doesn't stop the others' recovery)
                logger.exception("could not finish interview %s's pending effects (team %s)", interview_id, team_id)

    async def _perform(self, client: AsyncWebClient, claimed: ClaimedEffect) -> str | None:
        """Do one effect in Slack; the ts of the message it posted (None when it posted none)."""
        kind, payload, row = claimed.kind, claimed.payload, claimed.interview
        if kind is EffectKind.CLOSE:
            await self._close(client, claimed)
            return None
        if kind is EffectKind.MAP_PICTURE:
            await self._picture(client, claimed)
            return None
        if claimed.taken_over:
            found = await _find_posted(client, claimed)
            if found is not None:
                return found
        if kind is EffectKind.INTRO:
            text, intro = blocks.build_intro(
                started_by=payload["started_by"], total=payload["total"], base_version=payload["base_version"]
            )
            return await _post(client, claimed, text=text, blocks=intro, thread_ts=None)
        if kind is EffectKind.QUESTION:
            existing = payload["existing"]
            text, question = blocks.build_question(
                self.interviews.script.get(payload["question_id"]),
                interview_id=row.id or 0,
                position=payload["position"],
                total=payload["total"],
                existing=AnswerRecord.model_validate(existing) if existing else None,
                has_previous=payload["has_previous"],
            )
            return await _post(client, claimed, text=text, blocks=question, thread_ts=row.thread_ts)
        diagnosis = await self._diagnosis(claimed)
        if diagnosis is None:
            return None
        text, summary = build_map_summary(diagnosis, channel_id=row.channel_id, version=payload["version"])
        return await _post(client, claimed, text=text, blocks=summary, thread_ts=row.thread_ts)

    async def _close(self, client: AsyncWebClient, claimed: ClaimedEffect) -> None:
        """Replace the answered (or left) question's buttons with what happened, so they can't be pressed again."""
        payload, row = claimed.payload, claimed.interview
        question_ts = payload["message_ts"] or payload["question_ts"]
        if payload["question_effect"] is not None:
            shown = await self.interviews.effect_message(team_id=row.team_id, effect_id=payload["question_effect"])
            question_ts = payload["message_ts"] or shown or question_ts
        if not question_ts:
            return
        question = self.interviews.script.get(payload["question_id"])
        if payload.get("went_back"):
            text, closed = blocks.build_went_back(question, position=payload["position"], total=payload["total"])
        else:
            record = AnswerRecord.model_validate(payload["record"])
            text, closed = blocks.build_answered(
                question, record, position=payload["position"], total=payload["total"], kept=payload["kept"]
            )
        try:
            await client.chat_update(channel=row.channel_id, ts=question_ts, text=text, blocks=closed)
        except SlackApiError as failure:
            logger.warning(
                "could not close question message in team %s: %s", row.team_id, failure.response.get("error")
            )

    async def _picture(self, client: AsyncWebClient, claimed: ClaimedEffect) -> None:
        """The map's picture in the interview's thread, unless a dead process uploaded it already."""
        row, version = claimed.interview, claimed.payload["version"]
        filename = map_filename(version)
        if claimed.taken_over and await _has_file(
            client, channel_id=row.channel_id, thread_ts=row.thread_ts, name=filename
        ):
            return
        diagnosis = await self._diagnosis(claimed)
        if diagnosis is not None:
            await upload_map_picture(
                client, diagnosis, channel_id=row.channel_id, version=version, thread_ts=row.thread_ts or ""
            )

    async def _diagnosis(self, claimed: ClaimedEffect) -> Diagnosis | None:
        row = claimed.interview
        return await self.interviews.map_version(
            team_id=row.team_id, channel_id=row.channel_id, version=claimed.payload["version"]
        )


def map_filename(version: int) -> str:
    """The file name of a map version's picture."""
    return f"loop-map-v{version}.png"


async def upload_map_picture(
    client: AsyncWebClient, diagnosis: Diagnosis, *, channel_id: str, version: int, thread_ts: str
) -> None:
    """Render a map version's picture and upload it into a thread, with alt text that says what it shows."""
    title = f"Loop map · version {version}"
    png = await render_png_async(diagnosis, title=title)
    await client.files_upload_v2(
        channel=channel_id,
        thread_ts=thread_ts,
        file=png,
        filename=map_filename(version),
        title=f"Loop map v{version}",
        alt_txt=describe(diagnosis, title=title),
    )


async def _post(
    client: AsyncWebClient, claimed: ClaimedEffect, *, text: str, blocks: list[Block], thread_ts: str | None
) -> str:
    metadata = {"event_type": EFFECT_EVENT, "event_payload": {"effect": claimed.effect.id}}
    response = await client.chat_postMessage(
        channel=claimed.interview.channel_id, thread_ts=thread_ts, text=text, blocks=blocks, metadata=metadata
    )
    return str(response["ts"])


async def _find_posted(client: AsyncWebClient, claimed: ClaimedEffect) -> str | None:
    """The ts of a message carrying this effect's id: in the thread, or (an intro) at the channel's top level."""
    row = claimed.interview
    if claimed.kind is EffectKind.INTRO:
        oldest = f"{(claimed.effect.created_at - FIND_WINDOW).timestamp():.6f}"
        response = await client.conversations_history(
            channel=row.channel_id, oldest=oldest, include_all_metadata=True, limit=HISTORY_LIMIT
        )
    else:
        response = await client.conversations_replies(
            channel=row.channel_id, ts=row.thread_ts or "", include_all_metadata=True, limit=HISTORY_LIMIT
        )
    for message in response.get("messages") or []:
        if _carries(message, claimed.effect.id):
            return str(message["ts"])
    return None


def _carries(message: dict[str, Any], effect_id: int | None) -> bool:
    metadata = message.get("metadata") or {}
    return (
        metadata.get("event_type") == EFFECT_EVENT and (metadata.get("event_payload") or {}).get("effect") == effect_id
    )


async def _has_file(client: AsyncWebClient, *, channel_id: str, thread_ts: str | None, name: str) -> bool:
    """Whether a file of this name was shared in the thread."""
    response = await client.conversations_replies(channel=channel_id, ts=thread_ts or "", limit=HISTORY_LIMIT)
    return any(
        file.get("name") == name for message in response.get("messages") or [] for file in message.get("files") or []
    )
