"""Identity and conversation methods: auth, users, team, bots, conversations.*."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator.workspace import SlackError

if TYPE_CHECKING:
    from bot.emulator.web_api import Handler, Params, WebApi

DEFAULT_PAGE = 100


async def auth_test(api: WebApi, params: Params) -> dict[str, Any]:
    """Who the token belongs to: the bot user, the bot and the team, or the enterprise for an org-wide token."""
    ws = api.workspace
    installation = api.installation
    enterprise = installation.enterprise if installation is not None else None
    answer: dict[str, Any] = {
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": api.bot.name,
        "team_id": ws.team_id,
        "user_id": api.bot.user_id,
        "bot_id": api.bot.bot_id,
        "app_id": api.bot.app_id,
        "is_enterprise_install": False,
    }
    if enterprise is not None:
        answer["enterprise_id"] = enterprise.id
    if installation is not None and installation.is_enterprise_install and enterprise is not None:
        answer.update(
            url=f"https://{enterprise.domain}.enterprise.slack.com/",
            team=enterprise.name,
            team_id=enterprise.id,
            is_enterprise_install=True,
        )
    return answer


async def users_info(api: WebApi, params: Params) -> dict[str, Any]:
    """One user, with tz and tz_offset."""
    user = api.workspace.users.get(str(params.require("user")))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user.to_api(api.workspace.clock.now())}


async def users_list(api: WebApi, params: Params) -> dict[str, Any]:
    """Every user (one page)."""
    now = api.workspace.clock.now()
    return {
        "members": [user.to_api(now) for user in api.workspace.users.values()],
        "cache_ts": api.workspace.now_seconds(),
        "response_metadata": {"next_cursor": ""},
    }


async def team_info(api: WebApi, params: Params) -> dict[str, Any]:
    """The workspace."""
    ws = api.workspace
    return {
        "team": {
            "id": ws.team_id,
            "name": ws.team_name,
            "domain": ws.team_domain,
            "email_domain": "",
            "icon": {"image_default": True},
        }
    }


async def bots_info(api: WebApi, params: Params) -> dict[str, Any]:
    """The app's bot (the only bot in this workspace)."""
    bot_id = params.get("bot") or api.bot.bot_id
    if bot_id != api.bot.bot_id:
        raise SlackError("bot_not_found")
    return {
        "bot": {
            "id": api.bot.bot_id,
            "deleted": False,
            "name": api.bot.name,
            "updated": api.workspace.now_seconds(),
            "app_id": api.bot.app_id,
            "user_id": api.bot.user_id,
            "icons": {},
        }
    }


async def conversations_open(api: WebApi, params: Params) -> dict[str, Any]:
    """The DM with one person (group DMs are not modelled)."""
    if params.get("channel"):
        conversation = api.conversation(params["channel"])
        return {
            "channel": conversation.to_api(bot_user_id=api.bot.user_id)
            if params.flag("return_im")
            else {"id": conversation.id}
        }
    users = [u for u in str(params.require("users")).split(",") if u]
    if len(users) != 1:
        raise SlackError("not_implemented", detail="group DMs are not modelled by the local Slack")
    user = api.workspace.users.get(users[0])
    if user is None or user.deleted:
        raise SlackError("user_not_found")
    already = api.workspace.im_between(api.bot.user_id, user.id) is not None
    conversation = api.workspace.ensure_im(api.bot.user_id, user.id)
    channel = conversation.to_api(bot_user_id=api.bot.user_id) if params.flag("return_im") else {"id": conversation.id}
    return {"no_op": already, "already_open": already, "channel": channel}


async def conversations_info(api: WebApi, params: Params) -> dict[str, Any]:
    """One conversation."""
    conversation = api.conversation(params.require("channel"))
    return {"channel": conversation.to_api(bot_user_id=api.bot.user_id)}


