"""Installing the coach in many workspaces: Bolt's OAuth flow, the installation store, each workspace's token.

In multi-workspace mode (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, no SLACK_BOT_TOKEN) Bolt serves
`/slack/install` and `/slack/oauth_redirect`, exchanges the code at SLACK_API_URL and saves the installation in
the project's database (slack_sdk's SQLAlchemy stores, on tables the project's migrations create). Listeners
get their workspace's token from Bolt's authorize; scheduled work and the CLI ask `WorkspaceTokens`.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.help import build_welcome, welcome_text
from bot.config import Settings
from bot.errors import NotInstalled
from bot.manifest import APP_NAME, BOT_SCOPES, COMMAND
from bot.store.db import Database
from bot.store.models.installations import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE
from bot.store.workspaces import enterprise_of, lock_bot, remember_workspace, save_rotated_bot

logger = logging.getLogger(__name__)

STATE_EXPIRATION_SECONDS = 600
# Bolt and the token lookup below refresh a rotating token this long before it expires.
TOKEN_REFRESH_MINUTES = 120


def authorization_url(api_url: str) -> str:
    """Slack's "Allow" page beside its Web API: https://slack.com/oauth/v2/authorize for https://slack.com/api/."""
    return urljoin(api_url, "../oauth/v2/authorize")


def build_installation_store(settings: Settings, db: Database) -> AsyncSQLAlchemyInstallationStore:
    """slack_sdk's installation store on the project's database (the tables come from our migrations)."""
    return AsyncSQLAlchemyInstallationStore(
        client_id=settings.slack_client_id or "",
        engine=db.engine,
        installations_table_name=INSTALLATIONS_TABLE,
        bots_table_name=BOTS_TABLE,
        logger=logger,
    )


@dataclass(frozen=True)
class OAuthParts:
    """What Bolt needs for multi-workspace mode: the install flow, the installation store, the authorize."""

    flow: AsyncOAuthFlow
    authorize: WorkspaceAuthorize
    installation_store: AsyncSQLAlchemyInstallationStore


def build_oauth(settings: Settings, db: Database, client: AsyncWebClient) -> OAuthParts:
    """Bolt's OAuth flow and authorize, both talking to SLACK_API_URL through `client`."""
    installation_store = build_installation_store(settings, db)
    state_store = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS, engine=db.engine, table_name=OAUTH_STATES_TABLE, logger=logger
    )
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=sorted(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        authorization_url=authorization_url(settings.slack_api_url),
        installation_store=installation_store,
        installation_store_bot_only=True,
        state_store=state_store,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        token_rotation_expiration_minutes=TOKEN_REFRESH_MINUTES,
        callback_options=AsyncCallbackOptions(success=_welcome(client, db), failure=_install_failed),
        logger=logger,
    )
    flow = AsyncOAuthFlow(client=client, logger=logger, settings=oauth_settings)
    tokens = WorkspaceTokens.for_settings(settings, db, client)
    return OAuthParts(flow=flow, authorize=WorkspaceAuthorize(tokens), installation_store=installation_store)


