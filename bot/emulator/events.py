"""Payloads in the shapes Slack documents: Events API callbacks, slash commands, interactions."""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any

from bot.emulator.workspace import Conversation, Enterprise, Message, User, ViewRecord

# The legacy verification token Slack still puts in payloads (Bolt ignores it when signing is on).
VERIFICATION_TOKEN = "local-verification-token"
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def new_event_id() -> str:
    """A fresh `Ev…` id."""
    return "Ev" + secrets.token_hex(5).upper()


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The rich_text block Slack's clients attach to a person's message (mentions as user elements)."""
    elements: list[dict[str, Any]] = []
    position = 0
    for match in _MENTION.finditer(text):
        if match.start() > position:
            elements.append({"type": "text", "text": text[position : match.start()]})
        elements.append({"type": "user", "user_id": match.group(1)})
        position = match.end()
    if position < len(text):
        elements.append({"type": "text", "text": text[position:]})
    block_id = base64.b32encode(secrets.token_bytes(3)).decode().rstrip("=")[:5]
    return [
        {"type": "rich_text", "block_id": block_id, "elements": [{"type": "rich_text_section", "elements": elements}]}
    ]


def event_callback(
    *,
    team_id: str,
    app_id: str,
    bot_user_id: str,
    event: dict[str, Any],
    event_time: int,
    event_id: str | None = None,
    enterprise: Enterprise | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, Any]:
    """The Events API envelope around one event (an org-wide install is authorized for the enterprise)."""
    event_id = event_id or new_event_id()
    enterprise_id = enterprise.id if enterprise is not None else None
    context = base64.b64encode(
        json.dumps({"tid": team_id, "aid": app_id, "cid": event.get("channel")}).encode()
    ).decode()
    payload: dict[str, Any] = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": enterprise_id,
        "api_app_id": app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": None if is_enterprise_install else team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": is_enterprise_install,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{context}",
    }
    if enterprise_id is not None:
        payload["enterprise_id"] = enterprise_id
    return payload


def message_event(message: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
    """A `message` event for a message object (as the Web API shows it) in `conversation`."""
    event = {
        key: value
        for key, value in message.items()
        if key not in ("reply_count", "reply_users", "reply_users_count", "latest_reply", "reactions")
    }
    event["channel"] = conversation.id
    event["event_ts"] = message["ts"]
    event["channel_type"] = conversation.kind
    return event


def app_mention_event(message: Message) -> dict[str, Any]:
    """An `app_mention` event for a person's message that mentions the bot."""
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "team": message.team,
        "channel": message.channel,
        "event_ts": message.ts,
        "blocks": message.blocks,
    }
    if message.client_msg_id:
        event["client_msg_id"] = message.client_msg_id
    if message.is_reply:
        event["thread_ts"] = message.thread_ts
    return event


def message_changed_event(
    *, conversation: Conversation, new: dict[str, Any], previous: dict[str, Any], event_ts: str
) -> dict[str, Any]:
    """A `message_changed` event (an edit)."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": new,
        "previous_message": previous,
        "channel": conversation.id,
        "hidden": True,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": conversation.kind,
    }


def message_deleted_event(*, conversation: Conversation, previous: dict[str, Any], event_ts: str) -> dict[str, Any]:
    """A `message_deleted` event."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "previous_message": previous,
        "channel": conversation.id,
        "hidden": True,
        "deleted_ts": previous["ts"],
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": conversation.kind,
    }


