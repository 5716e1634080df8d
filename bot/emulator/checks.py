"""What real Slack would refuse: scopes the manifest lacks, events nobody handles, Block Kit it rejects.

Each finding becomes a line in `LocalSlack.problems`, which tests turn into failures.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, FeedbackButtonObject
from slack_sdk.models.views import View

# Scopes a Web API method needs with a bot token; a tuple means any one of them. Methods whose scope
# depends on the conversation type use CONVERSATION_SCOPES instead. Absent from both: no scope needed.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.scheduleMessage": ("chat:write",),
    "chat.deleteScheduledMessage": ("chat:write",),
    "chat.startStream": ("chat:write",),
    "chat.appendStream": ("chat:write",),
    "chat.stopStream": ("chat:write",),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "bots.info": ("users:read",),
    "team.info": ("team:read",),
    "reactions.add": ("reactions:write",),
    "reactions.remove": ("reactions:write",),
    "reactions.get": ("reactions:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "files.upload": ("files:write",),
    "files.info": ("files:read",),
    "conversations.join": ("channels:join",),
    "assistant.threads.setStatus": ("assistant:write", "chat:write"),
    "assistant.threads.setSuggestedPrompts": ("assistant:write",),
    "assistant.threads.setTitle": ("assistant:write",),
}

# Methods whose scope follows the conversation's type (public, private, DM, group DM).
CONVERSATION_SCOPES: dict[str, dict[str, str]] = {
    "conversations.history": {
        "channel": "channels:history",
        "group": "groups:history",
        "im": "im:history",
        "mpim": "mpim:history",
    },
    "conversations.replies": {
        "channel": "channels:history",
        "group": "groups:history",
        "im": "im:history",
        "mpim": "mpim:history",
    },
    "conversations.info": {"channel": "channels:read", "group": "groups:read", "im": "im:read", "mpim": "mpim:read"},
    "conversations.members": {"channel": "channels:read", "group": "groups:read", "im": "im:read", "mpim": "mpim:read"},
    "conversations.open": {"im": "im:write", "mpim": "mpim:write"},
}

# The scope each Events API subscription needs.
EVENT_SCOPES: dict[str, str | None] = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "app_home_opened": None,
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    "file_shared": "files:read",
    "member_joined_channel": "channels:read",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}

# Subscriptions assumed when no manifest is given.
DEFAULT_EVENTS = frozenset(
    {"app_mention", "message.channels", "message.groups", "message.im", "message.mpim", "app_home_opened"}
)

MAX_MESSAGE_BLOCKS = 50
MAX_MARKDOWN_CHARS = 12_000
"""Slack's limit on the text of all `markdown` blocks of one message together."""
CONTEXT_ACTIONS_ELEMENTS = frozenset({"feedback_buttons", "icon_button"})
MAX_VIEW_BLOCKS = 100
MAX_ID_LENGTH = 255
# What notifies a whole channel or workspace when the app sends it: the coach never means to.
_BROADCAST = re.compile(r"<!(?:channel|here|everyone|subteam\^)[^>]*>")


def subscription_name(event: dict[str, Any], channel_type: str | None) -> str:
    """The manifest name of an event: `message.im`, `message.channels`, `app_mention`, …"""
    kind = event.get("type", "")
    if kind == "message":
        suffix = {"channel": "channels", "group": "groups", "im": "im", "mpim": "mpim"}.get(channel_type or "")
        return f"message.{suffix}" if suffix else "message"
    return kind


def broadcast_pings(text: Any, blocks: Any = None) -> list[str]:
    """The channel-wide pings (`<!channel>`, `<!here>`, …) in a message's text, mrkdwn and markdown blocks."""
    found = _BROADCAST.findall(text) if isinstance(text, str) else []
    pending = [blocks]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if item.get("type") in ("mrkdwn", "markdown") and isinstance(item.get("text"), str):
                found.extend(_BROADCAST.findall(item["text"]))
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def _quietly_parse(block: dict[str, Any]) -> Block | None:
    logger = logging.getLogger("slack_sdk.models.blocks.blocks")
    previous = logger.disabled
    logger.disabled = True
    try:
        return Block.parse(block)
    finally:
        logger.disabled = previous