def _welcome(client: AsyncWebClient, db: Database) -> Callable[[AsyncSuccessArgs], Awaitable[BoltResponse]]:
    """The success callback: remember the workspace, welcome the installer in a DM, say what to do next."""

    async def installed(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        if installation.team_id:
            async with db.session() as session:
                await remember_workspace(
                    session,
                    team_id=installation.team_id,
                    name=installation.team_name,
                    enterprise_id=installation.enterprise_id,
                )
        try:
            await client.chat_postMessage(
                token=installation.bot_token,
                channel=installation.user_id,
                text=welcome_text(command=COMMAND),
                blocks=build_welcome(command=COMMAND),
            )
        except SlackApiError as error:
            logger.warning("no welcome DM in team %s: %s", installation.team_id, error.response.get("error"))
        logger.info("installed in team %s (enterprise %s)", installation.team_id, installation.enterprise_id)
        where = installation.team_name or installation.enterprise_name or "your workspace"
        return _page(
            200,
            f"{APP_NAME} is installed in {where}",
            [
                "Next: invite the coach to a channel (<code>/invite @flywheel-coach</code>) and mention it with "
                "a question, or open its Messages tab in Slack.",
                f"<code>{COMMAND} interview</code> maps your team's data loop; <code>{COMMAND} checkins on</code> "
                f"starts weekly check-ins; <code>{COMMAND} help</code> lists the rest.",
                "I sent you a welcome message in Slack. Removing the app from the workspace deletes everything "
                "the coach stored for it.",
            ],
        )

    return installed


async def _install_failed(args: AsyncFailureArgs) -> BoltResponse:
    """The install did not complete: say why in words and how to try again."""
    logger.warning("an install failed: %s", args.reason)
    reasons = {
        "invalid_browser": "the install was started in another browser (or its cookie expired)",
        "invalid_state": "the install link expired or was already used",
        "missing_code": "Slack did not send back an authorisation code",
        "access_denied": "the install was cancelled in Slack",
        "storage_error": "the installation could not be saved",
    }
    reason = reasons.get(args.reason, f"Slack answered {args.reason!r}")
    return _page(
        args.suggested_status_code,
        f"{APP_NAME} was not installed",
        [
            f"The install did not complete: {html.escape(reason)}.",
            'Start again from <a href="/slack/install">Add to Slack</a>.',
        ],
    )


def _page(status: int, title: str, paragraphs: list[str]) -> BoltResponse:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    document = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return BoltResponse(status=status, body=document, headers={"Content-Type": "text/html; charset=utf-8"})


class WorkspaceTokens:
    """Each workspace's bot token, for Bolt's per-request authorize and for work no request started.

    Single-workspace mode has one token for its one workspace. In multi-workspace mode the installation store
    has one per workspace (or one per Enterprise Grid organisation for an org-wide install). A rotating token
    near its expiry is refreshed at SLACK_API_URL while the workspace's bot row is locked in the database:
    Slack's refresh tokens work once, so two requests or two replicas must not both spend the same one.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        db: Database | None = None,
        installation_store: AsyncInstallationStore | None = None,
        rotator: AsyncTokenRotator | None = None,
    ) -> None:
        self.token = token
        self.db = db
        self.installation_store = installation_store
        self.rotator = rotator

    @classmethod
    def for_settings(cls, settings: Settings, db: Database, client: AsyncWebClient) -> WorkspaceTokens:
        """The lookup the settings' mode calls for."""
        if not settings.multi_workspace:
            return cls(token=settings.slack_bot_token)
        return cls(
            db=db,
            installation_store=build_installation_store(settings, db),
            rotator=AsyncTokenRotator(
                client_id=settings.slack_client_id or "",
                client_secret=settings.slack_client_secret or "",
                client=client,
            ),
        )

    async def bot_token(self, team_id: str) -> str:
        """The bot token to act in `team_id` with; NotInstalled when the coach has none there."""
        if self.installation_store is None or self.db is None:
            if self.token is None:
                raise NotInstalled(team_id)
            return self.token
        async with self.db.session() as session:
            enterprise_id = await enterprise_of(session, team_id=team_id)
        bot = await self.bot(team_id=team_id, enterprise_id=enterprise_id)
        if bot is None or not bot.bot_token:
            raise NotInstalled(team_id)
        return bot.bot_token

    async def bot(self, *, team_id: str | None, enterprise_id: str | None) -> Bot | None:
        """The workspace's (or its organisation's) installed bot, its token fresh; None when not installed."""
        if self.installation_store is None:
            return None
        bot = await self.installation_store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None and enterprise_id is not None:
            bot = await self.installation_store.async_find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        if bot is None or not _expiring(bot):
            return bot
        return await self._rotate(bot)

    async def _rotate(self, bot: Bot) -> Bot:
        assert self.db is not None and self.rotator is not None
        async with self.db.session() as session:
            # The first to lock the row refreshes; whoever waited finds the fresh token and spends nothing.
            current = await lock_bot(session, bot_token=bot.bot_token or "")
            if current is None:
                found = await self.installation_store.async_find_bot(  # type: ignore[union-attr]
                    enterprise_id=bot.enterprise_id,
                    team_id=bot.team_id,
                    is_enterprise_install=bot.is_enterprise_install,
                )
                return found or bot
            rotated = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=TOKEN_REFRESH_MINUTES
            )
            if rotated is None:
                return bot
            await save_rotated_bot(
                session,
                row_id=current,
                bot_token=rotated.bot_token or "",
                refresh_token=rotated.bot_refresh_token,
                expires_at=rotated.bot_token_expires_at,
            )
        logger.info("refreshed the bot token of team %s", bot.team_id or bot.enterprise_id)
        return rotated


def _expiring(bot: Bot) -> bool:
    if bot.bot_refresh_token is None or bot.bot_token_expires_at is None:
        return False
    return bot.bot_token_expires_at - time.time() < TOKEN_REFRESH_MINUTES * 60


class WorkspaceAuthorize(AsyncAuthorize):
    """Bolt's authorize for multi-workspace mode: each request gets its workspace's bot, token fresh."""

    def __init__(self, tokens: WorkspaceTokens) -> None:
        super().__init__()
        self.tokens = tokens

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = await self.tokens.bot(team_id=team_id, enterprise_id=enterprise_id)
        if bot is None:
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=team_id or bot.team_id,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )
