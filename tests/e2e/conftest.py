"""End-to-end set-up: the local Slack, and the production coach connected to it over HTTP or Socket Mode."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import load_settings
from bot.emulator import LocalSlack
from bot.manifest import build_manifest
from bot.runtime import Coach, connected_socket_mode, open_coach, serving_http

TRANSPORTS = ("http", "socket")
CoachFactory = Callable[..., AbstractAsyncContextManager[Coach]]


@pytest.fixture
def clock() -> ManualClock:
    """The clock the local Slack and the coach share (tests move it; real time flows meanwhile)."""
    return ManualClock()


@pytest.fixture
async def slack(clock: ManualClock) -> AsyncIterator[LocalSlack]:
    """A started local Slack that knows the coach's manifest; any problem it saw fails the test."""
    async with LocalSlack(clock=clock, manifest=build_manifest()) as local_slack:
        yield local_slack
        assert local_slack.problems == []


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """Every scenario that takes this fixture runs over HTTP and over Socket Mode."""
    return request.param


@pytest.fixture
def coach_factory(slack: LocalSlack, clock: ManualClock, tmp_path: Path) -> CoachFactory:
    """Start the coach (as `serve` or `run` would) against the local Slack; usable several times (restarts)."""

    @asynccontextmanager
    async def start(
        transport: str = "http", *, data_dir: Path | None = None, **environment: Any
    ) -> AsyncIterator[Coach]:
        settings = load_settings(
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_SIGNING_SECRET=slack.signing_secret,
            SLACK_APP_TOKEN=slack.app_token,
            SLACK_API_URL=slack.api_url,
            FLYWHEEL_DATA_DIR=str(data_dir or tmp_path / "data"),
            **environment,
        )
        async with open_coach(settings, clock=clock) as coach:
            if transport == "http":
                async with serving_http(coach, host="127.0.0.1", port=0) as port:
                    slack.set_request_url(f"http://127.0.0.1:{port}/slack/events")
                    try:
                        yield coach
                        await slack.wait_idle()
                    finally:
                        slack.set_request_url(None)
            else:
                connections = slack.socket_connections
                async with connected_socket_mode(coach, slack.app_token):
                    await slack.wait_for_socket_connection(count=connections + 1)
                    yield coach
                    await slack.wait_idle()

    return start


@pytest.fixture
async def coach(coach_factory: CoachFactory, transport: str) -> AsyncIterator[Coach]:
    """The coach, connected over the transport under test."""
    async with coach_factory(transport) as running:
        yield running
