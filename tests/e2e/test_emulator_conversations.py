"""The local Slack carries a real Bolt app's conversations over both transports, as Slack would."""

from collections.abc import AsyncIterator

import pytest
from slack_bolt.async_app import AsyncApp

from bot.clock import ManualClock
from bot.emulator import DefaultWorkspace, HumanActionError, LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.harness import TRANSPORTS, connected, web_client

MANIFEST = minimal_manifest(
    scopes=[
        "chat:write",
        "commands",
        "app_mentions:read",
        "im:history",
        "channels:history",
        "users:read",
        "reactions:write",
    ],
    events=["app_mention", "message.im", "message.channels", "app_home_opened"],
    commands=["/flywheel"],
)

GOAL_MODAL = {
    "type": "modal",
    "callback_id": "goal",
    "title": {"type": "plain_text", "text": "Your goal"},
    "submit": {"type": "plain_text", "text": "Save"},
    "private_metadata": "from-button",
    "blocks": [
        {
            "type": "input",
            "block_id": "goal",
            "label": {"type": "plain_text", "text": "Goal"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        },
        {
            "type": "input",
            "block_id": "stage",
            "label": {"type": "plain_text", "text": "Stage"},
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "Collection"}, "value": "collection"},
                    {"text": {"type": "plain_text", "text": "Feedback"}, "value": "feedback"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "optional": True,
            "label": {"type": "plain_text", "text": "When"},
            "element": {"type": "datepicker", "action_id": "date", "initial_date": "2026-01-05"},
        },
    ],
}


def build_app(slack: LocalSlack) -> AsyncApp:
    """A throwaway app with one listener of each kind the coach uses."""
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

    @app.event("app_mention")
    async def mentioned(event, say):
        await say(text=f"Hello <@{event['user']}>", thread_ts=event.get("thread_ts") or event["ts"])

    @app.message()
    async def direct(message, say, client):
        if message.get("channel_type") != "im":
            return
        user = (await client.users_info(user=message["user"]))["user"]
        await say(
            text=f"You said {message['text']} ({user['tz']})",
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": f"You said *{message['text']}*"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "set_goal",
                            "value": "go",
                            "text": {"type": "plain_text", "text": "Set a goal"},
                        },
                        {"type": "button", "action_id": "dismiss", "text": {"type": "plain_text", "text": "Dismiss"}},
                    ],
                },
            ],
        )

    @app.command("/flywheel")
    async def command(ack, respond, command):
        await ack(f"Working on: {command['text']}")
        await respond(text=f"Done: {command['text']}")

    @app.action("set_goal")
    async def set_goal(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=GOAL_MODAL)

    @app.action("dismiss")
    async def dismiss(ack, respond):
        await ack()
        await respond(delete_original=True)

    @app.view("goal")
    async def goal_submitted(ack, view, body, client):
        values = view["state"]["values"]
        goal = values["goal"]["text"]["value"]
        if len(goal) < 3:
            await ack(response_action="errors", errors={"goal": "Say a little more."})
            return
        await ack()
        stage = values["stage"]["pick"]["selected_option"]["value"]
        date = values["when"]["date"]["selected_date"]
        await client.chat_postMessage(channel=body["user"]["id"], text=f"Saved {goal} / {stage} / {date}")

    @app.event("app_home_opened")
    async def home(event, client):
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": f"*Welcome* to the {event['tab']} tab"}}
                ],
            },
        )

    return app


@pytest.fixture(params=TRANSPORTS)
async def chat(request: pytest.FixtureRequest) -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace]]:
    async with LocalSlack(manifest=MANIFEST, clock=ManualClock()) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack), request.param):
            yield slack, people
            await slack.wait_idle()
        slack.assert_no_problems()


async def test_a_mention_is_answered_once_in_its_thread(chat):
    slack, people = chat
    ts = await people.ana.mention("general", "what is a data flywheel?")

    reply = await slack.wait_for_message(channel="general", thread_ts=ts)
    await slack.wait_idle()

    assert reply.text == f"Hello <@{people.ana.id}>"
    assert reply.thread_ts == ts and reply.user == slack.bot_user_id
    assert [d.label for d in slack.deliveries("event") if d.retry_num == 0][:2] == ["message.channels", "app_mention"]
    assert len(slack.bot_messages("general")) == 1


