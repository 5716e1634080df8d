"""Hand-made signed requests with hostile fields: a one-line answer (ephemeral, or a 4xx), never a traceback."""

from __future__ import annotations

import json

import pytest

from bot.blocks import checkins as checkin_blocks
from bot.blocks import interview as interview_blocks
from bot.emulator import LocalSlack
from bot.runtime import Coach
from bot.store.answers import answer_count
from tests.e2e.conftest import CoachFactory
from tests.e2e.handmade import assert_clean, block_action, captured_logs, dumps, post_signed, view_submission


@pytest.fixture
def transport() -> str:
    """Hand-made requests are signed HTTP posts."""
    return "http"


@pytest.mark.parametrize(
    "body",
    [b"[]", b"[1, 2, 3]", b'"just a string"', b"42", b"null", b"payload=%5B1%2C2%5D"],
    ids=["empty-array", "array", "string", "number", "null", "form-array-payload"],
)
async def test_a_body_that_is_not_an_object_is_refused_with_a_4xx(
    slack: LocalSlack, coach_factory: CoachFactory, body: bytes
) -> None:
    content_type = "application/x-www-form-urlencoded" if body.startswith(b"payload=") else "application/json"
    with captured_logs() as log:
        async with coach_factory("http"):
            delivery = await slack.deliver_raw(body, {"Content-Type": content_type, **slack.sign(body)})
            await slack.wait_idle()
    assert delivery.status is not None and 400 <= delivery.status < 500
    assert_clean(log.getvalue())


