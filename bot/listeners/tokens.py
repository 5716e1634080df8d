"""Acting in a workspace outside a Slack request (scheduled work, start-up recovery): whose token to use."""

from __future__ import annotations

from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient


class BotTokens(Protocol):
    """Where a workspace's bot token comes from (one fixed token, or the installation store)."""

    async def bot_token(self, team_id: str) -> str:
        """The token to act in `team_id` with; raises NotInstalled when there is none."""
        ...


def client_with_token(client: AsyncWebClient, token: str) -> AsyncWebClient:
    """A Web API client like `client` (same Slack, timeout and retries) acting with `token`."""
    return AsyncWebClient(
        token=token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=client.retry_handlers,
        logger=client.logger,
    )