async def test_the_apps_own_posts_come_back_as_events_and_are_ignored(chat):
    slack, people = chat
    await people.you.dm("ship tuesday")

    await slack.wait_for_message(channel=people.you.dm_channel, contains="ship tuesday")
    await slack.wait_idle()

    echoes = [d for d in slack.deliveries("message.im") if d.payload["event"].get("bot_id") == slack.bot_id]
    assert len(echoes) == 1 and echoes[0].acked
    assert len(slack.bot_messages(people.you.dm_channel)) == 1
    call = slack.api_calls("auth.test")
    assert call and call[0].response["user_id"] == slack.bot_user_id


async def test_a_dm_reply_carries_the_users_time_zone(chat):
    slack, people = chat
    await people.ana.dm("hi")
    reply = await slack.wait_for_message(channel=people.ana.dm_channel)
    assert "(Europe/Berlin)" in reply.text
    assert "You said *hi*" in reply.all_text()


async def test_a_slash_command_shows_its_ack_and_its_respond_ephemerally(chat):
    slack, people = chat
    result = await people.you.slash("/flywheel", "ask cold start", channel="general")

    assert result.error is None and result.text == "Working on: ask cold start"
    later = await slack.wait_for_ephemeral(people.you, contains="Done: ask cold start")
    assert later.channel == slack.channel_id("general")
    assert slack.messages("general") == []


async def test_a_button_opens_a_modal_whose_errors_show_and_whose_submission_is_used(chat):
    slack, people = chat
    await people.you.dm("goal")
    await slack.wait_for_message(channel=people.you.dm_channel, contains="Set a goal")

    await people.you.click("set_goal")
    modal = await slack.wait_for_modal(people.you, callback_id="goal")
    assert modal.title == "Your goal" and modal.private_metadata == "from-button"

    rejected = await people.you.submit_modal({"goal": "no", "pick": "feedback"})
    assert rejected.action == "errors" and rejected.errors == {"goal": "Say a little more."}
    assert slack.open_modal(people.you) is modal

    accepted = await people.you.submit_modal({"goal/text": "fewer bugs", "stage": "Feedback"})
    assert accepted.action == "closed" and slack.open_modal(people.you) is None
    saved = await slack.wait_for_message(contains="Saved")
    assert saved.text == "Saved fewer bugs / feedback / 2026-01-05"


async def test_a_required_field_left_empty_cannot_be_submitted(chat):
    slack, people = chat
    await people.you.dm("goal")
    await slack.wait_for_message(channel=people.you.dm_channel, contains="Set a goal")
    await people.you.click("set_goal")
    await slack.wait_for_modal(people.you)

    with pytest.raises(HumanActionError, match="'Stage' is required"):
        await people.you.submit_modal({"goal": "something"})
    with pytest.raises(HumanActionError, match="no option 'storage'"):
        await people.you.submit_modal({"goal": "something", "pick": "storage"})
    with pytest.raises(HumanActionError, match="no input"):
        await people.you.submit_modal({"goal": "something", "pick": "feedback", "nope": 1})


async def test_respond_can_delete_the_message_a_button_was_on(chat):
    slack, people = chat
    await people.ana.dm("later")
    message = await slack.wait_for_message(channel=people.ana.dm_channel)

    await people.ana.click("dismiss", message=message)

    await slack.wait_for_call("response_url")
    await slack.wait_idle()
    assert slack.bot_messages(people.ana.dm_channel) == []


async def test_opening_the_home_and_messages_tabs(chat):
    slack, people = chat
    await people.ana.open_home()
    home = await slack.wait_for_home(people.ana, contains="home tab")
    assert "*Welcome*" in home.all_text()

    await people.ana.open_messages_tab()
    await slack.wait_for_home(people.ana, contains="messages tab")
    opened = slack.deliveries("app_home_opened")
    assert [d.payload["event"]["tab"] for d in opened] == ["home", "messages"]
    assert opened[1].payload["event"]["channel"] == people.ana.dm_channel
