"""Views: modals (open, push, update with single-use trigger ids and hashes) and the App Home tab."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from bot.emulator.checks import view_errors
from bot.emulator.workspace import SlackError, ViewRecord, fill_ids

if TYPE_CHECKING:
    from bot.emulator.web_api import Handler, Params, WebApi

MAX_MODAL_STACK = 3


def normalise_view(view: dict[str, Any]) -> dict[str, Any]:
    """A copy of the view with every block_id and action_id filled in, as Slack returns views."""
    view = copy.deepcopy(view)
    view["blocks"] = fill_ids(view.get("blocks", []))
    return view


def _validated(api: WebApi, params: Params, method: str, expected_type: str) -> dict[str, Any]:
    view = params.require("view")
    errors = view_errors(view, expected_type=expected_type)
    if errors:
        api.report(f"invalid view in {method}: " + "; ".join(errors))
        raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
    return normalise_view(view)


def _check_external_id(api: WebApi, view: dict[str, Any], *, keep: ViewRecord | None = None) -> None:
    external_id = view.get("external_id")
    if not external_id:
        return
    for other in api.workspace.views.values():
        if other is not keep and not other.closed and other.external_id == external_id:
            raise SlackError("duplicate_external_id")


def _new_record(api: WebApi, user: str, view: dict[str, Any], *, root: str | None, previous: str | None) -> ViewRecord:
    view_id = api.workspace.new_id("V")
    record = ViewRecord(
        id=view_id,
        user=user,
        type=view["type"],
        definition=view,
        hash=api.workspace.new_view_hash(),
        team_id=api.workspace.team_id,
        app_id=api.bot.app_id,
        bot_id=api.bot.bot_id,
        root_view_id=root or view_id,
        previous_view_id=previous,
        external_id=view.get("external_id"),
    )
    api.workspace.views[record.id] = record
    return record


async def views_open(api: WebApi, params: Params) -> dict[str, Any]:
    """Open a modal for the person whose interaction produced the trigger_id."""
    view = _validated(api, params, "views.open", "modal")
    _check_external_id(api, view)
    trigger = api.workspace.redeem_trigger(params.get("trigger_id"), ttl=api.trigger_ttl)
    api.workspace.close_modal(trigger.user, all_views=True)
    record = _new_record(api, trigger.user, view, root=None, previous=None)
    api.workspace.modal_stack(trigger.user).append(record)
    api.workspace.changed()
    return {"view": record.to_api()}


async def views_push(api: WebApi, params: Params) -> dict[str, Any]:
    """Push a modal on top of the one the person has open."""
    view = _validated(api, params, "views.push", "modal")
    _check_external_id(api, view)
    trigger = api.workspace.redeem_trigger(params.get("trigger_id"), ttl=api.trigger_ttl)
    stack = api.workspace.modal_stack(trigger.user)
    if not stack:
        raise SlackError("not_found")
    if len(stack) >= MAX_MODAL_STACK:
        raise SlackError("push_limit_reached")
    record = _new_record(api, trigger.user, view, root=stack[0].id, previous=stack[-1].id)
    stack.append(record)
    api.workspace.changed()
    return {"view": record.to_api()}


async def views_update(api: WebApi, params: Params) -> dict[str, Any]:
    """Replace an open modal (or a home view) by view_id or external_id; a stale hash is a conflict."""
    if not params.get("view_id") and not params.get("external_id"):
        raise SlackError("invalid_arguments")
    record = api.workspace.find_view(view_id=params.get("view_id"), external_id=params.get("external_id"))
    if params.get("hash") and params["hash"] != record.hash:
        raise SlackError("hash_conflict")
    view = _validated(api, params, "views.update", record.type)
    _check_external_id(api, view, keep=record)
    record.definition = view
    record.external_id = view.get("external_id") or record.external_id
    record.hash = api.workspace.new_view_hash()
    record.errors = {}
    api.workspace.changed()
    return {"view": record.to_api()}


async def views_publish(api: WebApi, params: Params) -> dict[str, Any]:
    """Publish a person's App Home tab."""
    user = str(params.require("user_id"))
    if user not in api.workspace.users:
        raise SlackError("user_not_found")
    existing = api.workspace.homes.get(user)
    if params.get("hash") and existing is not None and params["hash"] != existing.hash:
        raise SlackError("hash_conflict")
    view = _validated(api, params, "views.publish", "home")
    if existing is None:
        existing = _new_record(api, user, view, root=None, previous=None)
        api.workspace.homes[user] = existing
    else:
        existing.definition = view
        existing.hash = api.workspace.new_view_hash()
        existing.external_id = view.get("external_id") or existing.external_id
    api.workspace.changed()
    return {"view": existing.to_api()}


HANDLERS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
