"""Socket Mode specifics: the hello, reconnecting after a `disconnect`, envelopes with ack payloads."""

import json

import pytest
from slack_bolt.async_app import AsyncApp

from bot.emulator import HumanActionError, LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.harness import socket_mode, web_client

MANIFEST = minimal_manifest(
    scopes=["chat:write", "im:history", "commands"], events=["message.im"], commands=["/flywheel"]
)


def build_app(slack: LocalSlack) -> AsyncApp:
    app = AsyncApp(client=web_client(slack))

    @app.message()
    async def direct(message, say):
        await say(f"echo {message['text']}")

    @app.command("/flywheel")
    async def command(ack):
        await ack(blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*Help*"}}], text="Help")

    return app


async def test_the_app_reconnects_after_a_disconnect_and_keeps_working(tmp_path):
    journal = tmp_path / "journal.jsonl"
    async with LocalSlack(manifest=MANIFEST, journal_path=journal) as slack:
        people = slack.seed_default()
        async with socket_mode(slack, build_app(slack)):
            await people.ana.dm("before")
            await slack.wait_for_message(contains="echo before")

            await slack.disconnect_socket("refresh_requested")
            await slack.wait_for_socket_connection(count=2)

            await people.ana.dm("after")
            await slack.wait_for_message(contains="echo after")
            await slack.wait_idle()
        slack.assert_no_problems()
        assert len(slack.api_calls("apps.connections.open")) == 2
        assert slack.socket_connections == 2
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert {e["type"] for e in entries} >= {"apicall", "delivery"}
    assert any(e.get("method") == "apps.connections.open" for e in entries)


async def test_a_command_ack_payload_travels_back_in_the_ack_frame():
    async with LocalSlack(manifest=MANIFEST) as slack:
        people = slack.seed_default()
        async with socket_mode(slack, build_app(slack)):
            result = await people.ana.slash("/flywheel", "help")
        delivery = result.delivery
        assert delivery.transport == "socket" and delivery.envelope_id
        assert result.ack["blocks"][0]["text"]["text"] == "*Help*"
        assert "*Help*" in result.text
        slack.assert_no_problems()


async def test_acting_with_no_app_connected_is_refused():
    async with LocalSlack(manifest=MANIFEST) as slack:
        people = slack.seed_default()
        with pytest.raises(HumanActionError, match="no app is connected"):
            await people.ana.dm("nobody listens")
