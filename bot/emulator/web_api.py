"""The `/api/<method>` router: parses what the SDK sends, checks tokens and scopes, applies faults.

Business errors are HTTP 200 `{"ok": false, "error": code}` with Slack's real codes; an unknown method is
`unknown_method` and a problem for the test to fail on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator import api_chat, api_conversations, api_files, api_views
from bot.emulator.checks import CONVERSATION_SCOPES, Manifest, block_errors, broadcast_pings
from bot.emulator.faults import Faults
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


@dataclass(frozen=True)
class BotIdentity:
    """Who the app is in this workspace, and the tokens it holds."""

    user_id: str
    bot_id: str
    app_id: str
    name: str
    bot_token: str
    app_token: str


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


class WebApi:
    """Routes `/api/<method>` to the handlers of the api_* modules."""

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
        issue_socket_url: Callable[[], str],
    ) -> None:
        self.workspace = workspace
        self.journal = journal
        self.faults = faults
        self.manifest = manifest
        self.bot = bot
        self.emitter = emitter
        self.report = report
        self.base_url = base_url
        self.issue_socket_url = issue_socket_url
        self.in_flight = 0
        self.trigger_ttl = TRIGGER_TTL_SECONDS
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
        call = ApiCall(
            seq=self.journal.next_seq(),
            method=method,
            params=dict(params),
            token=token,
            http_method=request.method,
            at=self.workspace.clock.now(),
        )
        self.journal.add(call)
        started = time.monotonic()
        self.in_flight += 1
        try:
            status, body, headers = await self._answer(method, params, token, undecodable)
        finally:
            self.in_flight -= 1
        call.status, call.response, call.duration = status, body, time.monotonic() - started
        self.journal.finish(call)
        return web.json_response(body, status=status, headers=headers)

    async def _answer(
        self, method: str, params: Params, token: str | None, undecodable: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"x-oauth-scopes": self.manifest.scopes_header()} if token == self.bot.bot_token else {}
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
            handler = self._route(method)
            self._authenticate(method, token)
            self._check_scope(method, params)
            if undecodable is not None:
                raise SlackError("invalid_blocks_format" if undecodable == "blocks" else "invalid_arguments")
            body = await handler(self, params)
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

    def _authenticate(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        if method == "apps.connections.open":
            if token == self.bot.bot_token:
                raise SlackError("not_allowed_token_type")
            if token != self.bot.app_token:
                raise SlackError("invalid_auth")
            return
        if token == self.bot.app_token:
            raise SlackError("not_allowed_token_type")
        if token != self.bot.bot_token:
            raise SlackError("invalid_auth")

    def _check_scope(self, method: str, params: Params) -> None:
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

    # ---- helpers the handlers share --------------------------------------------------------------------

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