def block_errors(blocks: Any, *, limit: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """Why Slack would reject these blocks (empty when slack_sdk's models and Slack's limits accept them)."""
    if not isinstance(blocks, list):
        return ["blocks must be a list of block objects"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"{len(blocks)} blocks (at most {limit})")
    block_ids: Counter[str] = Counter()
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"{where}: not a block object")
            continue
        try:
            parsed = _quietly_parse(block)
        except (TypeError, ValueError, KeyError, AttributeError, SlackObjectFormationError) as exc:
            errors.append(f"{where} ({block.get('type')}): {exc}")
            continue
        if parsed is None:
            errors.append(f"{where}: unknown block type {block.get('type')!r}")
            continue
        try:
            parsed.validate_json()
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as exc:
            errors.append(f"{where} ({block['type']}): {exc}")
        if block.get("block_id"):
            block_ids[block["block_id"]] += 1
        errors.extend(_element_errors(block, where))
    errors.extend(f"duplicate block_id {bid!r}" for bid, count in block_ids.items() if count > 1)
    markdown_chars = sum(
        len(block["text"])
        for block in blocks
        if isinstance(block, dict) and block.get("type") == "markdown" and isinstance(block.get("text"), str)
    )
    if markdown_chars > MAX_MARKDOWN_CHARS:
        errors.append(f"markdown blocks hold {markdown_chars} characters together (at most {MAX_MARKDOWN_CHARS})")
    return errors


def _element_errors(block: dict[str, Any], where: str) -> list[str]:
    interactive = block.get("type") in ("actions", "context_actions")
    elements = [e for e in block.get("elements", []) if isinstance(e, dict)] if interactive else []
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            elements.append(block[key])
    errors: list[str] = []
    if block.get("type") == "context_actions":
        errors.extend(
            f"{where}: context_actions holds only feedback_buttons and icon_button, not {e.get('type')!r}"
            for e in elements
            if e.get("type") not in CONTEXT_ACTIONS_ELEMENTS
        )
        errors.extend(error for e in elements for error in _feedback_button_errors(e, where))
    action_ids: Counter[str] = Counter()
    for element in elements:
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            action_ids[action_id] += 1
            if len(action_id) > MAX_ID_LENGTH:
                errors.append(f"{where}: action_id longer than {MAX_ID_LENGTH} characters")
    block_id = block.get("block_id")
    if isinstance(block_id, str) and len(block_id) > MAX_ID_LENGTH:
        errors.append(f"{where}: block_id longer than {MAX_ID_LENGTH} characters")
    errors.extend(f"{where}: duplicate action_id {aid!r}" for aid, count in action_ids.items() if count > 1)
    return errors


def _feedback_button_errors(element: dict[str, Any], where: str) -> list[str]:
    """slack_sdk checks a feedback_buttons element but not the two buttons inside it."""
    if element.get("type") != "feedback_buttons":
        return []
    errors = []
    for side in ("positive_button", "negative_button"):
        button = element.get(side)
        if not isinstance(button, dict) or not isinstance(button.get("text"), dict):
            errors.append(f"{where}: {side} needs plain_text text")
            continue
        if button["text"].get("type") != "plain_text":
            errors.append(f"{where}: {side} needs plain_text text")
            continue
        try:
            FeedbackButtonObject(**button).validate_json()
        except (SlackObjectFormationError, TypeError) as exc:
            errors.append(f"{where}: {side}: {exc}")
    return errors


