"""The `/api/<method>` router: parses what the SDK sends, checks tokens and scopes, applies faults.

Business errors are HTTP 200 `{"ok": false, "error": code}` with Slack's real codes; an unknown method is
`unknown_method` and a problem for the test to fail on.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.clock import Clock
from bot.emulator import api_chat, api_conversations, api_files, api_views
from bot.emulator.checks import CONVERSATION_SCOPES, Manifest, block_errors, broadcast_pings
from bot.emulator.faults import Faults
from bot.emulator.installs import BotIdentity, Grant, Installation
from bot.emulator.journal import ApiCall, Journal
from bot.emulator.workspace import TRIGGER_TTL_SECONDS, Conversation, SlackError, Workspace

if TYPE_CHECKING:
    from bot.emulator.emitter import EventEmitter

logger = logging.getLogger("bot.emulator")

# Parameters the SDK may send as JSON strings inside form bodies.
JSON_FIELDS = frozenset({"blocks", "attachments", "files", "view", "metadata", "chunks", "prompts"})
MAX_TEXT_CHARS = 40_000
# Deprecated methods Slack now refuses.
RETIRED_METHODS = frozenset({"files.upload", "channels.history", "im.open", "groups.history"})


class Params(dict[str, Any]):
    """A call's parameters (query string, form or JSON merged), with typed accessors."""

    def require(self, name: str) -> Any:
        """A required parameter, or Slack's `invalid_arguments`."""
        value = self.get(name)
        if value in (None, ""):
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {name}"]}
            )
        return value

    def flag(self, name: str) -> bool:
        """A boolean parameter (`true`, `1`, True)."""
        value = self.get(name)
        return value is True or str(value).lower() in ("true", "1")

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter."""
        value = self.get(name)
        if value in (None, ""):
            return default
        try:
            return int(float(value))
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments") from exc


Handler = Callable[["WebApi", Params], Awaitable[dict[str, Any]]]
# App-level methods (no workspace behind them): parameters and the bearer token, if any.
AppHandler = Callable[[Params, str | None], Awaitable[dict[str, Any]]]
# Which workspace's Web API a token's call goes to (raises Slack's error for a bad token).
Resolver = Callable[[str, Params], tuple["WebApi", Grant]]


class ApiRouter:
    """Answers `/api/<method>`: faults, then app-level methods, else the Web API of the token's workspace."""

    def __init__(
        self,
        *,
        journal: Journal,
        faults: Faults,
        report: Callable[[str], None],
        resolve: Resolver,
        app_methods: Mapping[str, AppHandler],
        clock: Clock,
    ) -> None:
        self.journal = journal
        self.faults = faults
        self.report = report
        self.resolve = resolve
        self.app_methods = app_methods
        self.clock = clock
        self.in_flight = 0
        self.handlers: dict[str, Handler] = {
            **api_conversations.HANDLERS,
            **api_chat.HANDLERS,
            **api_views.HANDLERS,
            **api_files.HANDLERS,
        }

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one Web API request."""
        method = request.match_info["method"]
        params, undecodable = await self._read_params(request)
        token = _bearer(request) or params.pop("token", None)
        params.pop("token", None)
        for key, value in _basic_auth(request).items():
            params.setdefault(key, value)
        call = ApiCall(
            seq=self.journal.next_seq(),
            method=method,
            params={k: v for k, v in params.items() if k != "client_secret"},
            token=token,
            http_method=request.method,
            at=self.clock.now(),
        )
        self.journal.add(call)
        started = time.monotonic()
        self.in_flight += 1
        try:
            status, body, headers = await self._answer(call, params, token, undecodable)
        finally:
            self.in_flight -= 1
        call.status, call.response, call.duration = status, body, time.monotonic() - started
        self.journal.finish(call)
        return web.json_response(body, status=status, headers=headers)

    async def _answer(
        self, call: ApiCall, params: Params, token: str | None, undecodable: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        method = call.method
        headers: dict[str, str] = {}
        slow = self.faults.take_api_fault(method, "slow")
        if slow is not None:
            await asyncio.sleep(slow.seconds)
        limited = self.faults.take_api_fault(method, "rate_limit")
        if limited is not None:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(limited.retry_after)}
        failing = self.faults.take_api_fault(method, "server_error")
        if failing is not None:
            return failing.status, {"ok": False, "error": "fatal_error"}, {}
        try:
            app_method = self.app_methods.get(method)
            if app_method is not None:
                body = await app_method(params, token)
            else:
                handler = self._route(method)
                if not token:
                    raise SlackError("not_authed")
                api, grant = self.resolve(token, params)
                call.team_id = api.workspace.team_id
                if grant.kind == "bot":
                    headers["x-oauth-scopes"] = grant.installation.bot_scopes
                api.check_scope(method, params)
                if undecodable is not None:
                    raise SlackError("invalid_blocks_format" if undecodable == "blocks" else "invalid_arguments")
                body = await handler(api, params)
        except SlackError as error:
            return 200, {"ok": False, "error": error.code, **error.extra}, headers
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            # Arguments the local Slack could not make sense of: say so loudly rather than answer a bare 500.
            logger.exception("local Slack could not handle %s", method)
            self.report(f"{method}: the local Slack could not handle these arguments ({error!r})")
            return 200, {"ok": False, "error": "invalid_arguments"}, headers
        return 200, {"ok": True, **body}, headers

    def _route(self, method: str) -> Handler:
        if method in RETIRED_METHODS:
            self.report(f"retired method: {method} (Slack answers method_deprecated)")
            raise SlackError("method_deprecated")
        handler = self.handlers.get(method)
        if handler is None:
            self.report(f"unknown method: {method} (not part of the local Slack; real Slack may not have it)")
            raise SlackError("unknown_method")
        return handler

    async def _read_params(self, request: web.Request) -> tuple[Params, str | None]:
        """Query string, then the JSON or form body; returns the params and a field that isn't valid JSON."""
        params = Params(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = {}
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                params.update({key: value for key, value in form.items() if isinstance(value, str)})
        undecodable = None
        for name in sorted(JSON_FIELDS & params.keys()):
            value = params[name]
            if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
                try:
                    params[name] = json.loads(value)
                except ValueError:
                    undecodable = name
        return params, undecodable


class WebApi:
    """The Web API as one workspace's app sees it: the api_* handlers work on its state and bot."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        journal: Journal,
        faults: Faults,
        manifest: Manifest,
        bot: BotIdentity,
        emitter: EventEmitter,
        report: Callable[[str], None],
        base_url: Callable[[], str],
        trigger_ttl: float = TRIGGER_TTL_SECONDS,
    ) -> None:
        self.workspace = workspace
        self.journal = journal
        self.faults = faults
        self.manifest = manifest
        self.bot = bot
        self.emitter = emitter
        self.report = report
        self.base_url = base_url
        self.trigger_ttl = trigger_ttl
        # The installation whose token is calling (auth.test tells an org-wide token apart).
        self.installation: Installation | None = None

    def check_scope(self, method: str, params: Params) -> None:
        """Slack's `missing_scope` when the manifest's bot scopes don't cover this call."""
        kind: str | None = None
        if method == "conversations.open":
            users = [u for u in str(params.get("users", "")).split(",") if u]
            kind = "mpim" if len(users) > 1 else "im"
        elif method in CONVERSATION_SCOPES:
            conversation = self.workspace.find_conversation(str(params.get("channel", "")))
            kind = conversation.kind if conversation is not None else None
        needed = self.manifest.missing_scope(method, kind)
        if needed is not None:
            provided = self.manifest.scopes_header()
            self.report(
                f"missing scope: {method} needs {' or '.join(needed)} (the manifest's bot scopes: {provided or 'none'})"
            )
            raise SlackError("missing_scope", needed=",".join(needed), provided=provided)

    def conversation(self, ref: Any) -> Conversation:
        """A conversation the bot can see, or `channel_not_found`."""
        conversation = self.workspace.find_conversation(str(ref or ""))
        if conversation is None:
            raise SlackError("channel_not_found")
        if conversation.kind != "channel" and self.bot.user_id not in conversation.members:
            raise SlackError("channel_not_found")
        return conversation

    def postable(self, ref: Any) -> Conversation:
        """Where chat.* may post: a member conversation (or a user id, meaning the DM with that user)."""
        ref = str(ref or "")
        if ref in self.workspace.users and not self.workspace.users[ref].is_bot:
            return self.workspace.ensure_im(self.bot.user_id, ref)
        conversation = self.conversation(ref)
        if conversation.is_archived:
            raise SlackError("is_archived")
        if self.bot.user_id not in conversation.members:
            public_ok = self.manifest.bot_scopes is not None and "chat:write.public" in self.manifest.bot_scopes
            if not (conversation.kind == "channel" and public_ok):
                raise SlackError("not_in_channel")
        return conversation

    def readable(self, ref: Any) -> Conversation:
        """A conversation whose history the bot may read (a member, or any public channel it joined)."""
        conversation = self.conversation(ref)
        if self.bot.user_id not in conversation.members:
            raise SlackError("not_in_channel")
        return conversation

    def report_pings(self, method: str, text: Any, blocks: Any = None) -> None:
        """Report a message from the app that would ping a whole channel (echoed user text, unescaped)."""
        pings = broadcast_pings(text, blocks)
        if pings:
            self.report(f"{method} would ping everyone: " + ", ".join(pings))

    def checked_content(
        self, params: Mapping[str, Any], *, method: str, require_content: bool = True
    ) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        """Text, blocks and attachments of a message, validated the way Slack does."""
        text = params.get("text") or params.get("markdown_text") or ""
        if not isinstance(text, str):
            text = str(text)
        blocks = params.get("blocks") or []
        attachments = params.get("attachments") or []
        if require_content and not text and not blocks and not attachments:
            raise SlackError("no_text")
        if len(text) > MAX_TEXT_CHARS:
            raise SlackError("msg_too_long")
        self.report_pings(method, text, blocks)
        if blocks:
            errors = block_errors(blocks)
            if errors:
                self.report(f"invalid blocks in {method}: " + "; ".join(errors))
                raise SlackError(
                    "invalid_blocks", errors=errors, response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
                )
        return text, blocks, attachments


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _basic_auth(request: web.Request) -> dict[str, str]:
    """client_id and client_secret from HTTP Basic auth (how slack_sdk sends them to oauth.v2.access)."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return {}
    try:
        client_id, _, client_secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"client_id": client_id, "client_secret": client_secret}
