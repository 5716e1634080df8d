"""The manifest lists exactly the commands, events and scopes the code uses, and parses as YAML."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import bot
from bot.emulator.checks import CONVERSATION_SCOPES, EVENT_SCOPES, METHOD_SCOPES
from bot.manifest import build_manifest, manifest_yaml

SOURCE = Path(bot.__file__).parent
# The conversation types the coach works in: public and private channels, and its DMs.
CONVERSATION_KINDS = ("channel", "group", "im")
# slack_sdk helpers that call several Web API methods.
COMPOSITE_CALLS = {
    "files_upload_v2": ["files.getUploadURLExternal", "files.completeUploadExternal"],
    "chat_stream": ["chat.startStream", "chat.appendStream", "chat.stopStream"],
}


def coach_sources() -> list[Path]:
    return [path for path in SOURCE.rglob("*.py") if "emulator" not in path.parts]


def web_api_methods_called() -> set[str]:
    methods: set[str] = set()
    for path in coach_sources():
        text = path.read_text()
        for name in re.findall(r"\.([a-z]+_[A-Za-z0-9_]+)\(", text):
            if name in COMPOSITE_CALLS:
                methods.update(COMPOSITE_CALLS[name])
                continue
            dotted = name.replace("assistant_threads_", "assistant.threads.").replace("_", ".", 1)
            if dotted in METHOD_SCOPES or dotted in CONVERSATION_SCOPES:
                methods.add(dotted)
        if re.search(r"\bawait say\(", text):
            methods.add("chat.postMessage")
    return methods


def events_listened_to() -> set[str]:
    found: set[str] = set()
    for path in coach_sources():
        found.update(re.findall(r"app\.event\(\"(\w+)\"\)", path.read_text()))
    return found


def test_manifest_is_yaml_with_the_command_and_socket_mode_by_default() -> None:
    parsed = yaml.safe_load(manifest_yaml())
    assert parsed == build_manifest()
    assert [command["command"] for command in parsed["features"]["slash_commands"]] == ["/flywheel"]
    assert parsed["settings"]["socket_mode_enabled"] is True
    assert parsed["features"]["agent_view"]["agent_description"]


def test_http_manifest_points_every_request_at_the_url() -> None:
    url = "https://coach.example.com/slack/events"
    parsed = yaml.safe_load(manifest_yaml(request_url=url))
    assert parsed["settings"]["socket_mode_enabled"] is False
    assert parsed["settings"]["event_subscriptions"]["request_url"] == url
    assert parsed["settings"]["interactivity"]["request_url"] == url
    assert parsed["features"]["slash_commands"][0]["url"] == url


def test_every_subscribed_event_has_a_listener_and_every_listener_a_subscription() -> None:
    subscribed = build_manifest()["settings"]["event_subscriptions"]["bot_events"]
    as_listened = {event.split(".")[0] for event in subscribed}
    assert as_listened == events_listened_to()


def test_scopes_are_exactly_what_the_code_and_the_subscriptions_need() -> None:
    manifest = build_manifest()
    needed = {"commands"}
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        if EVENT_SCOPES.get(event):
            needed.add(EVENT_SCOPES[event])
    for method in web_api_methods_called():
        if method in METHOD_SCOPES:
            needed.add(METHOD_SCOPES[method][0])
        else:
            by_kind = CONVERSATION_SCOPES[method]
            needed.update(by_kind[kind] for kind in CONVERSATION_KINDS if kind in by_kind)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed


def test_an_http_manifest_can_be_distributed_with_its_oauth_redirect_beside_the_request_url() -> None:
    manifest = build_manifest(request_url="https://coach.example.com/slack/events")
    assert manifest["oauth_config"]["redirect_urls"] == ["https://coach.example.com/slack/oauth_redirect"]
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    socket_mode = build_manifest()
    assert "redirect_urls" not in socket_mode["oauth_config"]
    assert socket_mode["settings"]["org_deploy_enabled"] is False
