"""A workspace leaving: `app_uninstalled`, or `tokens_revoked` for the bot, deletes everything kept for it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.listeners.router import Routes
from bot.services import Services

logger = logging.getLogger(__name__)


class LifecycleSlack:
    """Deletes a workspace's data when the coach leaves it, through the same path as `workspace delete`."""

    def __init__(self, app: AsyncApp, services: Services) -> None:
        self.services = services
        # In multi-workspace mode Bolt's own listeners remove the installation's tokens from the installation store.
        self._forget_uninstalled = app.default_app_uninstalled_event_listener() if app.installation_store else None
        self._forget_revoked = app.default_tokens_revoked_event_listener() if app.installation_store else None

    async def handle_app_uninstalled(
        self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """The app was removed from a workspace (or an Enterprise Grid organisation): forget all of it."""
        if self._forget_uninstalled is not None:
            await self._forget_uninstalled(context=context)
        await self._leave(body)

    async def handle_tokens_revoked(
        self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """Tokens were revoked: without its bot token the coach has left the workspace, so forget all of it."""
        if self._forget_revoked is not None:
            await self._forget_revoked(event=event, context=context)
        if (event.get("tokens") or {}).get("bot"):
            await self._leave(body)

    async def _leave(self, body: dict[str, Any]) -> None:
        team_id = body.get("team_id")
        enterprise_id = body.get("enterprise_id")
        if body.get("is_enterprise_install") and enterprise_id and not _workspace_scoped(body):
            counts = await self.services.workspaces.delete_enterprise(enterprise_id=enterprise_id)
        elif team_id:
            counts = await self.services.workspaces.delete(team_id=team_id)
        else:
            return
        logger.info("left team %s (enterprise %s): deleted %s rows", team_id, enterprise_id, sum(counts.values()))


def _workspace_scoped(body: dict[str, Any]) -> bool:
    """Whether an enterprise event is about one workspace of the organisation rather than the whole of it."""
    authorizations = body.get("authorizations") or []
    return bool(authorizations) and not authorizations[0].get("is_enterprise_install", False)


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """Delete a workspace's data when the coach is uninstalled or loses its bot token there."""
    lifecycle = LifecycleSlack(app, services)
    app.event("app_uninstalled")(lifecycle.handle_app_uninstalled)
    app.event("tokens_revoked")(lifecycle.handle_tokens_revoked)
