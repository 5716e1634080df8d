"""What Slack does with the app's answers: command acks, view_submission response_actions, response_urls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.api_chat import new_bot_message
from bot.emulator.api_views import MAX_MODAL_STACK, normalise_view
from bot.emulator.checks import block_errors, broadcast_pings, view_errors
from bot.emulator.workspace import (
    RESPONSE_URL_TTL_SECONDS,
    RESPONSE_URL_USES,
    Conversation,
    Ephemeral,
    Message,
    ResponseHook,
    ViewRecord,
    fill_ids,
)

if TYPE_CHECKING:
    from bot.emulator.web_api import WebApi

CONTENT_KEYS = ("text", "blocks", "attachments")


@dataclass
class ModalOutcome:
    """What became of a submitted modal: closed, errors shown, updated, pushed, cleared, or failed."""

    action: str
    errors: dict[str, str] = field(default_factory=dict)
    view: ViewRecord | None = None


def _is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _content_problems(body: dict[str, Any]) -> list[str]:
    problems = block_errors(body["blocks"]) if body.get("blocks") else []
    pings = broadcast_pings(body.get("text"), body.get("blocks"))
    return problems + ([f"it would ping everyone: {', '.join(pings)}"] if pings else [])


def _ephemeral(
    api: WebApi, *, user: str, channel: str, body: dict[str, Any], thread_ts: str | None, source: str
) -> Ephemeral:
    ephemeral = Ephemeral(
        channel=channel,
        user=user,
        ts=api.workspace.next_ts(),
        sender=api.bot.user_id,
        text=str(body.get("text") or ""),
        blocks=fill_ids(list(body.get("blocks") or [])),
        attachments=list(body.get("attachments") or []),
        thread_ts=thread_ts,
        source=source,
        bot_id=api.bot.bot_id,
    )
    return api.workspace.add_ephemeral(ephemeral)


def _in_channel(api: WebApi, conversation: Conversation, body: dict[str, Any], thread_ts: str | None) -> Message:
    return new_bot_message(
        api,
        conversation.id,
        text=str(body.get("text") or ""),
        blocks=list(body.get("blocks") or []),
        attachments=list(body.get("attachments") or []),
        thread_ts=thread_ts,
    )


def apply_command_ack(
    api: WebApi, *, user: str, conversation: Conversation, command: str, ack: Any
) -> Ephemeral | Message | None:
    """A slash command's ack body: text or a message shown to the person (or posted, when `in_channel`)."""
    if ack is None:
        return None
    body = {"text": ack} if isinstance(ack, str) else ack
    if not isinstance(body, dict) or not any(body.get(key) for key in CONTENT_KEYS):
        return None
    problems = _content_problems(body)
    if problems:
        api.report(f"invalid blocks in the ack of {command}: " + "; ".join(problems))
        return None
    if body.get("response_type") == "in_channel":
        return _in_channel(api, conversation, body, None)
    return _ephemeral(api, user=user, channel=conversation.id, body=body, thread_ts=None, source="command_ack")


def apply_view_submission_ack(api: WebApi, *, record: ViewRecord, ack: Any) -> ModalOutcome:
    """A view_submission ack: close the view, show errors, update, push, or clear the stack."""
    user = record.user
    if ack is None:
        api.workspace.close_modal(user)
        return ModalOutcome("closed", view=api.workspace.top_modal(user))
    if not isinstance(ack, dict) or "response_action" not in ack:
        api.report(
            f"view_submission of {record.callback_id!r}: Slack can't use the ack body {ack!r} "
            "(answer empty, or with a response_action)"
        )
        return ModalOutcome("failed", view=record)
    action = ack["response_action"]
    if action == "errors":
        errors = dict(ack.get("errors") or {})
        input_ids = {b.get("block_id") for b in record.blocks if b.get("type") == "input"}
        unknown = sorted(set(errors) - input_ids)
        if unknown:
            api.report(f"view_submission errors name blocks that are not input blocks of the view: {unknown}")
        record.errors = errors
        api.workspace.changed()
        return ModalOutcome("errors", errors=errors, view=record)
    if action == "clear":
        api.workspace.close_modal(user, all_views=True)
        return ModalOutcome("clear")
    if action in ("update", "push"):
        problems = view_errors(ack.get("view"), expected_type="modal")
        if problems:
            api.report(f"invalid view in response_action {action}: " + "; ".join(problems))
            return ModalOutcome("failed", view=record)
        view = normalise_view(ack["view"])
        if action == "update":
            record.definition = view
            record.hash = api.workspace.new_view_hash()
            record.errors = {}
            api.workspace.changed()
            return ModalOutcome("update", view=record)
        stack = api.workspace.modal_stack(user)
        if len(stack) >= MAX_MODAL_STACK:
            api.report("response_action push: the modal stack already holds 3 views")
            return ModalOutcome("failed", view=record)
        pushed = ViewRecord(
            id=api.workspace.new_id("V"),
            user=user,
            type="modal",
            definition=view,
            hash=api.workspace.new_view_hash(),
            team_id=record.team_id,
            app_id=record.app_id,
            bot_id=record.bot_id,
            root_view_id=stack[0].id if stack else record.id,
            previous_view_id=record.id,
            external_id=view.get("external_id"),
        )
        api.workspace.views[pushed.id] = pushed
        stack.append(pushed)
        api.workspace.changed()
        return ModalOutcome("push", view=pushed)
    api.report(f"view_submission: unknown response_action {action!r}")
    return ModalOutcome("failed", view=record)


