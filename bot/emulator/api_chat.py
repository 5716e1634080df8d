"""Messaging methods: chat.*, streaming, scheduled messages, reactions, assistant threads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.emulator.checks import block_errors
from bot.emulator.workspace import (
    AssistantThread,
    Ephemeral,
    Message,
    ScheduledMessage,
    SlackError,
    fill_ids,
)

if TYPE_CHECKING:
    from bot.emulator.web_api import Handler, Params, WebApi

SCHEDULE_HORIZON = timedelta(days=120)
MAX_STREAM_CHUNK_CHARS = 12_000


def thread_parent(api: WebApi, channel: str, thread_ts: Any, method: str) -> str | None:
    """The thread parent a reply goes under; an unknown thread_ts is reported (Slack would orphan it)."""
    if not thread_ts:
        return None
    root = api.workspace.thread_root(channel, str(thread_ts))
    if root is not None and (channel, root) not in api.workspace.messages:
        api.report(f"{method}: thread_ts {thread_ts} matches no message in {channel}")
    return root


def new_bot_message(
    api: WebApi,
    channel: str,
    *,
    text: str,
    blocks: list[dict[str, Any]],
    attachments: list[dict[str, Any]],
    thread_ts: str | None,
    metadata: dict[str, Any] | None = None,
    streaming: bool = False,
    files: list[str] | None = None,
    subtype: str | None = None,
) -> Message:
    """Store a message from the app and echo it back as an event, as Slack does."""
    message = Message(
        channel=channel,
        ts=api.workspace.next_ts(),
        user=api.bot.user_id,
        team=api.workspace.team_id,
        text=text,
        blocks=fill_ids(blocks),
        attachments=attachments,
        thread_ts=thread_ts,
        bot_id=api.bot.bot_id,
        app_id=api.bot.app_id,
        metadata=metadata,
        streaming=streaming,
        files=files or [],
        subtype=subtype,
        username=api.bot.name,
    )
    api.workspace.add_message(message)
    api.emitter.message_posted(message, base_url=api.base_url())
    return message


def post_as_bot(api: WebApi, channel: str, params: Mapping[str, Any], *, method: str) -> Message:
    """Post a message as the app (chat.postMessage, scheduled messages, in_channel responses)."""
    conversation = api.postable(channel)
    text, blocks, attachments = api.checked_content(params, method=method)
    thread_ts = thread_parent(api, conversation.id, params.get("thread_ts"), method)
    metadata = params.get("metadata") if isinstance(params.get("metadata"), dict) else None
    return new_bot_message(
        api, conversation.id, text=text, blocks=blocks, attachments=attachments, thread_ts=thread_ts, metadata=metadata
    )


async def chat_post_message(api: WebApi, params: Params) -> dict[str, Any]:
    """Post a message (the bot's own message is echoed back as a `message` event)."""
    message = post_as_bot(api, params.require("channel"), params, method="chat.postMessage")
    return {
        "channel": message.channel,
        "ts": message.ts,
        "message": api.workspace.message_to_api(message, base_url=api.base_url()),
    }


async def chat_post_ephemeral(api: WebApi, params: Params) -> dict[str, Any]:
    """Show a message to one member of a conversation."""
    conversation = api.postable(params.require("channel"))
    user = str(params.require("user"))
    if user not in api.workspace.users:
        raise SlackError("user_not_found")
    if user not in conversation.members:
        raise SlackError("user_not_in_channel")
    text, blocks, attachments = api.checked_content(params, method="chat.postEphemeral")
    ephemeral = Ephemeral(
        channel=conversation.id,
        user=user,
        ts=api.workspace.next_ts(),
        sender=api.bot.user_id,
        text=text,
        blocks=fill_ids(blocks),
        attachments=attachments,
        thread_ts=thread_parent(api, conversation.id, params.get("thread_ts"), "chat.postEphemeral"),
        bot_id=api.bot.bot_id,
    )
    api.workspace.add_ephemeral(ephemeral)
    return {"message_ts": ephemeral.ts}


async def chat_update(api: WebApi, params: Params) -> dict[str, Any]:
    """Edit one of the app's messages (a `message_changed` event follows)."""
    conversation = api.conversation(params.require("channel"))
    if conversation.is_archived:
        raise SlackError("is_archived")
    message = api.workspace.get_message(conversation.id, str(params.require("ts")))
    if message.user != api.bot.user_id:
        raise SlackError("cant_update_message")
    if not any(key in params for key in ("text", "blocks", "attachments", "markdown_text")):
        raise SlackError("no_text")
    text, blocks, attachments = api.checked_content(params, method="chat.update", require_content=False)
    previous = api.workspace.message_to_api(message, base_url=api.base_url())
    if "text" in params or "markdown_text" in params:
        message.text = text
    if "blocks" in params:
        message.blocks = fill_ids(blocks)
    if "attachments" in params:
        message.attachments = attachments
    if isinstance(params.get("metadata"), dict):
        message.metadata = params["metadata"]
    message.edited = {"user": api.bot.user_id, "ts": api.workspace.next_ts()}
    api.workspace.changed()
    api.emitter.message_changed(message, previous, base_url=api.base_url())
    return {
        "channel": conversation.id,
        "ts": message.ts,
        "text": message.text,
        "message": api.workspace.message_to_api(message, base_url=api.base_url()),
    }


async def chat_delete(api: WebApi, params: Params) -> dict[str, Any]:
    """Delete one of the app's messages."""
    conversation = api.conversation(params.require("channel"))
    message = api.workspace.get_message(conversation.id, str(params.require("ts")))
    if message.user != api.bot.user_id:
        raise SlackError("cant_delete_message")
    previous = api.workspace.message_to_api(message, base_url=api.base_url())
    message.deleted = True
    api.workspace.changed()
    api.emitter.message_deleted(conversation, previous)
    return {"channel": conversation.id, "ts": message.ts}


async def chat_get_permalink(api: WebApi, params: Params) -> dict[str, Any]:
    """A link to a message."""
    conversation = api.conversation(params.require("channel"))
    message = api.workspace.get_message(conversation.id, str(params.require("message_ts")))
    link = f"https://{api.workspace.team_domain}.slack.com/archives/{conversation.id}/p{message.ts.replace('.', '')}"
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={conversation.id}"
    return {"channel": conversation.id, "permalink": link}


async def chat_schedule_message(api: WebApi, params: Params) -> dict[str, Any]:
    """Post later, when the clock reaches `post_at`."""
    conversation = api.postable(params.require("channel"))
    post_at = params.integer("post_at")
    now = api.workspace.clock.now()
    if post_at is None:
        raise SlackError("invalid_time")
    if post_at <= int(now.timestamp()):
        raise SlackError("time_in_past")
    if post_at > int((now + SCHEDULE_HORIZON).timestamp()):
        raise SlackError("time_too_far")
    text, blocks, _ = api.checked_content(params, method="chat.scheduleMessage")
    scheduled = ScheduledMessage(
        id=api.workspace.new_id("Q"), channel=conversation.id, post_at=post_at, params=dict(params)
    )
    api.workspace.scheduled[scheduled.id] = scheduled
    api.workspace.changed()
    return {
        "channel": conversation.id,
        "scheduled_message_id": scheduled.id,
        "post_at": post_at,
        "message": {
            "type": "message",
            "text": text,
            "blocks": blocks,
            "user": api.bot.user_id,
            "bot_id": api.bot.bot_id,
            "team": api.workspace.team_id,
        },
    }


def post_due_scheduled(api: WebApi) -> list[Message]:
    """Post every scheduled message whose time has come (by the injected clock)."""
    now = api.workspace.now_seconds()
    posted = []
    for scheduled in sorted(api.workspace.scheduled.values(), key=lambda s: s.post_at):
        if scheduled.posted_ts is None and scheduled.post_at <= now:
            try:
                message = post_as_bot(api, scheduled.channel, scheduled.params, method="chat.scheduleMessage")
            except SlackError as error:
                api.report(f"scheduled message {scheduled.id} could not be posted: {error.code}")
                scheduled.posted_ts = "failed"
                continue
            scheduled.posted_ts = message.ts
            posted.append(message)
    return posted


async def chat_scheduled_messages_list(api: WebApi, params: Params) -> dict[str, Any]:
    """Scheduled messages not yet posted."""
    channel = params.get("channel")
    found = [
        {
            "id": s.id,
            "channel_id": s.channel,
            "post_at": s.post_at,
            "date_created": s.post_at,
            "text": s.params.get("text", ""),
        }
        for s in api.workspace.scheduled.values()
        if s.posted_ts is None and (not channel or s.channel == channel)
    ]
    return {"scheduled_messages": found, "response_metadata": {"next_cursor": ""}}


async def chat_delete_scheduled_message(api: WebApi, params: Params) -> dict[str, Any]:
    """Cancel a scheduled message."""
    scheduled = api.workspace.scheduled.get(str(params.require("scheduled_message_id")))
    if scheduled is None or scheduled.posted_ts is not None or scheduled.channel != params.get("channel"):
        raise SlackError("invalid_scheduled_message_id")
    del api.workspace.scheduled[scheduled.id]
    api.workspace.changed()
    return {}


def _stream_text(api: WebApi, params: Params, method: str) -> str:
    parts = [params.get("markdown_text") or ""]
    for chunk in params.get("chunks") or []:
        if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
            parts.append(str(chunk.get("text", "")))
    text = "".join(parts)
    if len(text) > MAX_STREAM_CHUNK_CHARS:
        raise SlackError("msg_too_long")
    api.report_pings(method, text)
    return text


async def chat_start_stream(api: WebApi, params: Params) -> dict[str, Any]:
    """Start a streamed reply in a thread; appends and the stop assemble it into one message."""
    conversation = api.postable(params.require("channel"))
    thread_ts = thread_parent(api, conversation.id, params.require("thread_ts"), "chat.startStream")
    if conversation.kind != "im":
        if not params.get("recipient_team_id"):
            raise SlackError("missing_recipient_team_id")
        if not params.get("recipient_user_id"):
            raise SlackError("missing_recipient_user_id")
    message = new_bot_message(
        api,
        conversation.id,
        text=_stream_text(api, params, "chat.startStream"),
        blocks=[],
        attachments=[],
        thread_ts=thread_ts,
        streaming=True,
    )
    return {"channel": conversation.id, "ts": message.ts}


def _streaming_message(api: WebApi, params: Params) -> Message:
    conversation = api.conversation(params.require("channel"))
    message = api.workspace.get_message(conversation.id, str(params.require("ts")))
    if message.user != api.bot.user_id or not message.streaming:
        raise SlackError("message_not_in_streaming_state")
    return message


async def chat_append_stream(api: WebApi, params: Params) -> dict[str, Any]:
    """Append markdown to a streaming message."""
    message = _streaming_message(api, params)
    message.text += _stream_text(api, params, "chat.appendStream")
    api.workspace.changed()
    return {"channel": message.channel, "ts": message.ts}


async def chat_stop_stream(api: WebApi, params: Params) -> dict[str, Any]:
    """Finish a streaming message (optional blocks go at its bottom)."""
    message = _streaming_message(api, params)
    blocks = params.get("blocks") or []
    if blocks:
        errors = block_errors(blocks)
        if errors:
            api.report("invalid blocks in chat.stopStream: " + "; ".join(errors))
            raise SlackError("invalid_blocks", errors=errors)
    previous = api.workspace.message_to_api(message, base_url=api.base_url())
    message.text += _stream_text(api, params, "chat.stopStream")
    message.blocks = fill_ids(blocks)
    if isinstance(params.get("metadata"), dict):
        message.metadata = params["metadata"]
    message.streaming = False
    api.workspace.changed()
    api.emitter.message_changed(message, previous, base_url=api.base_url())
    return {
        "channel": message.channel,
        "ts": message.ts,
        "message": api.workspace.message_to_api(message, base_url=api.base_url()),
    }


def _reaction_target(api: WebApi, params: Params) -> tuple[Message, str]:
    conversation = api.conversation(params.require("channel"))
    message = api.workspace.get_message(conversation.id, str(params.require("timestamp")))
    name = str(params.require("name")).strip(":")
    if not name or " " in name:
        raise SlackError("invalid_name")
    return message, name


async def reactions_add(api: WebApi, params: Params) -> dict[str, Any]:
    """Add the bot's reaction to a message."""
    message, name = _reaction_target(api, params)
    users = message.reactions.setdefault(name, [])
    if api.bot.user_id in users:
        raise SlackError("already_reacted")
    users.append(api.bot.user_id)
    api.workspace.changed()
    api.emitter.reaction(added=True, user=api.bot.user_id, name=name, message=message)
    return {}


async def reactions_remove(api: WebApi, params: Params) -> dict[str, Any]:
    """Remove the bot's reaction from a message."""
    message, name = _reaction_target(api, params)
    users = message.reactions.get(name, [])
    if api.bot.user_id not in users:
        raise SlackError("no_reaction")
    users.remove(api.bot.user_id)
    api.workspace.changed()
    api.emitter.reaction(added=False, user=api.bot.user_id, name=name, message=message)
    return {}


async def reactions_get(api: WebApi, params: Params) -> dict[str, Any]:
    """A message with its reactions."""
    conversation = api.conversation(params.require("channel"))
    message = api.workspace.get_message(conversation.id, str(params.require("timestamp")))
    return {
        "type": "message",
        "channel": conversation.id,
        "message": api.workspace.message_to_api(message, base_url=api.base_url()),
    }


MAX_LOADING_MESSAGES = 10
MAX_SUGGESTED_PROMPTS = 4
CHANNEL_PROMPTS = ""
"""The key of prompts set without a thread_ts: an agent app's prompts for the whole conversation."""


def _assistant_thread(api: WebApi, channel_id: Any, thread_ts: Any) -> AssistantThread:
    conversation = api.conversation(channel_id)
    key = (conversation.id, str(thread_ts))
    return api.workspace.assistant_threads.setdefault(key, AssistantThread())


def _invalid(api: WebApi, method: str, why: str) -> SlackError:
    api.report(f"{method}: {why}")
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {why}"]})


def _loading_messages(api: WebApi, params: Params) -> list[str]:
    raw = params.get("loading_messages")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(line, str) and line for line in raw):
        raise _invalid(api, "assistant.threads.setStatus", "loading_messages must be a list of non-empty strings")
    if len(raw) > MAX_LOADING_MESSAGES:
        raise _invalid(
            api, "assistant.threads.setStatus", f"{len(raw)} loading_messages (at most {MAX_LOADING_MESSAGES})"
        )
    return list(raw)


