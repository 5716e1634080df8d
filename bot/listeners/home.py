"""The App Home tab (what the coach is and each feature's section) and the Messages tab opening."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import Block
from bot.blocks.home import build_home
from bot.listeners.context import actor_of
from bot.listeners.router import Routes
from bot.services import Services

MESSAGES_TAB = "messages"


class HomeSlack:
    """Publishes the Home tab from every feature's section; hands the Messages tab to the conversation feature."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes

    async def handle_app_home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """Render the tab the person opened."""
        actor = actor_of(context, body)
        if event.get("tab") == MESSAGES_TAB:
            if self.routes.messages_tab_opened is not None:
                await self.routes.messages_tab_opened(actor.team_id, actor.user_id, actor.channel_id, client)
            return
        sections: list[Block] = []
        for section in self.routes.home_sections:
            sections.extend(await section(actor.team_id, actor.user_id, client))
        await client.views_publish(user_id=actor.user_id, view=build_home(feature_blocks=sections))


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """Publish the Home tab when a person opens it."""
    app.event("app_home_opened")(HomeSlack(routes).handle_app_home_opened)
