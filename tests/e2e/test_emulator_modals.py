"""Modals as Slack runs them: short-lived single-use trigger ids, stacks, response_actions, closing."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.emulator import DefaultWorkspace, LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.harness import TRANSPORTS, connected, web_client

MANIFEST = minimal_manifest(scopes=["chat:write", "commands"], events=[], commands=["/flywheel"])
TRIGGER_TTL = 0.3


def modal(callback_id: str, title: str, *, notify: bool = False, with_input: bool = True) -> dict:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}]
    if with_input:
        blocks.append(
            {
                "type": "input",
                "block_id": "answer",
                "label": {"type": "plain_text", "text": "Answer"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        )
    blocks.append(
        {
            "type": "actions",
            "block_id": "more",
            "elements": [
                {
                    "type": "static_select",
                    "action_id": "stage",
                    "placeholder": {"type": "plain_text", "text": "Stage"},
                    "options": [
                        {"text": {"type": "plain_text", "text": s.title()}, "value": s}
                        for s in ("collection", "feedback")
                    ],
                }
            ],
        }
    )
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
        "notify_on_close": notify,
    }
    if with_input:
        view["submit"] = {"type": "plain_text", "text": "Next"}
    return view


def build_app(slack: LocalSlack, outcomes: list) -> AsyncApp:
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

    @app.command("/flywheel")
    async def command(ack, body, client, command):
        await ack()
        if command["text"] == "slow":
            await asyncio.sleep(TRIGGER_TTL + 0.2)
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=modal("step1", "Step one", notify=True))
            if command["text"] == "twice":
                await client.views_open(trigger_id=body["trigger_id"], view=modal("again", "Again"))
        except SlackApiError as error:
            outcomes.append(error.response["error"])

    @app.view("step1")
    async def step_one(ack, view):
        answer = view["state"]["values"]["answer"]["text"]["value"]
        if answer == "push":
            await ack(response_action="push", view=modal("step2", "Step two"))
        else:
            await ack(response_action="update", view=modal("step1b", "Step one, again"))

    @app.view("step2")
    async def step_two(ack):
        await ack(response_action="clear")

    @app.view_closed("step1")
    async def closed(ack, body):
        await ack()
        outcomes.append(("closed", body["is_cleared"]))

    @app.action("stage")
    async def stage(ack, body, client):
        await ack()
        chosen = body["actions"][0]["selected_option"]["value"]
        view = modal(body["view"]["callback_id"], f"Chose {chosen}", with_input=False)
        await client.views_update(view_id=body["view"]["id"], hash=body["view"]["hash"], view=view)

    return app


@pytest.fixture(params=TRANSPORTS)
async def modals(request: pytest.FixtureRequest) -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace, list]]:
    outcomes: list = []
    async with LocalSlack(manifest=MANIFEST, trigger_ttl=TRIGGER_TTL) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack, outcomes), request.param):
            yield slack, people, outcomes
            await slack.wait_idle()
        slack.assert_no_problems()


async def test_a_trigger_id_expires(modals):
    slack, people, outcomes = modals
    await people.you.slash("/flywheel", "slow")
    await slack.wait_for_call("views.open")
    await slack.wait_idle()
    assert outcomes == ["expired_trigger_id"] and slack.open_modal(people.you) is None


async def test_a_trigger_id_works_once(modals):
    slack, people, outcomes = modals
    await people.you.slash("/flywheel", "twice")
    await slack.wait_for_call("views.open", count=2)
    await slack.wait_idle()
    assert outcomes == ["exchanged_trigger_id"]
    assert slack.open_modal(people.you).callback_id == "step1"


async def test_response_actions_push_update_and_clear_the_stack(modals):
    slack, people, _ = modals
    await people.you.slash("/flywheel")
    await slack.wait_for_modal(people.you, callback_id="step1")

    pushed = await people.you.submit_modal({"text": "push"})
    assert pushed.action == "push" and pushed.view.callback_id == "step2"
    assert [v.callback_id for v in slack.modal_stack(people.you)] == ["step1", "step2"]
    assert pushed.view.previous_view_id == slack.modal_stack(people.you)[0].id

    cleared = await people.you.submit_modal({"text": "done"})
    assert cleared.action == "clear" and slack.modal_stack(people.you) == []


async def test_an_update_keeps_the_view_id_and_changes_its_hash(modals):
    slack, people, _ = modals
    await people.you.slash("/flywheel")
    first = await slack.wait_for_modal(people.you, callback_id="step1")
    view_id, old_hash = first.id, first.hash

    updated = await people.you.submit_modal({"text": "again"})

    assert updated.action == "update"
    assert updated.view.id == view_id and updated.view.hash != old_hash
    assert updated.view.callback_id == "step1b"


async def test_a_select_in_a_modal_lets_the_app_update_it_with_the_current_hash(modals):
    slack, people, _ = modals
    await people.you.slash("/flywheel")
    await slack.wait_for_modal(people.you, callback_id="step1")

    await people.you.select("stage", "feedback")

    view = await slack.wait_for_modal(people.you, lambda v: v.title == "Chose feedback")
    assert "submit" not in view.definition
    assert slack.api_calls("views.update")[0].ok


async def test_cancel_tells_the_app_when_the_view_asked_for_it(modals):
    slack, people, outcomes = modals
    await people.you.slash("/flywheel")
    await slack.wait_for_modal(people.you, callback_id="step1")

    closing = await people.you.close_modal()
    await slack.wait_idle()

    assert closing is not None and closing.acked
    assert outcomes == [("closed", False)] and slack.open_modal(people.you) is None
