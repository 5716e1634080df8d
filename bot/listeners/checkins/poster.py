"""The check-in poster over Slack's Web API: what the dispatcher composed, as Block Kit, in the right channel.

One retry layer: the Web API client (`bot.app.build_web_client`) waits out rate limits and retries server
errors and dropped connections; an error that still comes back is final for this pass and reaches the
dispatcher as `ChannelGone` or `PostFailed`.
"""

from collections.abc import Awaitable
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.blocks.checkins import build_checkin_message, checkin_message_text, paused_text
from bot.checkins.compose import CheckinMessage
from bot.checkins.posting import CHANNEL_GONE, ChannelGone, PostFailed
from bot.errors import NotInstalled
from bot.listeners.tokens import BotTokens

CHECKIN_EVENT = "flywheel_checkin"
"""The message metadata type that carries a check-in's dispatch key, so a message whose ts was lost is found."""
HISTORY_LIMIT = 200


async def _call(call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """The Web API's answer; a refusal becomes the core's ChannelGone or PostFailed."""
    try:
        return await call
    except SlackApiError as error:
        code = str(error.response.get("error"))
        raise (ChannelGone(code) if code in CHANNEL_GONE else PostFailed(code)) from error


class SlackCheckinPoster:
    """Posts check-ins through the Web API, each with its own workspace's token (the dispatcher's `CheckinPoster`)."""

    def __init__(self, client: AsyncWebClient, tokens: BotTokens) -> None:
        self.client = client
        self.tokens = tokens

    async def _token(self, team_id: str) -> str:
        try:
            return await self.tokens.bot_token(team_id)
        except NotInstalled as error:
            raise ChannelGone("not_installed") from error

    async def post_message(
        self, *, team_id: str, channel_id: str, message: CheckinMessage, key: str, thread_ts: str | None = None
    ) -> str:
        """Post a check-in message carrying its dispatch `key` in its metadata; its ts."""
        response = await _call(
            self.client.chat_postMessage(
                token=await self._token(team_id),
                channel=channel_id,
                text=checkin_message_text(message),
                blocks=build_checkin_message(message),
                thread_ts=thread_ts,
                metadata={"event_type": CHECKIN_EVENT, "event_payload": {"key": key}},
            )
        )
        return str(response["ts"])

    async def upload_chart(
        self, *, team_id: str, channel_id: str, thread_ts: str, png: bytes, filename: str, title: str, alt_text: str
    ) -> None:
        """Upload the digest's chart into its thread, with `alt_text` saying what it shows."""
        await _call(
            self.client.files_upload_v2(
                token=await self._token(team_id),
                channel=channel_id,
                thread_ts=thread_ts,
                file=png,
                filename=filename,
                title=title,
                alt_txt=alt_text,
            )
        )

    async def has_file(self, *, team_id: str, channel_id: str, thread_ts: str, filename: str) -> bool:
        """Whether a file of this name was shared in the thread `thread_ts`."""
        response = await _call(
            self.client.conversations_replies(
                token=await self._token(team_id), channel=channel_id, ts=thread_ts, limit=HISTORY_LIMIT
            )
        )
        return any(
            file.get("name") == filename
            for message in response.get("messages") or []
            for file in message.get("files") or []
        )

    async def find_message(
        self, *, team_id: str, channel_id: str, key: str, since: datetime, thread_ts: str | None = None
    ) -> str | None:
        """The ts of a message carrying `key` posted since `since`, in the channel (or the thread `thread_ts`)."""
        oldest = f"{since.timestamp():.6f}"
        token = await self._token(team_id)
        if thread_ts is None:
            call = self.client.conversations_history(
                token=token, channel=channel_id, oldest=oldest, include_all_metadata=True, limit=HISTORY_LIMIT
            )
        else:
            call = self.client.conversations_replies(
                token=token,
                channel=channel_id,
                ts=thread_ts,
                oldest=oldest,
                include_all_metadata=True,
                limit=HISTORY_LIMIT,
            )
        response = await _call(call)
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == CHECKIN_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return str(message["ts"])
        return None

    async def tell_paused(self, *, team_id: str, user_id: str, channel_id: str, reason: str) -> None:
        """A DM to the person who set the channel's check-ins up: paused, why, and how to restart."""
        await _call(
            self.client.chat_postMessage(
                token=await self._token(team_id), channel=user_id, text=paused_text(channel_id, reason)
            )
        )