def view_errors(view: Any, *, expected_type: str | None = None) -> list[str]:
    """Why Slack would reject this view (modal or home)."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    errors: list[str] = []
    if expected_type and view.get("type") != expected_type:
        errors.append(f"view type must be {expected_type!r}, got {view.get('type')!r}")
    if view.get("type") not in ("modal", "home"):
        errors.append(f"unknown view type {view.get('type')!r}")
        return errors
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as exc:
        errors.append(str(exc))
    errors.extend(block_errors(view.get("blocks", []), limit=MAX_VIEW_BLOCKS))
    has_inputs = any(b.get("type") == "input" for b in view.get("blocks", []) if isinstance(b, dict))
    if view.get("type") == "modal" and has_inputs and not view.get("submit"):
        errors.append("a modal with input blocks needs a submit button")
    return list(dict.fromkeys(errors))


def minimal_manifest(
    *,
    scopes: Sequence[str],
    events: Sequence[str],
    commands: Sequence[str] = (),
    name: str = "tester",
    interactivity: bool = True,
) -> dict[str, Any]:
    """A small manifest for apps built inside tests (the local Slack enforces its scopes and events)."""
    return {
        "display_information": {"name": name},
        "features": {"bot_user": {"display_name": name}, "slash_commands": [{"command": c} for c in commands]},
        "oauth_config": {"scopes": {"bot": list(scopes)}},
        "settings": {
            "event_subscriptions": {"bot_events": list(events)},
            "interactivity": {"is_enabled": interactivity},
        },
    }


class Manifest:
    """The parts of the app manifest the local Slack enforces."""

    def __init__(self, manifest: dict[str, Any] | None) -> None:
        self.raw = manifest
        features = (manifest or {}).get("features", {})
        settings = (manifest or {}).get("settings", {})
        self.bot_scopes: frozenset[str] | None = (
            frozenset((manifest.get("oauth_config", {}).get("scopes", {}) or {}).get("bot", []))
            if manifest is not None
            else None
        )
        self.commands: frozenset[str] | None = (
            frozenset(c["command"] for c in features.get("slash_commands", []) or []) if manifest is not None else None
        )
        events = (settings.get("event_subscriptions") or {}).get("bot_events")
        self.events: frozenset[str] = frozenset(events or []) if manifest is not None else DEFAULT_EVENTS
        interactivity = settings.get("interactivity") or {}
        self.interactivity = bool(interactivity.get("is_enabled", True)) if manifest is not None else True
        self.bot_name: str = (
            (features.get("bot_user") or {}).get("display_name")
            or (manifest or {}).get("display_information", {}).get("name")
            or "coach"
        )

    def scopes_header(self) -> str:
        """The `x-oauth-scopes` header value Slack sends with answers to the bot token."""
        if self.bot_scopes is None:
            return ",".join(
                sorted(
                    {s for scopes in METHOD_SCOPES.values() for s in scopes}
                    | {s for m in CONVERSATION_SCOPES.values() for s in m.values()}
                    | {"commands", "app_mentions:read"}
                )
            )
        return ",".join(sorted(self.bot_scopes))

    def missing_scope(self, method: str, conversation_kind: str | None) -> tuple[str, ...] | None:
        """The scopes `method` needs that the manifest doesn't grant (None when allowed)."""
        if self.bot_scopes is None:
            return None
        if method in CONVERSATION_SCOPES:
            needed_for_kind = CONVERSATION_SCOPES[method].get(conversation_kind or "")
            if needed_for_kind is None:
                return None
            needed: tuple[str, ...] = (needed_for_kind,)
        else:
            needed = METHOD_SCOPES.get(method, ())
        if not needed or any(scope in self.bot_scopes for scope in needed):
            return None
        return needed

    def problems(self) -> list[str]:
        """Inconsistencies inside the manifest itself (an event or command without its scope)."""
        if self.raw is None or self.bot_scopes is None:
            return []
        found = []
        if self.commands and "commands" not in self.bot_scopes:
            found.append("manifest: slash commands need the 'commands' scope")
        for event in sorted(self.events):
            scope = EVENT_SCOPES.get(event)
            if scope and scope not in self.bot_scopes:
                found.append(f"manifest: event {event} needs the {scope!r} scope")
        return found
