"""response_url answers, ephemeral buttons, menus in messages, edits, and form-encoded Block Kit."""

import json
from collections.abc import AsyncIterator

import pytest
from slack_bolt.async_app import AsyncApp

from bot.emulator import DefaultWorkspace, LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.harness import TRANSPORTS, connected, web_client

MANIFEST = minimal_manifest(scopes=["chat:write", "im:history"], events=["message.im"])
MENU = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "What now?"}},
    {
        "type": "actions",
        "elements": [
            {"type": "button", "action_id": "replace", "text": {"type": "plain_text", "text": "Replace"}},
            {"type": "button", "action_id": "share", "text": {"type": "plain_text", "text": "Share"}},
            {
                "type": "static_select",
                "action_id": "stage",
                "placeholder": {"type": "plain_text", "text": "Stage"},
                "options": [
                    {"text": {"type": "plain_text", "text": s.title()}, "value": s} for s in ("storage", "feedback")
                ],
            },
        ],
    },
]


def build_app(slack: LocalSlack) -> AsyncApp:
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

    @app.event({"type": "message", "subtype": "message_changed"})
    async def edited(event, say):
        await say(f"saw the edit: {event['message']['text']} (was {event['previous_message']['text']})")

    @app.message()
    async def direct(message, say, client):
        if message["text"] == "private menu":
            await client.chat_postEphemeral(channel=message["channel"], user=message["user"], text="menu", blocks=MENU)
        elif message["text"] == "menu":
            await say(text="menu", blocks=MENU)

    @app.action("replace")
    async def replace(ack, respond):
        await ack()
        await respond(text="replaced", replace_original=True)

    @app.action("share")
    async def share(ack, respond):
        await ack()
        await respond(text="shared with everyone", response_type="in_channel")

    @app.action("stage")
    async def stage(ack, respond, body):
        await ack()
        await respond(text=f"chose {body['actions'][0]['selected_option']['value']}")

    return app


@pytest.fixture(params=TRANSPORTS)
async def chat(request: pytest.FixtureRequest) -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace]]:
    async with LocalSlack(manifest=MANIFEST) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack), request.param):
            yield slack, people
            await slack.wait_idle()
        slack.assert_no_problems()


async def test_replace_original_rewrites_the_message_the_button_was_on(chat):
    slack, people = chat
    await people.ana.dm("menu")
    menu = await slack.wait_for_message(channel=people.ana.dm_channel, contains="What now?")

    await people.ana.click("replace")

    await slack.wait_for_message(channel=people.ana.dm_channel, contains="replaced")
    assert [m.text for m in slack.bot_messages(people.ana.dm_channel)] == ["replaced"]
    assert slack.bot_messages(people.ana.dm_channel)[0].ts == menu.ts


async def test_replace_original_on_an_ephemeral_replaces_only_what_that_person_sees(chat):
    slack, people = chat
    await people.ana.dm("private menu")
    await slack.wait_for_ephemeral(people.ana, contains="What now?")

    await people.ana.click("replace")

    await slack.wait_for_ephemeral(people.ana, contains="replaced")
    assert [e.text for e in slack.ephemerals(people.ana)] == ["replaced"]
    assert slack.bot_messages(people.ana.dm_channel) == []


async def test_an_in_channel_response_is_posted_for_everyone(chat):
    slack, people = chat
    await people.ana.dm("menu")
    await slack.wait_for_message(channel=people.ana.dm_channel, contains="What now?")

    await people.ana.click("share")

    shared = await slack.wait_for_message(channel=people.ana.dm_channel, contains="shared with everyone")
    assert shared.bot_id == slack.bot_id


async def test_choosing_in_a_menu_sends_the_option_and_the_answer_is_ephemeral(chat):
    slack, people = chat
    await people.ana.dm("menu")
    await slack.wait_for_message(channel=people.ana.dm_channel, contains="What now?")

    result = await people.ana.select("stage", "feedback")

    await slack.wait_for_ephemeral(people.ana, contains="chose feedback")
    action = result.delivery.payload["actions"][0]
    assert action["type"] == "static_select" and action["selected_option"]["value"] == "feedback"
    assert (
        result.delivery.payload["state"]["values"][action["block_id"]]["stage"]["selected_option"]["value"]
        == "feedback"
    )
    assert result.delivery.payload["response_url"].startswith(slack.base_url)


async def test_an_edit_arrives_as_message_changed(chat):
    slack, people = chat
    ts = await people.ana.dm("first draft")
    await slack.wait_idle()

    await people.ana.edit(people.ana.dm_channel, ts, "second draft")

    reply = await slack.wait_for_message(contains="saw the edit")
    assert reply.text == "saw the edit: second draft (was first draft)"
    assert slack.messages(people.ana.dm_channel)[0].edited["user"] == people.ana.id


async def test_blocks_sent_as_a_form_field_are_decoded(chat):
    slack, people = chat
    client = web_client(slack)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "from a form"}}]

    await client.api_call(
        "chat.postMessage",
        data={"channel": people.general, "text": "f", "blocks": json.dumps(blocks), "team_id": slack.team_id},
    )

    posted = slack.bot_messages("general")[0]
    assert posted.blocks[0]["text"]["text"] == "from a form"
    assert slack.api_calls("chat.postMessage")[0].params["blocks"][0]["type"] == "section"
