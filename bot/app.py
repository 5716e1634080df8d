"""The Bolt app: one factory that wires the Web API client, middleware, listeners and the error handler."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.listeners import register_listeners
from bot.listeners.middleware import register_middleware
from bot.services import Services

logger = logging.getLogger(__name__)


def build_web_client(settings: Settings, *, timeout: int = 15) -> AsyncWebClient:
    """The Web API client: aimed at SLACK_API_URL, retrying rate limits, server errors and lost connections."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(settings: Settings, services: Services, client: AsyncWebClient | None = None) -> AsyncApp:
    """Build the coach's AsyncApp (HTTP or Socket Mode decide how it is served, not how it is built)."""
    app = AsyncApp(
        client=client or build_web_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=bool(settings.slack_signing_secret),
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("slack_bolt.coach"),  # Bolt's lines quote bodies: bot.logs filters them as a library's
    )
    register_middleware(app, services)
    register_listeners(app, services)
    return app
