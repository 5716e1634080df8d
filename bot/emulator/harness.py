"""Connecting a Bolt app to the local Slack over either transport, the way production serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_web_client
from bot.config import load_settings
from bot.emulator.server import LocalSlack

Transport = Literal["http", "socket"]
TRANSPORTS: tuple[Transport, ...] = ("http", "socket")
EVENTS_PATH = "/slack/events"


def web_client(slack: LocalSlack, *, timeout: int = 5) -> AsyncWebClient:
    """The coach's own Web API client (429, 5xx and connection retries) aimed at the local Slack."""
    return build_web_client(
        load_settings(SLACK_BOT_TOKEN=slack.bot_token, SLACK_API_URL=slack.api_url), timeout=timeout
    )


@asynccontextmanager
async def serving_http(slack: LocalSlack, web_app: web.Application, path: str = EVENTS_PATH) -> AsyncIterator[str]:
    """Serve an aiohttp app (e.g. `app.web_app()`) on 127.0.0.1, free port; the local Slack posts to it."""
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}{path}"
    slack.set_request_url(url)
    try:
        yield url
    finally:
        slack.set_request_url(None)
        await runner.cleanup()


@asynccontextmanager
async def socket_mode(slack: LocalSlack, app: AsyncApp) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect the app with the real AsyncSocketModeHandler (apps.connections.open, then the WebSocket)."""
    handler = AsyncSocketModeHandler(app, app_token=slack.app_token)
    made = slack.socket_connections
    await handler.connect_async()
    try:
        await slack.wait_for_socket_connection(count=made + 1)
        yield handler
    finally:
        await handler.close_async()


@asynccontextmanager
async def connected(
    slack: LocalSlack, app: AsyncApp, transport: Transport, web_app: web.Application | None = None
) -> AsyncIterator[None]:
    """Connect `app` over `transport` until the block exits (HTTP serves `web_app` or `app.web_app()`)."""
    if transport == "http":
        async with serving_http(slack, web_app or app.web_app(path=EVENTS_PATH)):
            yield
    else:
        async with socket_mode(slack, app):
            yield
