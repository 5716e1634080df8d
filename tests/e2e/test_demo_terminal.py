"""The terminal demo's front end, driven by a script against a throwaway Bolt app through the local Slack."""

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from slack_bolt.async_app import AsyncApp

from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.demo import Demo, Screen, parse_duration
from bot.emulator.harness import connected, web_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MANIFEST = minimal_manifest(
    scopes=["chat:write", "commands", "app_mentions:read", "im:history", "channels:history", "files:write"],
    events=["app_mention", "message.im", "message.channels", "app_home_opened"],
    commands=["/flywheel"],
)
NOTE_MODAL = {
    "type": "modal",
    "callback_id": "note",
    "title": {"type": "plain_text", "text": "Add a note"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "stage",
            "label": {"type": "plain_text", "text": "Stage"},
            "element": {
                "type": "radio_buttons",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "Collection"}, "value": "collection"},
                    {"text": {"type": "plain_text", "text": "Feedback"}, "value": "feedback"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        },
    ],
}


def build_app(slack: LocalSlack) -> AsyncApp:
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

    @app.message()
    async def on_message(message, say, client):
        if message.get("channel_type") != "im":
            if message.get("thread_ts"):
                await say(text=f"thread reply to {message['text']}", thread_ts=message["thread_ts"])
            return
        if message.get("thread_ts"):
            await say(text=f"still in the thread: {message['text']}", thread_ts=message["thread_ts"])
            return
        await say(
            text="Pick one",
            thread_ts=message["ts"],
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": f"Hi <@{message['user']}>, *pick* one"}},
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "action_id": "note", "text": {"type": "plain_text", "text": "Add a note"}},
                        {"type": "button", "action_id": "picture", "text": {"type": "plain_text", "text": "Picture"}},
                    ],
                },
            ],
        )

    @app.event("app_mention")
    async def mentioned(event, say):
        await say(text="mentioned", thread_ts=event["ts"])

    @app.command("/flywheel")
    async def command(ack, command):
        await ack(f"help for {command['text'] or 'everyone'}")

    @app.action("note")
    async def note(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=NOTE_MODAL)

    @app.action("picture")
    async def picture(ack, body, client):
        await ack()
        await client.files_upload_v2(
            channel=body["channel"]["id"],
            content=PNG,
            filename="loop.png",
            title="Loop map",
            thread_ts=body["container"].get("thread_ts"),
        )

    @app.view("note")
    async def saved(ack, view, body, client):
        values = view["state"]["values"]
        if len(values["note"]["text"]["value"]) < 3:
            await ack(response_action="errors", errors={"note": "Write a few more words."})
            return
        await ack()
        stage = values["stage"]["pick"]["selected_option"]["value"]
        await client.chat_postMessage(channel=body["user"]["id"], text=f"Noted for {stage}.")

    @app.event("app_home_opened")
    async def home(event, client):
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": "Your coach"}},
                    {"type": "context", "elements": [{"type": "mrkdwn", "text": "home sweet home"}]},
                ],
            },
        )

    return app


async def check_in_scheduler(slack: LocalSlack, clock: ManualClock, channel: str) -> None:
    """Like the coach's scheduler: poll the clock, post the check-in once it is due."""
    due = clock.now() + timedelta(days=1)
    client = web_client(slack)
    while True:  # a scheduler polls the clock: nothing tells it the clock moved
        if clock.now() >= due:
            break
        await asyncio.sleep(0.05)
    await client.chat_postMessage(channel=channel, text="Check-in: what did you ship?")


@pytest.fixture
async def demo_run(tmp_path: Path) -> AsyncIterator:
    async def run(script: str) -> str:
        clock = ManualClock()
        async with LocalSlack(manifest=MANIFEST, clock=clock) as slack:
            people = slack.seed_default()
            scheduler = asyncio.create_task(check_in_scheduler(slack, clock, people.general))
            async with connected(slack, build_app(slack), "http"):
                lines = iter(script.splitlines())

                async def read() -> str | None:
                    return next(lines, None)

                stdout = io.StringIO()
                demo = Demo(
                    slack,
                    people.you,
                    people.general,
                    Screen(stdout),
                    read,
                    interactive=False,
                    files_dir=tmp_path / "files",
                    quiet=0.05,
                )
                await demo.run()
                await slack.wait_idle()
            scheduler.cancel()
            slack.assert_no_problems()
            return stdout.getvalue()

    yield run


async def test_a_dm_reply_with_buttons_is_numbered_and_the_thread_continues(demo_run):
    out = await demo_run("hello\nmore please\n:new\n")

    assert "you > hello" in out
    assert "coach (thread):\n  Hi @you, *pick* one\n    [1] Add a note\n    [2] Picture" in out
    assert "you (thread in DM; :new to start fresh) > more please" in out
    assert "still in the thread: more please" in out
    assert "(a fresh conversation: plain text is a new DM)" in out


async def test_a_button_opens_a_modal_that_becomes_prompts_with_errors_shown_inline(demo_run):
    out = await demo_run("hello\n1\n2\nno\n2\nlots of feedback\n")

    assert "[modal] Add a note" in out
    assert "  Stage: 1) Collection  2) Feedback" in out
    assert "  ! Write a few more words." in out
    assert out.count("  Note > ") == 2
    assert "coach:\n  Noted for feedback." in out


async def test_an_uploaded_picture_is_saved_to_a_file(demo_run, tmp_path):
    out = await demo_run("hello\n2\n")

    saved = list((tmp_path / "files").iterdir())
    assert len(saved) == 1 and saved[0].read_bytes() == PNG
    assert f"[file] Loop map: saved to {saved[0]}" in out


async def test_commands_mentions_home_and_the_clock(demo_run):
    out = await demo_run("/flywheel\n@coach are you there?\n:home\n:tick 1d 3h\n:tick soon\n9\n:close\n:nope\n")

    assert "coach (only you can see this):\n  help for everyone" in out
    assert "coach in #general (thread):\n  mentioned" in out
    assert "Home tab:\n  Your coach\n  home sweet home" in out
    assert "(the clock now reads" in out
    assert "coach in #general:\n  Check-in: what did you ship?" in out
    assert "! 'soon' is not a duration like 1d, 3h, 2w or 30m" in out
    assert "! there is no choice [9] on screen" in out
    assert "(no modal is open)" in out
    assert "! unknown :nope" in out


def test_durations_read_like_people_write_them():
    assert parse_duration("1d") == parse_duration("24h")
    assert parse_duration("1d12h").total_seconds() == 36 * 3600
    assert parse_duration("2w").days == 14
    with pytest.raises(ValueError):
        parse_duration("1x")
