"""What runs around every request: skipping Slack's redeliveries, and the one place errors are answered."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.errors import CoachError
from bot.services import Services
from bot.store.deliveries import claim_event

logger = logging.getLogger(__name__)

UNEXPECTED_ERROR = (
    "Something went wrong on my side and I couldn't finish that (reference `{ref}`). "
    "Nothing you stored was lost; please try again in a minute."
)


def register_middleware(app: AsyncApp, services: Services) -> None:
    """Install de-duplication of redelivered events and the central error handler."""

    async def skip_redeliveries(body: dict, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:  # noqa: A002
        """Acknowledge an event already handled (same `event_id`) without handling it again."""
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and event_id:
            team_id = body.get("team_id") or ""
            async with services.db.session() as session:
                first_time = await claim_event(session, team_id=team_id, event_id=event_id)
            if not first_time:
                logger.info("skipped redelivered event %s (team %s)", event_id, team_id)
                return BoltResponse(status=200, body="")
        return await next()

    async def handle_error(error: Exception, body: dict, context: AsyncBoltContext) -> None:
        """Turn a failure into an ephemeral note for the person (a stack trace only goes to the log)."""
        if isinstance(error, CoachError):
            text = error.message
            logger.info("coach error for team %s: %s", context.team_id, error.message)
        else:
            ref = uuid.uuid4().hex[:8]
            text = UNEXPECTED_ERROR.format(ref=ref)
            logger.error(
                "unexpected error %s (team %s, channel %s, type %s)",
                ref,
                context.team_id,
                context.channel_id,
                body.get("type") or body.get("command"),
                exc_info=error,
            )
        await _tell_person(context, text)

    app.use(skip_redeliveries)
    app.error(handle_error)


async def _tell_person(context: AsyncBoltContext, text: str) -> None:
    try:
        if context.respond is not None and context.response_url:
            await context.respond(text=text, response_type="ephemeral", replace_original=False)
        elif context.channel_id and context.user_id:
            await context.client.chat_postEphemeral(channel=context.channel_id, user=context.user_id, text=text)
    except SlackApiError as failure:
        logger.warning("could not tell the person about an error: %s", failure.response.get("error"))