async def conversations_members(api: WebApi, params: Params) -> dict[str, Any]:
    """A conversation's member ids, a page at a time (`limit`, then `cursor` from `next_cursor`)."""
    conversation = api.conversation(params.require("channel"))
    page, next_cursor = _page(list(conversation.members), params)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


async def conversations_list(api: WebApi, params: Params) -> dict[str, Any]:
    """Conversations of the requested types."""
    types = set(str(params.get("types") or "public_channel").split(","))
    wanted = {"public_channel": "channel", "private_channel": "group", "im": "im", "mpim": "mpim"}
    kinds = {wanted[t] for t in types if t in wanted}
    found = [
        c.to_api(bot_user_id=api.bot.user_id)
        for c in api.workspace.conversations.values()
        if c.kind in kinds
        and (c.kind == "channel" or api.bot.user_id in c.members)
        and not (params.flag("exclude_archived") and c.is_archived)
    ]
    return {"channels": found, "response_metadata": {"next_cursor": ""}}


async def conversations_join(api: WebApi, params: Params) -> dict[str, Any]:
    """The bot joins a public channel."""
    conversation = api.conversation(params.require("channel"))
    if conversation.kind != "channel":
        raise SlackError("method_not_supported_for_channel_type")
    if conversation.is_archived:
        raise SlackError("is_archived")
    if api.bot.user_id not in conversation.members:
        conversation.members.append(api.bot.user_id)
        api.workspace.changed()
    return {"channel": conversation.to_api(bot_user_id=api.bot.user_id)}


def _page(items: list[Any], params: Params) -> tuple[list[Any], str]:
    limit = params.integer("limit", DEFAULT_PAGE) or DEFAULT_PAGE
    try:
        start = int(params.get("cursor") or 0)
    except ValueError as exc:
        raise SlackError("invalid_cursor") from exc
    page = items[start : start + limit]
    next_cursor = str(start + limit) if start + limit < len(items) else ""
    return page, next_cursor


def _in_window(ts: str, params: Params) -> bool:
    inclusive = params.flag("inclusive")
    oldest, latest = params.get("oldest"), params.get("latest")
    if oldest and (float(ts) < float(oldest) or (float(ts) == float(oldest) and not inclusive)):
        return False
    return not (latest and (float(ts) > float(latest) or (float(ts) == float(latest) and not inclusive)))


async def conversations_history(api: WebApi, params: Params) -> dict[str, Any]:
    """Top-level messages, newest first (thread parents carry reply counts)."""
    conversation = api.readable(params.require("channel"))
    messages = [
        m for m in api.workspace.channel_messages(conversation.id) if not m.is_reply and _in_window(m.ts, params)
    ]
    messages.reverse()
    page, next_cursor = _page(messages, params)
    include_metadata = params.flag("include_all_metadata")
    return {
        "messages": [
            api.workspace.message_to_api(m, include_metadata=include_metadata, base_url=api.base_url()) for m in page
        ],
        "has_more": bool(next_cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": next_cursor},
    }


async def conversations_replies(api: WebApi, params: Params) -> dict[str, Any]:
    """A thread: the parent, then the replies, oldest first."""
    conversation = api.readable(params.require("channel"))
    ts = str(params.require("ts"))
    root = api.workspace.thread_root(conversation.id, ts) or ts
    parent = api.workspace.messages.get((conversation.id, root))
    if parent is None or parent.deleted:
        raise SlackError("thread_not_found")
    messages = [
        m for m in api.workspace.channel_messages(conversation.id, root) if m.ts == root or _in_window(m.ts, params)
    ]
    page, next_cursor = _page(messages, params)
    include_metadata = params.flag("include_all_metadata")
    return {
        "messages": [
            api.workspace.message_to_api(m, include_metadata=include_metadata, base_url=api.base_url()) for m in page
        ],
        "has_more": bool(next_cursor),
        "response_metadata": {"next_cursor": next_cursor},
    }


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.list": users_list,
    "team.info": team_info,
    "bots.info": bots_info,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.list": conversations_list,
    "conversations.join": conversations_join,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
}
