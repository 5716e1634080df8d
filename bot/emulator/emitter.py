"""Turns workspace changes into the Events API deliveries the app subscribed to, as Slack does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.emulator import events
from bot.emulator.checks import Manifest, subscription_name
from bot.emulator.delivery import DeliveryEngine
from bot.emulator.journal import Delivery, Journal
from bot.emulator.workspace import Conversation, Message, Workspace

if TYPE_CHECKING:
    from bot.emulator.installs import BotIdentity, Installation

# Events Slack only sends for conversations the bot is in.
MEMBERSHIP_EVENTS = frozenset({"message", "app_mention", "reaction_added", "reaction_removed"})


class EventEmitter:
    """Decides whether the app gets an event (subscription, membership) and delivers it."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        manifest: Manifest,
        engine: DeliveryEngine,
        journal: Journal,
        bot: BotIdentity,
        spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]],
    ) -> None:
        self._workspace = workspace
        self._manifest = manifest
        self._engine = engine
        self._journal = journal
        self._bot = bot
        self._spawn = spawn
        # The installation events are authorized for (an org-wide one names the enterprise, not the team).
        self.installation: Installation | None = None

    def wants(self, event: dict[str, Any], conversation: Conversation | None) -> bool:
        """The app subscribed to this event and may see it."""
        kind = conversation.kind if conversation is not None else None
        if subscription_name(event, kind) not in self._manifest.events:
            return False
        if event.get("type") in MEMBERSHIP_EVENTS and conversation is not None:
            return self._bot.user_id in conversation.members
        return True

    def callback(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        """The event wrapped in its `event_callback` envelope."""
        return events.event_callback(
            team_id=self._workspace.team_id,
            app_id=self._bot.app_id,
            bot_user_id=self._bot.user_id,
            event=event,
            event_time=self._workspace.now_seconds(),
            event_id=event_id,
            enterprise=self._workspace.enterprise,
            is_enterprise_install=self.installation is not None and self.installation.is_enterprise_install,
        )

    async def emit(self, event: dict[str, Any], conversation: Conversation | None = None) -> Delivery | None:
        """Deliver the event now if the app wants it; None when it doesn't (or nobody is connected)."""
        if not self.wants(event, conversation):
            return None
        name = subscription_name(event, conversation.kind if conversation else None)
        if self._engine.transport() is None:
            self._journal.note("dropped", f"event {name}: no app connected", self._workspace.clock.now())
            return None
        return await self._engine.deliver("event", name, self.callback(event))

    def emit_soon(self, event: dict[str, Any], conversation: Conversation | None = None) -> None:
        """Deliver in the background (echoes of the app's own actions, which its API call doesn't wait for)."""
        if self.wants(event, conversation):
            self._spawn(self.emit(event, conversation))

    # ---- echoes of what the app did -------------------------------------------------------------------

    def message_posted(self, message: Message, *, base_url: str) -> None:
        """A new message appeared (the app's own posts are echoed back, like Slack does)."""
        conversation = self._workspace.conversations[message.channel]
        api = self._workspace.message_to_api(message, base_url=base_url)
        self.emit_soon(events.message_event(api, conversation), conversation)

    def message_changed(self, message: Message, previous: dict[str, Any], *, base_url: str) -> None:
        """A message was edited."""
        conversation = self._workspace.conversations[message.channel]
        new = self._workspace.message_to_api(message, base_url=base_url)
        event = events.message_changed_event(
            conversation=conversation, new=new, previous=previous, event_ts=self._workspace.next_ts()
        )
        self.emit_soon(event, conversation)

    def message_deleted(self, conversation: Conversation, previous: dict[str, Any]) -> None:
        """A message was deleted."""
        event = events.message_deleted_event(
            conversation=conversation, previous=previous, event_ts=self._workspace.next_ts()
        )
        self.emit_soon(event, conversation)

    def reaction(self, *, added: bool, user: str, name: str, message: Message) -> None:
        """A reaction was added or removed."""
        conversation = self._workspace.conversations[message.channel]
        event = events.reaction_event(
            added=added, user=user, reaction=name, message=message, event_ts=self._workspace.next_ts()
        )
        self.emit_soon(event, conversation)