async def answer_response_url(api: WebApi, hook: ResponseHook, body: dict[str, Any]) -> tuple[int, str]:
    """Apply a `respond()` body: replace or delete the original, post in channel, or show ephemerally."""
    ws = api.workspace
    if hook.uses >= RESPONSE_URL_USES:
        return 404, "used_url"
    if ws.clock.now() - hook.created_at > timedelta(seconds=RESPONSE_URL_TTL_SECONDS):
        return 404, "expired_url"
    hook.uses += 1
    if _is_true(body.get("delete_original")):
        _delete_original(api, hook)
        return 200, "ok"
    if not any(body.get(key) for key in CONTENT_KEYS):
        return 400, "no_text"
    problems = _content_problems(body)
    if problems:
        api.report("invalid blocks in a response_url answer: " + "; ".join(problems))
        return 400, "invalid_blocks"
    conversation = ws.conversations[hook.channel]
    if _is_true(body.get("replace_original")) and _replace_original(api, hook, body):
        return 200, "ok"
    if body.get("response_type") == "in_channel":
        _in_channel(api, conversation, body, body.get("thread_ts") or hook.thread_ts)
    else:
        ephemeral = _ephemeral(
            api, user=hook.user, channel=hook.channel, body=body, thread_ts=hook.thread_ts, source="response_url"
        )
        hook.last_ephemeral_ts = ephemeral.ts
    return 200, "ok"


def _delete_original(api: WebApi, hook: ResponseHook) -> None:
    target_ts = hook.original_ts or hook.last_ephemeral_ts
    if target_ts is None:
        return
    ephemeral = api.workspace.find_ephemeral(target_ts)
    if ephemeral is not None:
        ephemeral.deleted = True
        api.workspace.changed()
        return
    message = api.workspace.messages.get((hook.channel, target_ts))
    if message is not None and not message.deleted:
        previous = api.workspace.message_to_api(message, base_url=api.base_url())
        message.deleted = True
        api.workspace.changed()
        api.emitter.message_deleted(api.workspace.conversations[hook.channel], previous)


def _replace_original(api: WebApi, hook: ResponseHook, body: dict[str, Any]) -> bool:
    target_ts = hook.original_ts or hook.last_ephemeral_ts
    if target_ts is None:
        return False
    ephemeral = api.workspace.find_ephemeral(target_ts)
    if ephemeral is not None:
        ephemeral.text = str(body.get("text") or "")
        ephemeral.blocks = fill_ids(list(body.get("blocks") or []))
        ephemeral.attachments = list(body.get("attachments") or [])
        api.workspace.changed()
        return True
    message = api.workspace.messages.get((hook.channel, target_ts))
    if message is None or message.deleted:
        return False
    previous = api.workspace.message_to_api(message, base_url=api.base_url())
    message.text = str(body.get("text") or "")
    message.blocks = fill_ids(list(body.get("blocks") or []))
    message.attachments = list(body.get("attachments") or [])
    message.edited = {"user": api.bot.user_id, "ts": api.workspace.next_ts()}
    api.workspace.changed()
    api.emitter.message_changed(message, previous, base_url=api.base_url())
    return True


async def read_response_body(request: web.Request) -> dict[str, Any]:
    """A response_url POST body: JSON, or a form with a `payload` field."""
    raw = await request.read()
    try:
        if request.content_type == "application/json" or raw.lstrip().startswith(b"{"):
            body = json.loads(raw or b"{}")
        else:
            form = await request.post()
            body = json.loads(str(form.get("payload") or "{}"))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