async def assistant_set_status(api: WebApi, params: Params) -> dict[str, Any]:
    """The assistant's 'is thinking…' status in a thread, with loading messages to rotate through."""
    if "status" not in params:
        raise SlackError("invalid_arguments")
    thread = _assistant_thread(api, params.require("channel_id"), params.require("thread_ts"))
    thread.status = str(params.get("status") or "")
    thread.loading_messages = _loading_messages(api, params) if thread.status else []
    api.workspace.changed()
    return {}


def _prompts(api: WebApi, params: Params) -> list[dict[str, str]]:
    method = "assistant.threads.setSuggestedPrompts"
    raw = params.get("prompts")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_SUGGESTED_PROMPTS:
        raise _invalid(api, method, f"prompts must be a list of 1 to {MAX_SUGGESTED_PROMPTS} prompts")
    for prompt in raw:
        if not isinstance(prompt, dict) or not all(
            isinstance(prompt.get(key), str) and prompt[key].strip() for key in ("title", "message")
        ):
            raise _invalid(api, method, "each prompt needs a non-empty title and message")
    title = params.get("title")
    if title is not None and not isinstance(title, str):
        raise _invalid(api, method, "title must be a string")
    return [{"title": prompt["title"], "message": prompt["message"]} for prompt in raw]


