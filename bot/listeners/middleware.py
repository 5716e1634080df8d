"""What runs around every request: clean text, skipping Slack's redeliveries, and the error handler of last resort."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.listeners.errors import report_error
from bot.listeners.normalise import normalise_text
from bot.services import Services

logger = logging.getLogger(__name__)


def register_middleware(app: AsyncApp, services: Services) -> None:
    """Install text normalisation, de-duplication of redelivered events and the central error handler."""

    async def skip_redeliveries(body: dict, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:  # noqa: A002
        """Acknowledge an event already handled (same `event_id`) without handling it again."""
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and event_id:
            team_id = body.get("team_id") or ""
            first_time = await services.workspaces.claim_event(team_id=team_id, event_id=event_id)
            if not first_time:
                logger.info("skipped redelivered event %s (team %s)", event_id, team_id)
                return BoltResponse(status=200, body="")
        return await next()

    async def handle_error(error: Exception, body: dict, context: AsyncBoltContext) -> None:
        """Backstop for failures outside the wrapped listeners (events, middleware)."""
        await report_error(error, context=context, body=body)

    app.use(normalise_text)
    app.use(skip_redeliveries)
    app.error(handle_error)
