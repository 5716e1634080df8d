"""The Bolt app: one factory that wires the Web API client, middleware, listeners and the error handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import cast

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.installations import build_oauth
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
    """Build the coach's AsyncApp (HTTP or Socket Mode decide how it is served, not how it is built).

    With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET and no bot token, any workspace can install it: Bolt's OAuth
    flow serves the install pages and each request acts with its own workspace's token.
    """
    client = client or build_web_client(settings)
    oauth = build_oauth(settings, services.db, client) if settings.multi_workspace else None
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=bool(settings.slack_signing_secret),
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("slack_bolt.coach"),  # Bolt's lines quote bodies: bot.logs filters them as a library's
        oauth_flow=oauth.flow if oauth else None,
        authorize=cast(Callable[..., Awaitable[AuthorizeResult]], oauth.authorize) if oauth else None,
        installation_store=oauth.installation_store if oauth else None,
        installation_store_bot_only=True if oauth else None,
    )
    register_middleware(app, services)
    register_listeners(app, services)
    return app
