"""What real Slack would refuse or punish shows up in `slack.problems`, so tests can fail on it."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.emulator import DefaultWorkspace, LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.harness import TRANSPORTS, connected, web_client

# Only the late-ack test shortens Slack's 3 s deadline, so its slow command stays quick; every other test keeps
# the real deadline, or a busy machine would turn an ordinary ack into a "late ack".
SHORT_ACK_DEADLINE = 0.3
MANIFEST = minimal_manifest(
    scopes=["chat:write", "commands", "app_mentions:read", "im:history", "reactions:read"],
    events=["app_mention", "message.im", "reaction_added"],
    commands=["/flywheel"],
)


def build_app(slack: LocalSlack, errors: list[str]) -> AsyncApp:
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

    @app.command("/flywheel")
    async def command(ack, command):
        if command["text"] == "slow":
            await asyncio.sleep(SHORT_ACK_DEADLINE + 0.2)
        await ack()

    @app.event("app_mention")
    async def mentioned(event, client):
        try:
            if "blocks" in event["text"]:
                await client.chat_postMessage(
                    channel=event["channel"],
                    text="bad",
                    blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
                )
            elif "who" in event["text"]:
                await client.users_info(user=event["user"])
            elif "unknown" in event["text"]:
                await client.api_call("made.up")
        except SlackApiError as error:
            errors.append(error.response["error"])

    async def in_a_dm(message) -> bool:
        return message.get("channel_type") == "im"

    @app.message(matchers=[in_a_dm])
    async def direct(say):
        await say("ok")

    return app


@asynccontextmanager
async def app_on_local_slack(
    transport: str, **slack_options
) -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace, list[str]]]:
    errors: list[str] = []
    async with LocalSlack(manifest=MANIFEST, **slack_options) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack, errors), transport):
            yield slack, people, errors
            await slack.wait_idle()


@pytest.fixture(params=TRANSPORTS)
async def checked(request: pytest.FixtureRequest) -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace, list[str]]]:
    async with app_on_local_slack(request.param) as checked:
        yield checked


async def test_a_well_behaved_exchange_has_no_problems(checked):
    slack, people, _ = checked
    await people.ana.dm("hello")
    await slack.wait_for_message(contains="ok")
    await slack.wait_idle()
    assert slack.problems == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_ack_after_the_deadline_is_a_problem(transport):
    async with app_on_local_slack(transport, ack_deadline=SHORT_ACK_DEADLINE) as (slack, people, _):
        result = await people.ana.slash("/flywheel", "slow")
        assert result.delivery.latency > SHORT_ACK_DEADLINE
        assert any(p.startswith("late ack: command /flywheel") for p in slack.problems)


async def test_blocks_slack_would_reject_are_refused_and_reported(checked):
    slack, people, errors = checked
    await people.ana.mention("general", "post blocks")
    await slack.wait_for_call("chat.postMessage")
    await slack.wait_idle()

    assert errors == ["invalid_blocks"]
    assert slack.bot_messages("general") == []
    assert any("invalid blocks in chat.postMessage" in p and "3000" in p for p in slack.problems)


async def test_a_method_the_manifest_does_not_allow_is_refused_and_reported(checked):
    slack, people, errors = checked
    await people.ana.mention("general", "who am i")
    await slack.wait_for_call("users.info")
    await slack.wait_idle()

    assert errors == ["missing_scope"]
    assert slack.problems == [
        "missing scope: users.info needs users:read (the manifest's bot scopes: "
        "app_mentions:read,chat:write,commands,im:history,reactions:read)"
    ]


async def test_an_unknown_method_is_reported(checked):
    slack, people, errors = checked
    await people.ana.mention("general", "unknown")
    await slack.wait_for_call("made.up")
    await slack.wait_idle()
    assert errors == ["unknown_method"]
    assert slack.problems[0].startswith("unknown method: made.up")


async def test_a_subscribed_event_without_a_listener_is_reported(checked):
    slack, people, _ = checked
    ts = await people.ana.post("general", "no mention, so no event")
    await people.you.react("general", ts, "tada")
    await slack.wait_idle()
    assert [d.label for d in slack.deliveries()] == ["reaction_added"]
    assert not slack.deliveries("reaction_added")[0].acked
    assert len(slack.problems) == 1
    assert slack.problems[0].startswith(("unhandled: event reaction_added", "no ack: event reaction_added"))


def test_a_manifest_that_subscribes_without_the_scope_is_reported():
    manifest = minimal_manifest(scopes=["chat:write"], events=["app_mention", "message.im"], commands=["/x"])
    slack = LocalSlack(manifest=manifest)
    assert slack.problems == [
        "manifest: slash commands need the 'commands' scope",
        "manifest: event app_mention needs the 'app_mentions:read' scope",
        "manifest: event message.im needs the 'im:history' scope",
    ]
