"""What the local Slack refuses: Block Kit Slack rejects, scopes the manifest lacks, events it won't send."""

import pytest

from bot.emulator.checks import Manifest, block_errors, minimal_manifest, subscription_name, view_errors


def section(text: str = "hi", **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str) -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": "Go"}}


def test_valid_blocks_pass():
    blocks = [
        section(),
        {"type": "divider"},
        {"type": "actions", "elements": [button("a"), button("b")]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "small"}]},
    ]
    assert block_errors(blocks) == []


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        pytest.param([{"type": "bogus"}], "unknown block type 'bogus'", id="unknown-type"),
        pytest.param([section("x" * 3001)], "3000", id="text-too-long"),
        pytest.param([section(block_id="a"), section(block_id="a")], "duplicate block_id 'a'", id="dup-block"),
        pytest.param(
            [{"type": "actions", "elements": [button("a"), button("a")]}], "duplicate action_id 'a'", id="dup-action"
        ),
        pytest.param([section()] * 51, "51 blocks (at most 50)", id="too-many"),
        pytest.param([{"text": "no type"}], "not a block object", id="no-type"),
        pytest.param([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "150", id="header"),
    ],
)
def test_blocks_slack_rejects_are_explained(blocks, expected):
    errors = block_errors(blocks)
    assert errors and any(expected in error for error in errors), errors


def test_blocks_must_be_a_list():
    assert block_errors({"type": "section"}) == ["blocks must be a list of block objects"]


def modal(**extra) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Title"}, "blocks": [section()], **extra}


def test_views_are_checked_like_slack_does():
    assert view_errors(modal()) == []
    assert any("24" in e for e in view_errors(modal(title={"type": "plain_text", "text": "t" * 25})))
    assert any("unknown block type" in e for e in view_errors(modal(blocks=[{"type": "bogus"}])))
    with_input = modal(
        blocks=[
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "L"},
                "element": {"type": "plain_text_input", "action_id": "x"},
            }
        ]
    )
    assert view_errors(with_input) == ["a modal with input blocks needs a submit button"]
    assert view_errors(modal(), expected_type="home") == ["view type must be 'home', got 'modal'"]
    assert view_errors({"type": "home", "blocks": [section()]}, expected_type="home") == []


def test_scopes_follow_the_method_and_the_conversation_type():
    manifest = Manifest(minimal_manifest(scopes=["chat:write", "im:history"], events=[]))
    assert manifest.missing_scope("chat.postMessage", None) is None
    assert manifest.missing_scope("views.open", None) is None
    assert manifest.missing_scope("conversations.history", "im") is None
    assert manifest.missing_scope("conversations.history", "channel") == ("channels:history",)
    assert manifest.missing_scope("users.info", None) == ("users:read",)
    assert manifest.missing_scope("files.getUploadURLExternal", None) == ("files:write",)
    assert manifest.missing_scope("conversations.open", "im") == ("im:write",)
    assert manifest.scopes_header() == "chat:write,im:history"


def test_without_a_manifest_everything_is_allowed_and_the_usual_events_are_sent():
    manifest = Manifest(None)
    assert manifest.missing_scope("users.info", None) is None
    assert {"app_mention", "message.im", "app_home_opened"} <= manifest.events
    assert manifest.problems() == []
    assert "chat:write" in manifest.scopes_header()


def test_the_manifest_is_read_for_commands_events_interactivity_and_the_bot_name():
    manifest = Manifest(
        minimal_manifest(
            scopes=["commands"], events=["app_home_opened"], commands=["/flywheel"], name="coach", interactivity=False
        )
    )
    assert manifest.commands == frozenset({"/flywheel"})
    assert manifest.events == frozenset({"app_home_opened"})
    assert manifest.interactivity is False and manifest.bot_name == "coach"
    assert manifest.problems() == []


def test_an_event_is_named_as_the_manifest_subscribes_to_it():
    assert subscription_name({"type": "message"}, "im") == "message.im"
    assert subscription_name({"type": "message"}, "channel") == "message.channels"
    assert subscription_name({"type": "message"}, "group") == "message.groups"
    assert subscription_name({"type": "app_mention"}, "channel") == "app_mention"
