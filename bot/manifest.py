"""The Slack app manifest that `run` and `serve` need: exactly the commands, events and scopes the code uses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

APP_NAME = "Flywheel Coach"
COMMAND = "/flywheel"
AGENT_DESCRIPTION = (
    "Ask about data flywheels and get a short, cited answer; map your team's data loop and keep it turning."
)

# Each scope the coach asks for, with the reason a workspace admin will read in review.
BOT_SCOPES: dict[str, str] = {
    "app_mentions:read": "answer when someone mentions the coach",
    "channels:history": "follow replies in threads the coach started in public channels",
    "groups:history": "follow replies in threads the coach started in private channels",
    "im:history": "read the DMs people send the coach in its Messages tab",
    "chat:write": "post answers, interview questions and check-ins",
    "assistant:write": "offer suggested prompts in the coach's Messages tab and show that it is working on an answer",
    "commands": "the /flywheel command",
    "files:write": "upload the loop-map picture into the interview thread and the check-in chart into the digest's",
    "users:read": "read the time zone of whoever turns check-ins on, so prompts arrive in their working hours",
    "channels:read": "show each person the loop maps of the public channels they belong to",
    "groups:read": "show each person the loop maps of the private channels they belong to",
    "im:read": "read membership of the coach's DMs, where an interview can also run",
}

BOT_EVENTS: list[str] = [
    "app_home_opened",
    "app_mention",
    "app_uninstalled",
    "assistant_thread_started",
    "message.channels",
    "message.groups",
    "message.im",
    "tokens_revoked",
]
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"


def build_manifest(*, request_url: str | None = None) -> dict[str, Any]:
    """The manifest: Socket Mode by default, or HTTP delivery to `request_url` (…/slack/events).

    Over HTTP the app can also be distributed: the OAuth redirect URL sits beside `request_url`, and
    Enterprise Grid organisations may install it org-wide.
    """
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": sorted(BOT_EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": request_url is not None,
        "socket_mode_enabled": request_url is None,
        "token_rotation_enabled": False,
    }
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Ask, map your data loop, or run weekly check-ins",
        "usage_hint": "ask QUESTION | interview | map | checkins on|off|status | help",
        "should_escape": False,
    }
    oauth_config: dict[str, Any] = {"scopes": {"bot": sorted(BOT_SCOPES)}}
    if request_url is not None:
        settings["event_subscriptions"]["request_url"] = request_url
        settings["interactivity"]["request_url"] = request_url
        command["url"] = request_url
        oauth_config["redirect_urls"] = [urlunsplit(urlsplit(request_url)._replace(path=OAUTH_REDIRECT_PATH, query=""))]
    return {
        "display_information": {
            "name": APP_NAME,
            "description": "Coaches your team in building data flywheels.",
            "long_description": (
                "Flywheel Coach answers questions about data flywheels with cited sources, interviews your "
                "team to map its data loop (Collection, Storage, Analysis, Application, Feedback) and find "
                "where it breaks, and runs weekly check-ins: ship Tuesday, measure Thursday, iterate Friday. "
                "Every team's votes and unanswered questions make the answers better for all."
            ),
            "background_color": "#1d3b53",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            # Slack's agent experience in the Messages tab (suggested prompts, status while it works).
            "agent_view": {"agent_description": AGENT_DESCRIPTION},
            "bot_user": {"display_name": "flywheel-coach", "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": oauth_config,
        "settings": settings,
    }


def manifest_yaml(*, request_url: str | None = None) -> str:
    """The manifest as YAML, ready to paste into api.slack.com/apps."""
    return yaml.safe_dump(build_manifest(request_url=request_url), sort_keys=False, width=100)
