"""The coach's entry points from Slack, and the table that sends each request to the feature that owns it.

Slack gives the coach one slash command, one mention event and one message stream. Features don't listen
to those themselves: they add a subcommand, a thread kind, or a conversation handler to `Routes`, and the
listeners here parse, apply the house rules (mention-only in channels, no bots, size limits) and dispatch.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.help import build_too_long, build_unknown_subcommand
from bot.listeners.context import actor_of
from bot.listeners.errors import reporting_errors
from bot.manifest import COMMAND
from bot.services import Services
from bot.workspaces import ThreadOwner

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 4000
# Message subtypes that are people talking; joins, bot posts, deletions and the like are not.
CONVERSATION_SUBTYPES = {None, "file_share", "thread_broadcast"}
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True)
class CommandRequest:
    """One `/flywheel <subcommand> ...` call, parsed."""

    name: str
    text: str
    team_id: str
    channel_id: str
    user_id: str
    trigger_id: str | None
    client: AsyncWebClient
    respond: AsyncRespond
    body: dict[str, Any]


@dataclass(frozen=True)
class IncomingMessage:
    """A person's message for the coach (a mention, a DM, or a reply in a thread the coach owns)."""

    team_id: str
    channel_id: str
    user_id: str
    text: str
    ts: str
    thread_ts: str | None
    is_direct: bool
    is_mention: bool
    is_edit: bool
    client: AsyncWebClient
    body: dict[str, Any]
    owner: ThreadOwner | None = None
    """The feature that owns the thread this message is in (looked up once, by the router)."""

    @property
    def reply_thread_ts(self) -> str:
        """The thread a reply belongs in: the message's thread, or a new thread under the message."""
        return self.thread_ts or self.ts


