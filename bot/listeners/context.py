"""Who is acting, and where: read once from Bolt's context (and the payload where Bolt leaves a gap)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext


@dataclass(frozen=True)
class Actor:
    """The person behind a request, their workspace, and the conversation it came from (empty when none)."""

    team_id: str
    user_id: str
    channel_id: str
    thread_ts: str | None = None


def actor_of(context: AsyncBoltContext, body: dict[str, Any]) -> Actor:
    """The acting person of any request: command, event, button click (in a message or an ephemeral), modal."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    team = body.get("team") or {}
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    return Actor(
        team_id=context.team_id or team.get("id") or body.get("team_id") or user.get("team_id") or "",
        user_id=context.user_id or user.get("id") or body.get("user_id") or "",
        channel_id=(
            context.channel_id or channel.get("id") or container.get("channel_id") or body.get("channel_id") or ""
        ),
        thread_ts=message.get("thread_ts") or container.get("thread_ts"),
    )