def app_home_opened_event(
    *, user: str, channel: str, tab: str, event_ts: str, view: ViewRecord | None
) -> dict[str, Any]:
    """An `app_home_opened` event (`tab` is `home` or `messages`)."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": event_ts,
    }
    if view is not None and tab == "home":
        event["view"] = view.to_api()
    return event


def assistant_thread_started_event(
    *, user: str, channel: str, thread_ts: str, team_id: str, context_channel: str | None, event_ts: str
) -> dict[str, Any]:
    """An `assistant_thread_started` event: a person opened a new thread with the app in its agent view."""
    context: dict[str, Any] = {"team_id": team_id, "enterprise_id": None}
    if context_channel:
        context["channel_id"] = context_channel
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {"user_id": user, "context": context, "channel_id": channel, "thread_ts": thread_ts},
        "event_ts": event_ts,
    }


def reaction_event(*, added: bool, user: str, reaction: str, message: Message, event_ts: str) -> dict[str, Any]:
    """A `reaction_added` / `reaction_removed` event."""
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": message.channel, "ts": message.ts},
        "item_user": message.user,
        "event_ts": event_ts,
    }


def user_ref(user: User) -> dict[str, Any]:
    """The `user` object interaction payloads carry."""
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id}


def team_ref(team_id: str, domain: str, enterprise: Enterprise | None = None) -> dict[str, Any]:
    """The `team` object interaction payloads carry (with the enterprise in a Grid workspace)."""
    team: dict[str, Any] = {"id": team_id, "domain": domain}
    if enterprise is not None:
        team.update(enterprise_id=enterprise.id, enterprise_name=enterprise.name)
    return team


def app_uninstalled_event(*, event_ts: str) -> dict[str, Any]:
    """An `app_uninstalled` event: the app was removed from the workspace."""
    return {"type": "app_uninstalled", "event_ts": event_ts}


def tokens_revoked_event(*, user_ids: list[str], bot_user_ids: list[str], event_ts: str) -> dict[str, Any]:
    """A `tokens_revoked` event: whose user (`oauth`) and bot tokens stopped working."""
    return {"type": "tokens_revoked", "tokens": {"oauth": user_ids, "bot": bot_user_ids}, "event_ts": event_ts}


def slash_command(
    *,
    team_id: str,
    team_domain: str,
    app_id: str,
    conversation: Conversation,
    user: User,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
    enterprise: Enterprise | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, str]:
    """A slash command's form fields (sent form-encoded over HTTP, as a dict over Socket Mode)."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": conversation.id,
        "channel_name": "directmessage" if conversation.kind == "im" else conversation.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": app_id,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    if enterprise is not None:
        fields.update(enterprise_id=enterprise.id, enterprise_name=enterprise.name)
    return fields


def block_actions(
    *,
    team_id: str,
    team_domain: str,
    app_id: str,
    user: User,
    action: dict[str, Any],
    trigger_id: str,
    container: dict[str, Any],
    channel: Conversation | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
    state: dict[str, Any] | None = None,
    enterprise: Enterprise | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, Any]:
    """A `block_actions` interaction payload."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_ref(user),
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": team_ref(team_id, team_domain, enterprise),
        "enterprise": enterprise.to_api() if enterprise is not None else None,
        "is_enterprise_install": is_enterprise_install,
        "state": state or {"values": {}},
        "actions": [action],
    }
    if channel is not None:
        payload["channel"] = {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name}
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(
    *,
    team_id: str,
    team_domain: str,
    app_id: str,
    user: User,
    view: dict[str, Any],
    trigger_id: str,
    enterprise: Enterprise | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, Any]:
    """A `view_submission` interaction payload."""
    return {
        "type": "view_submission",
        "team": team_ref(team_id, team_domain, enterprise),
        "user": user_ref(user),
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": is_enterprise_install,
        "enterprise": enterprise.to_api() if enterprise is not None else None,
    }


def view_closed(
    *,
    team_id: str,
    team_domain: str,
    app_id: str,
    user: User,
    view: dict[str, Any],
    is_cleared: bool,
    enterprise: Enterprise | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, Any]:
    """A `view_closed` interaction payload (only for views with `notify_on_close`)."""
    return {
        "type": "view_closed",
        "team": team_ref(team_id, team_domain, enterprise),
        "user": user_ref(user),
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "view": view,
        "is_cleared": is_cleared,
        "is_enterprise_install": is_enterprise_install,
        "enterprise": enterprise.to_api() if enterprise is not None else None,
    }