CommandHandler = Callable[[CommandRequest], Awaitable[None]]
MessageHandler = Callable[[IncomingMessage], Awaitable[None]]
OpenedHandler = Callable[[str, str, str, AsyncWebClient], Awaitable[None]]
# A feature's part of the Home tab: (team_id, user_id, client) -> blocks.
HomeSection = Callable[[str, str, AsyncWebClient], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Subcommand:
    """A `/flywheel` subcommand: its handler and how it is written."""

    handler: CommandHandler
    usage: str


@dataclass
class Routes:
    """Who handles what; each feature's `register` adds its entries."""

    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    thread_kinds: dict[str, MessageHandler] = field(default_factory=dict)
    conversation: MessageHandler | None = None
    messages_tab_opened: OpenedHandler | None = None
    home_sections: list[HomeSection] = field(default_factory=list)

    def add_subcommand(self, name: str, handler: CommandHandler, *, usage: str) -> None:
        """Route `/flywheel <name> ...` to `handler`."""
        if name in self.subcommands:
            raise ValueError(f"subcommand {name!r} is registered twice")
        self.subcommands[name] = Subcommand(handler, usage)

    def add_thread_kind(self, kind: str, handler: MessageHandler) -> None:
        """Route replies in threads claimed with this `kind` (see `bot.store.threads`) to `handler`."""
        if kind in self.thread_kinds:
            raise ValueError(f"thread kind {kind!r} is registered twice")
        self.thread_kinds[kind] = handler


def strip_mentions(text: str) -> str:
    """The text without user mentions (the coach's own name included), trimmed."""
    return " ".join(_MENTION.sub(" ", text).split())


class Router:
    """The shared entry points: parse, apply the house rules, and hand each request to the feature that owns it."""

    def __init__(self, services: Services, routes: Routes) -> None:
        self.services = services
        self.routes = routes

    async def handle_flywheel_command(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """`/flywheel <subcommand> ...`: acknowledge at once, then run the subcommand."""
        await ack()
        text = (body.get("text") or "").strip()
        if len(text) > MAX_INPUT_CHARS:
            await respond(text=build_too_long(len(text), MAX_INPUT_CHARS), response_type="ephemeral")
            return
        name, _, rest = text.partition(" ")
        name = name.lower() or "help"
        subcommand = self.routes.subcommands.get(name)
        if subcommand is None:
            notice = build_unknown_subcommand(name, sorted(self.routes.subcommands), command=COMMAND)
            await respond(text=notice, response_type="ephemeral")
            return
        actor = actor_of(context, body)
        request = CommandRequest(
            name=name,
            text=rest.strip(),
            team_id=actor.team_id,
            channel_id=actor.channel_id,
            user_id=actor.user_id,
            trigger_id=body.get("trigger_id"),
            client=client,
            respond=respond,
            body=body,
        )
        await subcommand.handler(request)

    async def handle_app_mention(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """A mention in a channel: goes to the thread's owner, or starts a conversation."""
        if event.get("bot_id") or not event.get("user"):
            return
        await self._dispatch(_incoming(event, body, client, context, is_mention=True))

    async def handle_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """DMs, and replies in threads the coach owns; everything else in channels is left alone."""
        subtype = event.get("subtype")
        is_edit = subtype == "message_changed"
        if is_edit:
            edited = event.get("message") or {}
            event = {**edited, "channel": event.get("channel"), "channel_type": event.get("channel_type")}
            subtype = edited.get("subtype")
        if subtype not in CONVERSATION_SUBTYPES or event.get("bot_id") or not event.get("user"):
            return
        if event.get("user") == context.bot_user_id:
            return
        is_direct = event.get("channel_type") == "im"
        mentions_coach = bool(context.bot_user_id) and f"<@{context.bot_user_id}" in (event.get("text") or "")
        if mentions_coach and not is_direct and not is_edit:
            return  # Slack sends an app_mention for this message too; that one is answered.
        await self._dispatch(_incoming(event, body, client, context, is_mention=False, is_edit=is_edit))

    async def _dispatch(self, message: IncomingMessage) -> None:
        if not message.channel_id:
            return  # Slack names every message's conversation: one without has nowhere to be answered
        if message.thread_ts:
            owner = await self.services.workspaces.thread_owner(
                team_id=message.team_id, channel_id=message.channel_id, thread_ts=message.thread_ts
            )
            handler = self.routes.thread_kinds.get(owner.kind) if owner else None
            if handler is not None:
                await _guarded(handler, replace(message, owner=owner))
                return
        if (message.is_direct or message.is_mention) and self.routes.conversation is not None:
            await _guarded(self.routes.conversation, message)


def _incoming(
    event: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    *,
    is_mention: bool,
    is_edit: bool = False,
) -> IncomingMessage:
    return IncomingMessage(
        team_id=actor_of(context, body).team_id,
        channel_id=event.get("channel") or "",
        user_id=event.get("user") or "",
        text=strip_mentions(event.get("text") or ""),
        ts=event.get("ts") or "",
        thread_ts=event.get("thread_ts"),
        is_direct=event.get("channel_type") == "im",
        is_mention=is_mention,
        is_edit=is_edit,
        client=client,
        body=body,
    )


async def _guarded(handler: MessageHandler, message: IncomingMessage) -> None:
    if message.is_edit and not message.thread_ts:
        return  # an edited question is not asked again; edits matter only inside threads
    if len(message.text) > MAX_INPUT_CHARS:
        try:
            await message.client.chat_postEphemeral(
                channel=message.channel_id,
                user=message.user_id,
                thread_ts=message.thread_ts,
                text=build_too_long(len(message.text), MAX_INPUT_CHARS),
            )
        except SlackApiError as failure:  # a conversation Slack will not show the person a note in
            logger.warning("could not tell the person their message is too long: %s", failure.response.get("error"))
        return
    await handler(message)


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """Wire the slash command, mentions and messages to the routes."""
    router = Router(services, routes)
    app.command(COMMAND)(reporting_errors(router.handle_flywheel_command))
    app.event("app_mention")(router.handle_app_mention)
    app.event("message")(router.handle_message)
