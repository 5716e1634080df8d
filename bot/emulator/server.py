"""`LocalSlack`: the local Slack stand-in, served on 127.0.0.1 with a free port.

async with LocalSlack(manifest=build_manifest()) as slack:
    ana = slack.add_user("ana", tz="Europe/Berlin")
    ...  # connect the app (see bot.emulator.harness), then act as ana and wait on the state

It models a Slack with many workspaces and one app (one app id, signing secret, client id and secret).
`LocalSlack` itself is the default workspace, with the app pre-installed; `add_workspace` adds more, where
the app arrives through OAuth (`consent`, then the app's `oauth.v2.access`) and leaves with `uninstall`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.emulator import api_chat, api_files, events
from bot.emulator.checks import Manifest
from bot.emulator.delivery import ACK_DEADLINE_SECONDS, DeliveryEngine, sign
from bot.emulator.faults import Faults
from bot.emulator.humans import Human, HumanActionError
from bot.emulator.installs import TOKEN_LIFETIME, BotIdentity, Credentials, Grant, Installation, PendingCode
from bot.emulator.journal import ApiCall, Delivery, Journal
from bot.emulator.responses import answer_response_url, read_response_body
from bot.emulator.socket_hub import SocketHub
from bot.emulator.team import DefaultWorkspace, Team
from bot.emulator.waiting import Notifier, WaitTimeout
from bot.emulator.web_api import ApiRouter, AppHandler, Params, WebApi
from bot.emulator.workspace import TRIGGER_TTL_SECONDS, Enterprise, IdSource, SlackError, User, Workspace

logger = logging.getLogger("bot.emulator")

# How often scheduled messages are checked against the (movable) clock.
SCHEDULER_TICK_SECONDS = 0.1
# Coroutines that live as long as a connection or the process, not a piece of work: wait_idle doesn't wait
# for them (aiohttp's connection loops and WebSocket handlers, the Socket Mode client's loops, our ticker).
_CONNECTION_TASKS = frozenset(
    {
        "RequestHandler.start",
        "RequestHandler._handle_request",
        "SocketModeClient.monitor_current_session",
        "SocketModeClient.receive_messages",
        "AsyncBaseSocketModeClient.process_messages",
        "LocalSlack._ticker",
    }
)

DEFAULT_BOT_NAME = "coach"
__all__ = ["DefaultWorkspace", "LocalSlack"]


class LocalSlack(Team):
    """A stateful Slack stand-in: Web API, OAuth, signed HTTP delivery, Socket Mode, journal, checks, faults.

    As a `Team` it is the default workspace (the app pre-installed), so single-workspace tests need nothing else.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        signing_secret: str | None = None,
        manifest: dict[str, Any] | None = None,
        journal_path: Path | str | None = None,
        team_name: str = "Flywheel Local",
        team_domain: str = "flywheel-local",
        team_id: str | None = None,
        ack_deadline: float = ACK_DEADLINE_SECONDS,
        event_retries: int = 0,
        trigger_ttl: float = TRIGGER_TTL_SECONDS,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_rotation: bool = False,
        token_lifetime: timedelta = TOKEN_LIFETIME,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.signing_secret = signing_secret or secrets.token_hex(16)
        self.client_id = client_id or f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}"
        self.client_secret = client_secret or secrets.token_hex(16)
        self.token_rotation = token_rotation
        self.token_lifetime = token_lifetime
        self.trigger_ttl = trigger_ttl
        self.notifier = Notifier()
        self._problems: list[str] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._task_baseline: set[asyncio.Task[Any]] | None = None
        self._hooks_in_flight = 0
        self._runner: web.AppRunner | None = None
        self._ticker_task: asyncio.Task[None] | None = None
        self._port: int | None = None
        self.journal = Journal(path=journal_path, on_change=self.notifier.notify)
        self.manifest = Manifest(manifest)
        self.ids = IdSource()
        self.credentials = Credentials(self.clock)
        self.teams: dict[str, Team] = {}
        self.enterprises: dict[str, Enterprise] = {}
        self._app_id = self.ids.new_id("A")
        self._app_token = f"xapp-1-{self._app_id}-{secrets.token_hex(12)}"
        self.faults = Faults()
        self.hub = SocketHub(app_id=self._app_id, on_change=self.notifier.notify)
        self.engine = DeliveryEngine(
            signing_secret=self.signing_secret,
            journal=self.journal,
            hub=self.hub,
            faults=self.faults,
            clock=self.clock,
            report=self.report,
            ack_deadline=ack_deadline,
            event_retries=event_retries,
        )
        app_methods: dict[str, AppHandler] = {
            "apps.connections.open": self._apps_connections_open,
            "oauth.v2.access": self._oauth_v2_access,
            "apps.uninstall": self._apps_uninstall,
        }
        self.router = ApiRouter(
            journal=self.journal,
            faults=self.faults,
            report=self.report,
            resolve=self._resolve,
            app_methods=app_methods,
            clock=self.clock,
        )
        workspace = Workspace(
            clock=self.clock,
            team_name=team_name,
            team_domain=team_domain,
            team_id=team_id,
            ids=self.ids,
            on_change=self.notifier.notify,
        )
        super().__init__(self, workspace)
        self.teams[self.team_id] = self
        self._preinstall(self)
        for problem in self.manifest.problems():
            self.report(problem)

    # ---- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> LocalSlack:
        """Listen on 127.0.0.1 (a free port) and start delivering."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self.router.handle)
        app.router.add_post("/upload/v1/{key}", self._upload)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        app.router.add_get("/files/{file_id}/download/{name}", self._download)
        app.router.add_post("/response/{hook}", self._response_url)
        app.router.add_get("/link", self.hub.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        await self.engine.start()
        self._ticker_task = asyncio.get_running_loop().create_task(self._ticker())
        logger.debug("local Slack listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Stop everything: background deliveries, Socket Mode connections, the HTTP server."""
        if self._ticker_task is not None:
            self._ticker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker_task
            self._ticker_task = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.hub.close()
        await self.engine.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalSlack:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- addresses and identity -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/`."""
        if self._port is None:
            raise RuntimeError("the local Slack is not started (await slack.start())")
        return f"http://127.0.0.1:{self._port}/"

    @property
    def api_url(self) -> str:
        """The Web API base URL to give AsyncWebClient(base_url=...)."""
        return f"{self.base_url}api/"

    @property
    def authorize_url(self) -> str:
        """Where "Add to Slack" sends a person (Bolt's `authorization_url`); hand the link to `consent`."""
        return f"{self.base_url}oauth/v2/authorize"

    @property
    def app_token(self) -> str:
        """The app-level token for Socket Mode (`xapp-…`), one for every workspace."""
        return self._app_token

    @property
    def app_id(self) -> str:
        """The app id (`A…`)."""
        return self._app_id

    def coach_settings(self, settings: Settings, **overrides: Any) -> Settings:
        """`settings` aimed at this local Slack (its tokens, signing secret and Web API), then `overrides`."""
        return settings.model_copy(
            update={
                "slack_bot_token": self.bot_token,
                "slack_signing_secret": self.signing_secret,
                "slack_app_token": self.app_token,
                "slack_api_url": self.api_url,
                **overrides,
            }
        )

    def set_request_url(self, url: str | Sequence[str] | None) -> None:
        """Deliver over HTTP to `url`, or round-robin to a list of replicas (None: over Socket Mode)."""
        if url is None:
            self.engine.request_urls = []
        elif isinstance(url, str):
            self.engine.request_urls = [url]
        else:
            self.engine.request_urls = list(url)

    async def _apps_connections_open(self, params: Params, token: str | None) -> dict[str, Any]:
        if not token:
            raise SlackError("not_authed")
        if token != self._app_token:
            try:
                self.credentials.resolve(token)
            except SlackError:
                raise SlackError("invalid_auth") from None
            raise SlackError("not_allowed_token_type")
        return {"url": self.hub.issue_url(f"ws://127.0.0.1:{self._port}/")}

    # ---- workspaces and installs ----------------------------------------------------------------------

    def add_workspace(
        self,
        name: str = "Acme",
        *,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        domain: str | None = None,
        installed: bool = False,
    ) -> Team:
        """A new workspace (in Enterprise Grid org `enterprise_id` if given); `installed`: app pre-installed.

        Without `installed`, the app arrives through OAuth (`consent` + the app's `oauth.v2.access`), unless
        its enterprise has an org-wide install, which covers the new workspace at once.
        """
        enterprise = None
        if enterprise_id is not None:
            enterprise = self.enterprises.get(enterprise_id)
            if enterprise is None:
                org = enterprise_name or f"{name} Org"
                enterprise = Enterprise(id=enterprise_id, name=org, domain=_slug(org))
                self.enterprises[enterprise_id] = enterprise
        team = Team(
            self,
            Workspace(
                clock=self.clock,
                team_name=name,
                team_domain=domain or _slug(name),
                ids=self.ids,
                enterprise=enterprise,
                on_change=self.notifier.notify,
            ),
        )
        if team.team_id in self.teams:
            raise ValueError(f"a workspace {team.team_id} already exists")
        self.teams[team.team_id] = team
        if enterprise is not None:
            enterprise.team_ids.append(team.team_id)
            org_wide = self._org_installation(enterprise)
            if org_wide is not None:
                self._admit_org_bot(team, org_wide)
        if installed and not team.installed:
            self._preinstall(team)
        self.notifier.notify()
        return team

    def team(self, ref: str | Team) -> Team:
        """A workspace by id, name or handle."""
        if isinstance(ref, Team):
            return ref
        found = self.teams.get(ref) or next((t for t in self.teams.values() if t.name == ref), None)
        if found is None:
            raise KeyError(f"no workspace {ref!r}")
        return found

    def _org_installation(self, enterprise: Enterprise) -> Installation | None:
        for team_id in enterprise.team_ids:
            installation = self.teams[team_id].installation
            if installation is not None and installation.active and installation.is_enterprise_install:
                return installation
        return None

    def _workspace_bot(self, team: Team) -> BotIdentity:
        """The app's bot user in a workspace: created at the first install, the same one at a reinstall."""
        if team.identity is not None and not team.identity.user_id.startswith("W"):
            team.workspace.users[team.identity.user_id].deleted = False
            return team.identity
        bot_name = self.manifest.bot_name or DEFAULT_BOT_NAME
        user = team.workspace.add_user(bot_name, is_bot=True, real_name=self.manifest.bot_name)
        user.bot_id = team.workspace.new_id("B")
        user.app_id = self.app_id
        identity = BotIdentity(user_id=user.id, bot_id=user.bot_id, app_id=self.app_id, name=user.name)
        team.attach_bot(identity)
        return identity

    def _admit_org_bot(self, team: Team, installation: Installation) -> None:
        identity = installation.identity
        if identity.user_id not in team.workspace.users:
            team.workspace.admit(
                User(
                    id=identity.user_id,
                    name=identity.name,
                    real_name=identity.name,
                    team_id=team.team_id,
                    is_bot=True,
                    bot_id=identity.bot_id,
                    app_id=identity.app_id,
                )
            )
        if team.team_id not in installation.team_ids:
            installation.team_ids.append(team.team_id)
        if team.identity != identity:
            team.attach_bot(identity)
        team.serve(installation)

    def _preinstall(self, team: Team) -> None:
        """Install the app the way the default workspace has it: a long-lived bot token, no OAuth."""
        identity = self._workspace_bot(team)
        installation = Installation(
            identity=identity,
            team_ids=[team.team_id],
            enterprise=team.enterprise,
            is_enterprise_install=False,
            installer_id=None,
            bot_scopes=self.manifest.scopes_header(),
        )
        self.credentials.issue(installation, "bot", identity.user_id)
        team.serve(installation)

    def _install(self, pending: PendingCode, *, rotating: bool) -> Installation:
        team = self.teams[pending.team_id]
        enterprise = team.enterprise
        if pending.org_install:
            assert enterprise is not None
            identity = BotIdentity(
                user_id=self.ids.new_id("W"),
                bot_id=self.ids.new_id("B"),
                app_id=self.app_id,
                name=self.manifest.bot_name or DEFAULT_BOT_NAME,
            )
            installation = Installation(
                identity=identity,
                team_ids=[],
                enterprise=enterprise,
                is_enterprise_install=True,
                installer_id=pending.installer_id,
                bot_scopes=pending.bot_scopes,
                user_scopes=pending.user_scopes,
            )
            for team_id in enterprise.team_ids:
                self._admit_org_bot(self.teams[team_id], installation)
        else:
            identity = self._workspace_bot(team)
            installation = Installation(
                identity=identity,
                team_ids=[team.team_id],
                enterprise=enterprise,
                is_enterprise_install=False,
                installer_id=pending.installer_id,
                bot_scopes=pending.bot_scopes,
                user_scopes=pending.user_scopes,
            )
            team.serve(installation)
        self.credentials.issue(installation, "bot", identity.user_id, rotating=rotating, lifetime=self.token_lifetime)
        if pending.user_scopes:
            self.credentials.issue(
                installation, "user", pending.installer_id, rotating=rotating, lifetime=self.token_lifetime
            )
        self.journal.note("installed", f"{self.app_id} in {team.team_id}", self.clock.now())
        self.notifier.notify()
        return installation

    async def consent(self, authorize_url: str, *, installer: Human, org_install: bool = False) -> str:
        """A person approves "Add to Slack": returns the redirect URL `redirect_uri?code=…&state=…`.

        Checks what Slack checks on its consent page: the client_id, the requested bot scopes against the
        manifest's (a mismatch is a problem), a redirect URL (from the link or the manifest), and that an
        org-wide install happens in an Enterprise Grid workspace.
        """
        query = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
        team = installer.slack
        if query.get("client_id") != self.client_id:
            raise HumanActionError(f"Slack shows 'Invalid client_id parameter' for {query.get('client_id')!r}")
        requested = _scope_set(query.get("scope", ""))
        wanted = self.manifest.bot_scopes
        if wanted is not None and requested != wanted:
            missing, extra = sorted(wanted - requested), sorted(requested - wanted)
            self.report(
                f"OAuth: the install link's bot scopes differ from the manifest's (missing {missing}, extra {extra})"
            )
        redirects = ((self.manifest.raw or {}).get("oauth_config") or {}).get("redirect_urls") or []
        redirect_uri = query.get("redirect_uri") or (redirects[0] if redirects else "")
        if not redirect_uri:
            self.report("OAuth: no redirect_uri in the install link and none in the manifest's oauth_config")
            raise HumanActionError("Slack shows 'redirect_uri did not match any configured URIs'")
        if redirects and redirect_uri not in redirects:
            self.report(f"OAuth: redirect_uri {redirect_uri} is not among the manifest's redirect_urls {redirects}")
        if org_install and team.enterprise is None:
            raise HumanActionError(f"{team.name} is not part of an Enterprise Grid org: no org-wide install")
        pending = self.credentials.new_code(
            team_id=team.team_id,
            installer_id=installer.id,
            bot_scopes=",".join(sorted(requested)),
            user_scopes=",".join(sorted(_scope_set(query.get("user_scope", "")))),
            redirect_uri=redirect_uri,
            org_install=org_install,
        )
        answer = {"code": pending.code}
        if "state" in query:
            answer["state"] = query["state"]
        joiner = "&" if urlsplit(redirect_uri).query else "?"
        return f"{redirect_uri}{joiner}{urlencode(answer)}"

    def _check_client(self, params: Params) -> None:
        if params.get("client_id") != self.client_id:
            raise SlackError("invalid_client_id")
        if params.get("client_secret") != self.client_secret:
            raise SlackError("bad_client_secret")

    async def _oauth_v2_access(self, params: Params, token: str | None) -> dict[str, Any]:
        self._check_client(params)
        rotating = self.token_rotation or params.flag("token_rotation")
        if params.get("grant_type") == "refresh_token":
            grant = self.credentials.refresh(str(params.require("refresh_token")), self.token_lifetime)
            return self._token_answer(grant)
        if params.get("grant_type") not in (None, "", "authorization_code"):
            raise SlackError("invalid_grant_type")
        pending = self.credentials.redeem_code(str(params.require("code")))
        if params.get("redirect_uri") and params["redirect_uri"] != pending.redirect_uri:
            raise SlackError("bad_redirect_uri")
        installation = self._install(pending, rotating=rotating)
        bot = installation.current("bot")
        assert bot is not None
        answer = self._token_answer(bot)
        authed_user: dict[str, Any] = {"id": pending.installer_id}
        user = installation.current("user")
        if user is not None:
            authed_user.update(scope=installation.user_scopes, access_token=user.token, token_type="user")
            if user.expires_at is not None:
                authed_user.update(
                    expires_in=round((user.expires_at - self.clock.now()).total_seconds()),
                    refresh_token=user.refresh_token,
                )
        answer["authed_user"] = authed_user
        return answer

    def _token_answer(self, grant: Grant) -> dict[str, Any]:
        """oauth.v2.access's answer for a token (both for a code and for a refresh)."""
        installation = grant.installation
        enterprise = installation.enterprise
        team = None if installation.is_enterprise_install else self.teams[installation.team_ids[0]]
        answer: dict[str, Any] = {
            "app_id": self.app_id,
            "scope": installation.bot_scopes if grant.kind == "bot" else installation.user_scopes,
            "token_type": grant.kind,
            "access_token": grant.token,
            "bot_user_id": installation.identity.user_id,
            "team": {"id": team.team_id, "name": team.name} if team is not None else None,
            "enterprise": enterprise.to_api() if enterprise is not None else None,
            "is_enterprise_install": installation.is_enterprise_install,
        }
        if grant.expires_at is not None:
            answer["expires_in"] = round((grant.expires_at - self.clock.now()).total_seconds())
            answer["refresh_token"] = grant.refresh_token
        return answer

    def _resolve(self, token: str, params: Params) -> tuple[WebApi, Grant]:
        """The workspace a token's call acts in: its own, or for an org-wide token the one the call names."""
        if token == self._app_token:
            raise SlackError("not_allowed_token_type")
        grant = self.credentials.resolve(token)
        installation = grant.installation
        team_ids = installation.team_ids
        team_id = team_ids[0] if team_ids else None
        if installation.is_enterprise_install:
            named = self._named_team(params, team_ids)
            team_id = named or team_id
        if team_id is None:
            raise SlackError("team_not_found")
        return self.teams[team_id].api, grant

    def _named_team(self, params: Params, team_ids: list[str]) -> str | None:
        """Which of an enterprise's workspaces a call is about (its team_id, channel, user or view)."""
        if params.get("team_id") in team_ids:
            return str(params["team_id"])
        refs = [str(params.get(key) or "") for key in ("channel", "user", "users", "view_id")]
        for team_id in team_ids:
            workspace = self.teams[team_id].workspace
            for ref in refs:
                first = ref.split(",")[0]
                if first and (first in workspace.conversations or first in workspace.views):
                    return team_id
                if first and first in workspace.users and not workspace.users[first].is_bot:
                    return team_id
        return None

    async def uninstall(self, team: Team | str) -> list[Delivery]:
        """The workspace removes the app: its tokens stop working; `tokens_revoked` and `app_uninstalled` follow.

        For an org-wide install this removes it from the whole enterprise. Returns the deliveries made.
        """
        handle = self.team(team)
        planned = self._revoke(handle)
        self.activity_started()
        return [await self.engine.deliver("event", label, payload) for label, payload in planned]

    async def _apps_uninstall(self, params: Params, token: str | None) -> dict[str, Any]:
        self._check_client(params)
        if not token:
            raise SlackError("not_authed")
        grant = self.credentials.resolve(token)
        team = self.teams[grant.installation.team_ids[0]]
        for label, payload in self._revoke(team):
            self.spawn(self.engine.deliver("event", label, payload))
        return {}

    def _revoke(self, team: Team) -> list[tuple[str, dict[str, Any]]]:
        """Revoke the installation serving `team`; the events to tell the app (built while it still served)."""
        installation = team.installation
        if installation is None or not installation.active:
            raise HumanActionError(f"the app is not installed in {team.name}")
        revoked = self.credentials.revoke(installation)
        event_ts = team.workspace.next_ts()
        users = sorted({g.user_id for g in revoked if g.kind == "user"})
        bots = sorted({g.user_id for g in revoked if g.kind == "bot"})
        planned = []
        for event in (
            events.tokens_revoked_event(user_ids=users, bot_user_ids=bots, event_ts=event_ts),
            events.app_uninstalled_event(event_ts=event_ts),
        ):
            if team.emitter.wants(event, None) and self.engine.transport() is not None:
                planned.append((event["type"], team.emitter.callback(event)))
        for team_id in installation.team_ids:
            served = self.teams[team_id]
            if served.installation is installation:
                served.serve(None)
                bot_user = served.workspace.users.get(installation.identity.user_id)
                if bot_user is not None:
                    bot_user.deleted = True
        self.journal.note("uninstalled", f"{self.app_id} from {team.team_id}", self.clock.now())
        self.notifier.notify()
        return planned

    # ---- the clock ------------------------------------------------------------------------------------

    def advance(self, delta: timedelta) -> datetime:
        """Move a ManualClock forward and post scheduled messages that became due; returns the new time."""
        move = getattr(self.clock, "advance", None)
        if move is None:
            raise TypeError("advance() needs a clock that can move (bot.clock.ManualClock)")
        self.activity_started()
        moved = move(delta)
        self._post_due()
        self.notifier.notify()
        return moved

    def _post_due(self) -> None:
        for team in list(self.teams.values()):
            if team.installed:
                api_chat.post_due_scheduled(team.api)

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(SCHEDULER_TICK_SECONDS)
            self._post_due()

    # ---- problems -------------------------------------------------------------------------------------

    def report(self, problem: str) -> None:
        """Record something real Slack would refuse or punish (tests fail on `problems`)."""
        self._problems.append(problem)
        self.journal.note("problem", problem, self.clock.now())
        logger.warning("local Slack problem: %s", problem)

    @property
    def problems(self) -> list[str]:
        """Everything found so far that would go wrong in real Slack."""
        return list(self._problems)

    def assert_no_problems(self) -> None:
        """Fail (AssertionError) listing the problems found, if any."""
        if self._problems:
            raise AssertionError("the local Slack found problems:\n- " + "\n- ".join(self._problems))

    def clear_problems(self) -> list[str]:
        """Forget the problems found so far (after a test that provokes them on purpose); returns them."""
        found, self._problems = self._problems, []
        return found

    # ---- deliveries -----------------------------------------------------------------------------------

    def activity_started(self) -> None:
        """A person acted (or time moved): from now on wait_idle also waits for the app's new tasks."""
        if self._task_baseline is None:
            with contextlib.suppress(RuntimeError):
                self._task_baseline = set(asyncio.all_tasks())

    def require_transport(self) -> None:
        """Raise a clear error when no app is connected (no request URL and no Socket Mode client)."""
        if self.engine.transport() is None:
            raise HumanActionError(
                "no app is connected: call set_request_url(...) for HTTP, or connect an "
                "AsyncSocketModeHandler and await wait_for_socket_connection()"
            )

    async def redeliver(self, event_id: str, retry_num: int = 1, reason: str = "http_timeout") -> Delivery:
        """Deliver a past event again (same event_id), as Slack's retry number `retry_num`.

        With several request URLs it goes to the one after the event's latest delivery (another replica).
        """
        earlier = [d for d in self.journal.deliveries("event") if d.event_id == event_id]
        if not earlier:
            raise KeyError(f"no event {event_id!r} was delivered")
        self.require_transport()
        self.activity_started()
        return await self.engine.deliver(
            "event",
            earlier[0].label,
            earlier[0].payload,
            retry_num=retry_num,
            retry_reason=reason,
            after_url=earlier[-1].url,
        )

    async def deliver_raw(self, body: bytes, headers: dict[str, str]) -> Delivery:
        """POST exactly these bytes and headers to the request URL (malformed bodies, forged signatures)."""
        self.activity_started()
        return await self.engine.deliver_raw(body, headers)

    def sign(self, body: bytes, timestamp: int | str | None = None, secret: str | None = None) -> dict[str, str]:
        """Signature headers for `body` (now, with the app's secret, unless told otherwise)."""
        return sign(body, secret=secret or self.signing_secret, timestamp=timestamp)

    async def disconnect_socket(self, reason: str = "refresh_requested") -> None:
        """Send Socket Mode clients a `disconnect` frame (they should reconnect)."""
        await self.hub.disconnect(reason)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a delivery in the background (wait_idle waits for it; stop() cancels it)."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)

        def finished(done: asyncio.Task[Any]) -> None:
            self._tasks.discard(done)
            if not done.cancelled() and done.exception() is not None:
                logger.error("local Slack background delivery failed", exc_info=done.exception())
            self.notifier.notify()

        task.add_done_callback(finished)
        return task

    def _team_holding(self, found: Callable[[Workspace], bool]) -> Team:
        return next((t for t in self.teams.values() if found(t.workspace)), self)

    async def _upload(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        team = self._team_holding(lambda ws: any(f.upload_key == key for f in ws.files.values()))
        return await api_files.receive_upload(team.workspace, request)

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        return await api_files.serve_file(self._team_holding(lambda ws: file_id in ws.files).workspace, request)

    async def _response_url(self, request: web.Request) -> web.Response:
        hook_id = request.match_info["hook"]
        team = self._team_holding(lambda ws: hook_id in ws.response_hooks)
        hook = team.workspace.response_hooks.get(hook_id)
        body = await read_response_body(request)
        call = ApiCall(
            seq=self.journal.next_seq(),
            method="response_url",
            params=body,
            token=None,
            http_method="POST",
            at=self.clock.now(),
        )
        self.journal.add(call)
        self._hooks_in_flight += 1
        try:
            if hook is None:
                status, text = 404, "no_such_url"
            else:
                call.team_id = team.team_id
                status, text = await answer_response_url(team.api, hook, body)
        finally:
            self._hooks_in_flight -= 1
        call.status, call.response = status, {"ok": status == 200, **({} if status == 200 else {"error": text})}
        self.journal.finish(call)
        return web.Response(status=status, text=text)

    # ---- reading the state ----------------------------------------------------------------------------

    def api_calls(self, method: str | None = None) -> list[ApiCall]:
        """Web API calls made so far in every workspace (and `response_url` answers), in order."""
        return self.journal.api_calls(method)

    def deliveries(self, kind: str | None = None) -> list[Delivery]:
        """Deliveries so far; `kind` is `event`/`command`/`interactive`/`raw` or a label (`app_mention`)."""
        return self.journal.deliveries(kind)

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode connections were ever made."""
        return self.hub.connections_made

    # ---- waiting --------------------------------------------------------------------------------------

    async def wait_for_call(
        self,
        method: str | None,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 10,
    ) -> ApiCall:
        """The `count`-th answered call of `method` (None: of any method) matching the predicate."""

        def check() -> ApiCall | None:
            calls = [c for c in self.api_calls(method) if c.status and (predicate is None or predicate(c))]
            return calls[count - 1] if len(calls) >= count else None

        def describe() -> str:
            recent = ", ".join(c.method for c in self.api_calls()[-10:])
            return f"call #{count} of {method or 'any method'}; recent calls: {recent or 'none'}{self._problem_tail()}"

        return await self._wait(check, timeout, describe)

    async def wait_for_delivery(
        self,
        kind: str | None = None,
        predicate: Callable[[Delivery], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 10,
    ) -> Delivery:
        """The `count`-th finished delivery of `kind` (or label) matching the predicate."""

        def check() -> Delivery | None:
            found = [d for d in self.deliveries(kind) if d.done and (predicate is None or predicate(d))]
            return found[count - 1] if len(found) >= count else None

        return await self._wait(check, timeout, lambda: f"delivery #{count} of {kind}{self._problem_tail()}")

    async def wait_for_socket_connection(self, count: int = 1, timeout: float = 10) -> None:
        """Until `count` Socket Mode connections were made and one is open (the hello was sent)."""
        await self._wait(
            lambda: self.hub.connections_made >= count and self.hub.active() is not None,
            timeout,
            lambda: f"Socket Mode connection #{count} (made: {self.hub.connections_made})",
        )

    async def wait_idle(self, *, quiet: float = 0.1, timeout: float = 10) -> None:
        """Until nothing is in flight (deliveries, API calls, the app's new tasks) for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while True:
            busy = self._busy()
            now = time.monotonic()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= quiet:
                self._task_baseline = None
                return
            if now > deadline:
                raise WaitTimeout(f"not idle after {timeout:g} s: {busy or 'activity kept restarting'}")
            await self.notifier.wait(min(0.05, quiet))

    def _busy(self) -> str:
        reasons = []
        if self.router.in_flight:
            reasons.append(f"{self.router.in_flight} API call(s) in flight")
        if self.engine.in_flight:
            reasons.append(f"{self.engine.in_flight} delivery(ies) awaiting an ack")
        if self._hooks_in_flight:
            reasons.append("a response_url answer in flight")
        if self._tasks:
            reasons.append(f"{len(self._tasks)} background delivery(ies)")
        pending = self._pending_app_tasks()
        if pending:
            reasons.append("app tasks still running: " + ", ".join(sorted(pending))[:300])
        return "; ".join(reasons)

    def _pending_app_tasks(self) -> list[str]:
        if self._task_baseline is None:
            return []
        current = asyncio.current_task()
        names = []
        for task in asyncio.all_tasks():
            if task is current or task in self._task_baseline or task.done():
                continue
            coroutine = task.get_coro()
            name = getattr(coroutine, "__qualname__", repr(coroutine))
            if name in _CONNECTION_TASKS:
                continue
            names.append(name)
        return names


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"


def _scope_set(scopes: str) -> frozenset[str]:
    return frozenset(scope.strip() for scope in scopes.split(",") if scope.strip())
