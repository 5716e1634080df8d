"""How the dispatcher reaches Slack: a small interface the Slack layer implements, and the failures it reports.

Every method takes the workspace (`team_id`), so an implementation can pick that workspace's token per call.
Retrying rate limits, server errors and dropped connections is the implementation's job (its Web API client
does it); what reaches the dispatcher is final for this pass.
"""

from datetime import datetime
from typing import Protocol

from bot.checkins.compose import CheckinMessage

CHANNEL_GONE = {
    "channel_not_found": "the channel can no longer be found",
    "not_in_channel": "the coach is no longer a member of the channel",
    "is_archived": "the channel was archived",
    "not_installed": "the coach is no longer installed in the workspace",
    "token_revoked": "the coach's access to the workspace was revoked",
    "account_inactive": "the coach's access to the workspace was revoked",
}
"""Slack's errors that mean a channel takes no more messages, and how the paused schedule explains each."""


class PostFailed(Exception):
    """Slack refused a call; `code` is its error (`ratelimited` once the client's retries ran out, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ChannelGone(PostFailed):
    """Slack will not take messages for this channel any more (one of `CHANNEL_GONE`)."""

    @property
    def reason(self) -> str:
        """Why, in words for the person who set the check-ins up."""
        return CHANNEL_GONE[self.code]


class CheckinPoster(Protocol):
    """Posting check-ins to Slack; each method raises ChannelGone or PostFailed when Slack refuses."""

    async def post_message(
        self, *, team_id: str, channel_id: str, message: CheckinMessage, key: str, thread_ts: str | None = None
    ) -> str:
        """Post a check-in message carrying its dispatch `key` (in the thread `thread_ts`, if given); its ts."""
        ...

    async def upload_chart(
        self, *, team_id: str, channel_id: str, thread_ts: str, png: bytes, filename: str, title: str, alt_text: str
    ) -> None:
        """Upload the digest's chart into its thread, with `alt_text` saying what it shows."""
        ...

    async def has_file(self, *, team_id: str, channel_id: str, thread_ts: str, filename: str) -> bool:
        """Whether a file of this name was shared in the thread `thread_ts` (a dead process's chart)."""
        ...

    async def find_message(
        self, *, team_id: str, channel_id: str, key: str, since: datetime, thread_ts: str | None = None
    ) -> str | None:
        """The ts of a message carrying `key` posted since `since`, in the channel (or the thread `thread_ts`)."""
        ...

    async def tell_paused(self, *, team_id: str, user_id: str, channel_id: str, reason: str) -> None:
        """Tell the person who set the channel's check-ins up that they are paused, and why."""
        ...
