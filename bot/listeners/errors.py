"""The one place a failure becomes a short private note for the person (and a log line with a reference)."""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot.blocks.common import escape
from bot.errors import CoachError

logger = logging.getLogger(__name__)

Listener = Callable[..., Awaitable[None]]

UNEXPECTED_ERROR = (
    "Something went wrong on my side and I couldn't finish that (reference `{ref}`). "
    "Nothing you stored was lost; please try again in a minute."
)
CANNOT_POST_HERE = (
    "I can't post in this conversation: invite me to the channel (`/invite @flywheel-coach`) "
    "or ask me in a direct message."
)

_PLAIN_WORD = re.compile(r"/?[a-z_]{1,40}")
"""A request type or command name as Slack sends them (anything else is someone's text, not logged)."""

_CHANNEL_UNREACHABLE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
"""Web API errors meaning the coach can't post in a channel until someone invites it (or unarchives it)."""


def channel_unreachable(failure: SlackApiError) -> bool:
    """Whether a failed post means the coach can't post in that channel at all."""
    return failure.response.get("error") in _CHANNEL_UNREACHABLE


async def report_error(error: Exception, *, context: AsyncBoltContext, body: dict[str, Any]) -> None:
    """Tell the person what went wrong: a domain error's own line, or a reference to the logged failure."""
    if isinstance(error, CoachError):
        text = escape(error.message)  # it may quote what the person typed
        logger.info("coach error for team %s: %s", context.team_id, type(error).__name__)  # its message quotes input
    elif isinstance(error, SlackApiError) and channel_unreachable(error):
        text = CANNOT_POST_HERE  # a state of the workspace, not a fault of the coach: no traceback
        logger.warning(
            "cannot post in channel %s (team %s): %s", context.channel_id, context.team_id, error.response.get("error")
        )
    else:
        ref = uuid.uuid4().hex[:8]
        text = UNEXPECTED_ERROR.format(ref=ref)
        logger.error(
            "unexpected error %s (team %s, channel %s, request %s)",
            ref,
            context.team_id,
            context.channel_id,
            request_kind(body),
            exc_info=error,
        )
    await _tell_person(context, body, text)


def request_kind(body: dict[str, Any]) -> str:
    """What kind of request this was, for a log line: its type or command, when that is a plain word."""
    kind = body.get("type") or body.get("command")
    return kind if isinstance(kind, str) and _PLAIN_WORD.fullmatch(kind) else "?"


def reporting_errors(listener: Listener) -> Listener:
    """Wrap a listener that acknowledges (command, action, view) so its failures are reported here.

    Bolt discards a listener's ack when the listener raises right after `ack()`: Slack then waits 3 s
    and shows the person an error. Catching the failure inside the listener keeps the ack and lets
    `report_error` say what happened.
    """
    wanted = list(inspect.signature(listener).parameters)  # a bound method's `self` is not listed

    async def run(
        ack: AsyncAck,
        body: dict,
        client: Any,
        context: AsyncBoltContext,
        logger: logging.Logger,
        respond: Any,
        say: Any,
        action: Any,
        view: Any,
        command: Any,
        payload: Any,
    ) -> None:
        available = locals()
        try:
            await listener(**{name: available[name] for name in wanted})
        except Exception as error:  # noqa: BLE001 (every failure is reported to the person and logged)
            if ack.response is None:
                await ack()
            await report_error(error, context=context, body=body)

    run.__name__ = listener.__name__
    run.__qualname__ = listener.__qualname__
    run.__doc__ = listener.__doc__
    return run


async def _tell_person(context: AsyncBoltContext, body: dict[str, Any], text: str) -> None:
    user_id = context.user_id
    channel_id = context.channel_id or (body.get("container") or {}).get("channel_id")
    try:
        if context.response_url and context.respond is not None:
            await context.respond(text=text, response_type="ephemeral", replace_original=False)
        elif channel_id and user_id:
            await context.client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
        elif user_id:
            await context.client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as failure:
        logger.warning("could not tell the person about an error: %s", failure.response.get("error"))