async def test_a_button_value_that_is_not_json_gets_a_one_line_note(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    with captured_logs() as log:
        for value in ("not json", dumps([1, 2]), dumps({"i": "x", "q": 3}), dumps({"i": 1e300, "q": "storage"}), 7):
            delivery = await post_signed(
                slack,
                "interactive",
                block_action(slack, user_id=ana.id, channel_id=growth, action_id="interview_choice_0", value=value),
            )
            assert delivery.status == 200
        await slack.wait_idle()
    notes = slack.ephemerals(ana)
    assert len(notes) == 5 and all("button" in note.text for note in notes)
    assert_clean(log.getvalue())


async def test_a_button_naming_another_channels_interview_is_not_acted_on(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    sales = slack.add_channel("sales", members=[ana])
    await ana.slash("/flywheel", "interview", channel=growth)
    await slack.wait_for_message(channel=growth, contains="Question 1 of")
    value = str(ana.find_control(interview_blocks.ACTION_SKIP).element["value"])
    interview_id, question_id, _ = interview_blocks.read_button_value(value)
    with captured_logs() as log:
        await post_signed(
            slack,
            "interactive",
            block_action(slack, user_id=ana.id, channel_id=sales, action_id="interview_choice_0", value=value),
        )
        note = await slack.wait_for_ephemeral(ana, contains="another channel")
        await slack.wait_idle()
    _, state = await coach.services.interview.load(team_id=slack.team_id, interview_id=interview_id)
    assert state.current == question_id and state.answers == {}
    assert note.channel == sales
    assert slack.messages(sales) == []
    assert_clean(log.getvalue())


SETTINGS_VALUES = [
    {checkin_blocks.BLOCK_TIMEZONE: {checkin_blocks.INPUT: {"value": 5}}},
    {checkin_blocks.BLOCK_TIMEZONE: {checkin_blocks.INPUT: {"value": True}}},
    {checkin_blocks.BLOCK_ENABLED: {checkin_blocks.INPUT: {"selected_options": True}}},
    {checkin_blocks.BLOCK_ENABLED: {checkin_blocks.INPUT: {"selected_options": [{"value": "never"}]}}},
    {"ship_day": {checkin_blocks.INPUT: {"selected_option": {"value": 12}}}},
    {checkin_blocks.BLOCK_PARTICIPANTS: {checkin_blocks.INPUT: {"selected_users": 3}}},
    [1, 2],
]


@pytest.mark.parametrize("values", SETTINGS_VALUES, ids=[f"values-{n}" for n in range(len(SETTINGS_VALUES))])
async def test_settings_with_fields_of_the_wrong_type_get_a_form_error(
    slack: LocalSlack, coach: Coach, values: object
) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    await ana.slash("/flywheel", "checkins on", channel=growth)
    await slack.wait_for_message(channel=growth, contains="turned on")
    before = await coach.services.checkins.schedule(team_id=slack.team_id, channel_id=growth)
    with captured_logs() as log:
        delivery = await post_signed(
            slack,
            "interactive",
            view_submission(
                slack,
                user_id=ana.id,
                callback_id=checkin_blocks.VIEW_SETTINGS,
                values=values,
                private_metadata=dumps({"channel": growth}),
            ),
        )
        await slack.wait_idle()
    assert delivery.status == 200
    assert isinstance(delivery.ack, dict) and delivery.ack.get("response_action") == "errors"
    assert await coach.services.checkins.schedule(team_id=slack.team_id, channel_id=growth) == before
    assert_clean(log.getvalue())


@pytest.mark.parametrize(
    ("callback_id", "values"),
    [
        (
            checkin_blocks.VIEW_ITEM,
            {
                checkin_blocks.BLOCK_WHAT: {checkin_blocks.INPUT: {"value": "new onboarding"}},
                checkin_blocks.BLOCK_STAGE: {checkin_blocks.INPUT: {"selected_option": {"value": "telepathy"}}},
            },
        ),
        (
            checkin_blocks.VIEW_RESULT,
            {checkin_blocks.BLOCK_RESULT: {checkin_blocks.INPUT: {"selected_option": {"value": "exploded"}}}},
        ),
        (
            checkin_blocks.VIEW_RESULT,
            {
                checkin_blocks.BLOCK_RESULT: {checkin_blocks.INPUT: {"selected_option": {"value": "moved"}}},
                checkin_blocks.BLOCK_NEXT: {checkin_blocks.INPUT: {"selected_option": {"value": "teleport"}}},
            },
        ),
    ],
    ids=["unknown-stage", "unknown-result", "unknown-next-step"],
)
async def test_an_unknown_choice_in_a_modal_gets_a_form_error(
    slack: LocalSlack, coach: Coach, callback_id: str, values: dict
) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    with captured_logs() as log:
        delivery = await post_signed(
            slack,
            "interactive",
            view_submission(
                slack,
                user_id=ana.id,
                callback_id=callback_id,
                values=values,
                private_metadata=dumps({"channel": growth, "week": "2025-W10", "item": "1"}),
            ),
        )
        await slack.wait_idle()
    assert delivery.status == 200
    assert isinstance(delivery.ack, dict) and delivery.ack.get("response_action") == "errors"
    assert json.dumps(delivery.ack["errors"])
    assert_clean(log.getvalue())


async def _mention_in_a_dm_slack_does_not_know(slack: LocalSlack, text: str) -> str:
    """Deliver a mention from a conversation Slack refuses every post in; return the coach's log."""
    ana = slack.add_user("ana")
    body = {
        "type": "event_callback",
        "team_id": slack.team_id,
        "api_app_id": slack.app_id,
        "event_id": f"EvUnknownDm{len(text)}",
        "event_time": 1700000000,
        "event": {
            "type": "app_mention",
            "user": ana.id,
            "text": text,
            "channel": "DNOSUCHCHANNEL",
            "ts": "1700000000.000100",
            "channel_type": "im",
        },
    }
    with captured_logs() as log:
        delivery = await post_signed(slack, "event", body)
        await slack.wait_idle()
    assert delivery.status == 200
    assert slack.ephemerals(ana) == []
    assert_clean(log.getvalue())
    return log.getvalue()


async def test_an_overlong_mention_in_a_conversation_slack_will_not_note_in_is_dropped_quietly(
    slack: LocalSlack, coach: Coach
) -> None:
    log = await _mention_in_a_dm_slack_does_not_know(slack, "x" * 5000)
    assert "could not tell the person their message is too long: channel_not_found" in log


async def test_a_question_in_a_conversation_slack_will_not_post_in_is_a_warning_not_a_traceback(
    slack: LocalSlack, coach: Coach
) -> None:
    log = await _mention_in_a_dm_slack_does_not_know(slack, "what is a data flywheel?")
    assert "cannot post in channel DNOSUCHCHANNEL" in log and "channel_not_found" in log
    assert "unexpected error" not in log


@pytest.mark.parametrize("kind", ["message", "app_mention"])
async def test_a_dm_event_without_a_channel_is_left_alone(slack: LocalSlack, coach: Coach, kind: str) -> None:
    """Found by the property test: a DM message naming no channel was answered, and storing the answer failed."""
    ana = slack.add_user("ana")
    event = {"type": kind, "user": ana.id, "text": "what is a data flywheel?", "channel": None, "ts": "1700000000.1"}
    body = {
        "type": "event_callback",
        "team_id": slack.team_id,
        "api_app_id": slack.app_id,
        "event_id": f"EvNoChannel{kind}",
        "event_time": 1700000000,
        "event": {**event, "channel_type": "im"},
    }
    with captured_logs() as log:
        delivery = await post_signed(slack, "event", body)
        await slack.wait_idle()
    assert delivery.status == 200
    assert_clean(log.getvalue())
    async with coach.services.db.session() as session:
        assert await answer_count(session, team_id=slack.team_id) == 0
