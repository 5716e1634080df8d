"""The local Slack validates the agent surfaces as Slack does: markdown blocks, context actions with feedback
buttons, suggested prompts and loading messages; a feedback click arrives as Slack's block_actions payload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.emulator import DefaultWorkspace, LocalSlack
from bot.emulator.harness import connected, web_client


def _feedback(value_up: str = "up:1", value_down: str = "down:1") -> dict[str, Any]:
    return {
        "type": "context_actions",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": "feedback",
                "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": value_up},
                "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "value": value_down},
            }
        ],
    }


@pytest.fixture
async def seeded() -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace]]:
    async with LocalSlack() as slack:
        yield slack, slack.seed_default()


async def _refused(call: Any) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call
    return str(refused.value.response["error"])


async def test_markdown_and_feedback_blocks_are_accepted(seeded: tuple[LocalSlack, DefaultWorkspace]) -> None:
    slack, people = seeded
    client = web_client(slack)
    blocks = [{"type": "markdown", "text": "**Point first** [1]."}, _feedback()]
    posted = await client.chat_postMessage(channel=people.general, text="Point first", blocks=blocks)
    stored = slack.workspace.get_message(posted["channel"], posted["ts"])
    assert [b["type"] for b in stored.blocks] == ["markdown", "context_actions"]
    assert slack.problems == []


@pytest.mark.parametrize(
    ("blocks", "why"),
    [
        ([{"type": "markdown", "text": ""}], "text attribute must be specified"),
        ([{"type": "markdown"}], "markdown"),
        ([{"type": "markdown", "text": "x" * 6001}, {"type": "markdown", "text": "y" * 6000}], "12000"),
        ([{"type": "markdown", "text": "x" * 12_001}], "12000"),
        (
            [
                {
                    "type": "context_actions",
                    "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"}}],
                }
            ],
            "only feedback_buttons and icon_button",
        ),
        ([{"type": "context_actions", "elements": [_feedback()["elements"][0]] * 6}], "cannot exceed 5"),
        ([{"type": "context_actions", "elements": []}], "elements attribute must be specified"),
        ([_feedback(value_up="v" * 2001)], "2000"),
        (
            [
                {
                    "type": "context_actions",
                    "elements": [{**_feedback()["elements"][0], "negative_button": {"text": "👎"}}],
                }
            ],
            "value",
        ),
    ],
)
async def test_invalid_agent_blocks_are_refused_as_slack_does(
    seeded: tuple[LocalSlack, DefaultWorkspace], blocks: list[dict[str, Any]], why: str
) -> None:
    slack, people = seeded
    error = await _refused(web_client(slack).chat_postMessage(channel=people.general, text="x", blocks=blocks))
    assert error == "invalid_blocks"
    assert any("invalid blocks in chat.postMessage" in p and why in p for p in slack.problems), slack.problems


async def test_a_ping_in_a_markdown_block_is_a_problem(seeded: tuple[LocalSlack, DefaultWorkspace]) -> None:
    slack, people = seeded
    blocks = [{"type": "markdown", "text": "Heads up <!channel>"}]
    await web_client(slack).chat_postMessage(channel=people.general, text="Heads up", blocks=blocks)
    assert any("would ping everyone: <!channel>" in p for p in slack.problems)


async def test_suggested_prompts_are_checked_and_kept(seeded: tuple[LocalSlack, DefaultWorkspace]) -> None:
    slack, people = seeded
    client = web_client(slack)
    dm = people.ana.dm_channel
    prompts = [{"title": "Start", "message": "How do we start?"}]
    await client.assistant_threads_setSuggestedPrompts(channel_id=dm, prompts=prompts)
    await client.assistant_threads_setSuggestedPrompts(channel_id=dm, thread_ts="5.5", title="Try", prompts=prompts * 4)
    assert slack.workspace.assistant_threads[(dm, "")].prompts == prompts
    assert slack.workspace.assistant_threads[(dm, "5.5")].prompts_title == "Try"
    assert slack.problems == []
    for bad in ([], prompts * 5, [{"title": "Start"}], [{"title": "", "message": "m"}], ["How do we start?"]):
        assert await _refused(client.assistant_threads_setSuggestedPrompts(channel_id=dm, prompts=bad)) == (
            "invalid_arguments"
        )
    assert len(slack.problems) == 5
    unknown = client.assistant_threads_setSuggestedPrompts(channel_id="D0NOPE", prompts=prompts)
    assert await _refused(unknown) == "channel_not_found"


async def test_status_loading_messages_are_checked_and_cleared(seeded: tuple[LocalSlack, DefaultWorkspace]) -> None:
    slack, people = seeded
    client = web_client(slack)
    lines = [f"Working {n}…" for n in range(10)]
    await client.assistant_threads_setStatus(
        channel_id=people.general, thread_ts="1.1", status="is busy…", loading_messages=lines
    )
    thread = slack.workspace.assistant_threads[(people.general, "1.1")]
    assert (thread.status, thread.loading_messages) == ("is busy…", lines)
    await client.assistant_threads_setStatus(channel_id=people.general, thread_ts="1.1", status="")
    assert (thread.status, thread.loading_messages) == ("", [])
    for bad in (lines + ["one too many"], ["fine", ""], "not a list"):
        refused = client.assistant_threads_setStatus(
            channel_id=people.general, thread_ts="1.1", status="x", loading_messages=bad
        )
        assert await _refused(refused) == "invalid_arguments"


async def test_a_feedback_click_arrives_as_slacks_block_actions_payload(
    seeded: tuple[LocalSlack, DefaultWorkspace],
) -> None:
    slack, people = seeded
    clicks: list[dict[str, Any]] = []
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

    @app.action("feedback")
    async def clicked(ack, body):  # noqa: ANN001, ANN202
        await ack()
        clicks.append(body)

    posted = await web_client(slack).chat_postMessage(
        channel=people.general, text="answer", blocks=[{"type": "markdown", "text": "answer"}, _feedback()]
    )
    async with connected(slack, app, "http"):
        await people.ana.give_feedback(positive=False, message=posted["ts"])
        await slack.wait_idle()
    (body,) = clicks
    (action,) = body["actions"]
    assert action["type"] == "feedback_buttons" and action["action_id"] == "feedback"
    assert action["value"] == "down:1" and action["text"]["text"] == "👎" and action["block_id"]
    assert body["container"]["message_ts"] == posted["ts"] and body["channel"]["id"] == people.general
    assert slack.problems == []
