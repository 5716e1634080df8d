"""The App Home tab (what the coach is and each feature's section) and the Messages tab opening."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import Block
from bot.blocks.home import build_home
from bot.listeners.router import Routes
from bot.services import Services


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """Publish the Home tab when a person opens it; hand the Messages tab to the conversation feature."""

    async def handle_app_home_opened(event: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        """Render the tab the person opened."""
        user_id = event.get("user", "")
        team_id = context.team_id or ""
        if event.get("tab") == "messages":
            if routes.messages_tab_opened is not None:
                await routes.messages_tab_opened(team_id, user_id, event.get("channel", ""), client)
            return
        blocks: list[Block] = []
        for section in routes.home_sections:
            blocks.extend(await section(team_id, user_id, client))
        await client.views_publish(user_id=user_id, view=build_home(feature_blocks=blocks))

    app.event("app_home_opened")(handle_app_home_opened)