async def assistant_set_prompts(api: WebApi, params: Params) -> dict[str, Any]:
    """Suggested prompts in an assistant thread (or, without thread_ts, for the app's conversation)."""
    prompts = _prompts(api, params)
    thread = _assistant_thread(api, params.require("channel_id"), params.get("thread_ts") or CHANNEL_PROMPTS)
    thread.prompts = prompts
    thread.prompts_title = str(params.get("title") or "")
    api.workspace.changed()
    return {}


async def assistant_set_title(api: WebApi, params: Params) -> dict[str, Any]:
    """The title of an assistant thread."""
    _assistant_thread(api, params.require("channel_id"), params.require("thread_ts")).title = str(
        params.get("title") or ""
    )
    api.workspace.changed()
    return {}


HANDLERS: dict[str, Handler] = {
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
    "chat.scheduleMessage": chat_schedule_message,
    "chat.scheduledMessages.list": chat_scheduled_messages_list,
    "chat.deleteScheduledMessage": chat_delete_scheduled_message,
    "chat.startStream": chat_start_stream,
    "chat.appendStream": chat_append_stream,
    "chat.stopStream": chat_stop_stream,
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
    "reactions.get": reactions_get,
    "assistant.threads.setStatus": assistant_set_status,
    "assistant.threads.setSuggestedPrompts": assistant_set_prompts,
    "assistant.threads.setTitle": assistant_set_title,
}
