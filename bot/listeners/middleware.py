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


EVENT_TEXT_FIELDS = ("type", "user", "channel", "ts", "thread_ts", "text", "channel_type", "tab", "subtype", "bot_id")
"""Event fields the listeners read as text: Slack sends each as a string when it sends it at all."""


def well_formed_event(event: object) -> bool:
    """Whether an event is an object whose text fields are strings (or absent)."""
    if not isinstance(event, dict):
        return False
    return all(event.get(field) is None or isinstance(event.get(field), str) for field in EVENT_TEXT_FIELDS)


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

    async def ignore_misshapen_events(body: dict, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:  # noqa: A002
        """Acknowledge, and drop, an event whose fields are not the strings Slack sends (a hand-made request)."""
        if body.get("type") == "event_callback" and not well_formed_event(body.get("event")):
            logger.warning(
                "ignored a misshapen event (team %s)",
                body.get("team_id") if isinstance(body.get("team_id"), str) else "?",
            )
            return BoltResponse(status=200, body="")
        return await next()

    known_enterprise_teams: set[str] = set()

    async def remember_enterprise(body: dict, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:  # noqa: A002
        """Keep which Enterprise Grid organisation a workspace belongs to, so scheduled work finds the org-wide
        installation's token for it (its installation row names the organisation, not the workspace)."""
        team_id, enterprise_id = _team_and_enterprise(body)
        if team_id and enterprise_id and team_id not in known_enterprise_teams:
            await services.workspaces.remember(team_id=team_id, enterprise_id=enterprise_id)
            known_enterprise_teams.add(team_id)
        return await next()

    async def handle_error(error: Exception, body: dict, context: AsyncBoltContext) -> None:
        """Backstop for failures outside the wrapped listeners (events, middleware)."""
        await report_error(error, context=context, body=body)

    app.use(normalise_text)
    app.use(ignore_misshapen_events)
    app.use(skip_redeliveries)
    app.use(remember_enterprise)
    app.error(handle_error)


def _team_and_enterprise(body: dict) -> tuple[str | None, str | None]:
    """The workspace and organisation a request comes from (events, commands and interactions say it differently)."""
    team = body.get("team")
    team_id = body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)
    enterprise = body.get("enterprise")
    enterprise_id = body.get("enterprise_id") or (enterprise.get("id") if isinstance(enterprise, dict) else None)
    return (team_id if isinstance(team_id, str) else None, enterprise_id if isinstance(enterprise_id, str) else None)
