"""Running the coach: services and app built together, background work started and stopped with them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.internals import parse_body

from bot.app import create_app
from bot.checkins.scheduler import Scheduler
from bot.clock import Clock
from bot.config import Settings
from bot.installations import WorkspaceTokens
from bot.listeners.answers import AnswerSlack
from bot.listeners.checkins.poster import SlackCheckinPoster
from bot.listeners.interview_effects import InterviewEffects
from bot.services import Services, build_services

logger = logging.getLogger(__name__)


@dataclass
class Coach:
    """A running coach: its services, its Bolt app, and the background tasks it owns."""

    settings: Settings
    services: Services
    app: AsyncApp
    tasks: list[asyncio.Task] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def start_background(self) -> None:
        """Index the material on first start, finish what a dead process left, start scheduled work; then ready."""
        await self.services.knowledge.ensure_indexed(self.settings.resolved_knowledge_dir)
        tokens = WorkspaceTokens.for_settings(self.settings, self.services.db, self.app.client)
        await InterviewEffects(self.services.interview).recover(self.app.client, tokens)
        await AnswerSlack(self.services.answers, self.services.interview).recover(self.app.client, tokens)
        scheduler = Scheduler(self.services.checkins, self.services.clock)
        poster = SlackCheckinPoster(self.app.client, tokens)
        self.tasks.append(asyncio.create_task(scheduler.run(poster), name="checkin-scheduler"))
        self.ready.set()

    async def stop_background(self) -> None:
        """Cancel scheduled work and wait for it to stop."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()


@asynccontextmanager
async def open_coach(settings: Settings, *, clock: Clock | None = None, start: bool = True) -> AsyncIterator[Coach]:
    """Build the coach (migrating the database), start its background work, and close it all on exit."""
    async with await build_services(settings, clock=clock) as services:
        coach = Coach(settings=settings, services=services, app=create_app(settings, services))
        try:
            if start:
                await coach.start_background()
            yield coach
        finally:
            await coach.stop_background()


@web.middleware
async def refuse_malformed_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 400 to a POST Bolt cannot read, instead of a 500 and a traceback.

    Bolt parses the body before verifying the signature and assumes Slack's shapes: an object, with
    `user`, `channel`, `team` and the like as strings or objects. Anything else fails inside Bolt while it
    builds the request (listeners' failures never reach here: Bolt reports them to the error handler).
    """
    if request.method != "POST":
        return await handler(request)
    raw = await request.read()
    try:
        parsed = parse_body(raw.decode("utf-8"), request.content_type)
        if isinstance(parsed, dict):
            return await handler(request)
    except (ValueError, UnicodeDecodeError, TypeError, AttributeError, KeyError, IndexError) as error:
        logger.warning("refused a request body Bolt cannot read on %s (%s)", request.path, type(error).__name__)
    else:
        logger.warning("refused a request body that is not an object on %s", request.path)
    return web.json_response({"error": "malformed request body"}, status=400)


def build_web_app(coach: Coach, *, path: str = "/slack/events") -> web.Application:
    """The HTTP front door: Slack's requests at `path`, and `/healthz` (200 once ready, 503 before)."""
    web_app = coach.app.web_app(path=path)
    web_app.middlewares.append(refuse_malformed_bodies)

    async def healthz(_request: web.Request) -> web.Response:
        if coach.ready.is_set():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "starting"}, status=503)

    web_app.router.add_get("/healthz", healthz)
    return web_app


@asynccontextmanager
async def serving_http(coach: Coach, *, host: str, port: int) -> AsyncIterator[int]:
    """Serve the coach over HTTP until the block exits; yields the bound port (0 picks a free one)."""
    runner = web.AppRunner(build_web_app(coach), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=port)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def connected_socket_mode(coach: Coach, app_token: str) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect the coach to Slack over Socket Mode until the block exits."""
    handler = AsyncSocketModeHandler(coach.app, app_token=app_token)
    await handler.connect_async()
    try:
        yield handler
    finally:
        await handler.close_async()
