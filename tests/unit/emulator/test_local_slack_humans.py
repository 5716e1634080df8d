"""How a person's modal answers become `state.values` (and what Slack's client refuses to submit)."""

from datetime import date, time

import pytest

from bot.emulator import HumanActionError, LocalSlack
from bot.emulator.humans import build_state, element_state, initial_state
from bot.emulator.workspace import ViewRecord

OPTIONS = [
    {"text": {"type": "plain_text", "text": "Collection"}, "value": "collection"},
    {"text": {"type": "plain_text", "text": "Feedback"}, "value": "feedback"},
]


@pytest.fixture
def slack() -> LocalSlack:
    slack = LocalSlack()
    slack.seed_default()
    return slack


@pytest.mark.parametrize(
    ("element", "choice", "expected"),
    [
        ({"type": "plain_text_input"}, "hi", {"value": "hi"}),
        ({"type": "plain_text_input"}, "", {"value": None}),
        ({"type": "number_input", "is_decimal_allowed": False}, 3, {"value": "3"}),
        ({"type": "static_select", "options": OPTIONS}, "feedback", {"selected_option": OPTIONS[1]}),
        ({"type": "radio_buttons", "options": OPTIONS}, "Collection", {"selected_option": OPTIONS[0]}),
        ({"type": "checkboxes", "options": OPTIONS}, ["collection", "feedback"], {"selected_options": OPTIONS}),
        (
            {
                "type": "static_select",
                "option_groups": [{"label": {"type": "plain_text", "text": "G"}, "options": OPTIONS}],
            },
            "feedback",
            {"selected_option": OPTIONS[1]},
        ),
        ({"type": "datepicker"}, date(2026, 2, 3), {"selected_date": "2026-02-03"}),
        ({"type": "datepicker"}, "2026-02-03", {"selected_date": "2026-02-03"}),
        ({"type": "timepicker"}, time(9, 30), {"selected_time": "09:30"}),
    ],
)
def test_each_element_reports_its_value_the_way_slack_does(slack, element, choice, expected):
    assert element_state({**element, "action_id": "a"}, choice, slack) == {"type": element["type"], **expected}


def test_pickers_take_people_and_channels_by_name(slack):
    ana = slack.user("ana")
    assert element_state({"type": "users_select"}, "ana", slack) == {"type": "users_select", "selected_user": ana.id}
    assert element_state({"type": "multi_users_select"}, [ana, "you"], slack)["selected_users"] == [
        ana.id,
        slack.user("you").id,
    ]
    general = slack.channel_id("general")
    assert element_state({"type": "conversations_select"}, "#general", slack)["selected_conversation"] == general
    assert element_state({"type": "channels_select"}, "general", slack)["selected_channel"] == general
    with pytest.raises(HumanActionError, match="no user"):
        element_state({"type": "users_select"}, "nobody", slack)


def test_what_the_client_would_refuse_is_refused(slack):
    with pytest.raises(HumanActionError, match="no option"):
        element_state({"type": "static_select", "action_id": "s", "options": OPTIONS}, "storage", slack)
    with pytest.raises(HumanActionError, match="whole number"):
        element_state({"type": "number_input", "action_id": "n", "is_decimal_allowed": False}, "2.5", slack)
    with pytest.raises(HumanActionError, match="outside max_value"):
        element_state({"type": "number_input", "action_id": "n", "max_value": "10"}, "11", slack)
    with pytest.raises(HumanActionError, match="at most 5"):
        element_state({"type": "plain_text_input", "action_id": "t", "max_length": 5}, "toolong", slack)
    with pytest.raises(HumanActionError, match="can't fill in"):
        element_state({"type": "file_input", "action_id": "f"}, "x", slack)


def test_initial_values_are_the_starting_state(slack):
    assert initial_state({"type": "plain_text_input", "initial_value": "draft"}, slack)["value"] == "draft"
    assert (
        initial_state({"type": "static_select", "initial_option": OPTIONS[0]}, slack)["selected_option"] == OPTIONS[0]
    )
    assert initial_state({"type": "checkboxes"}, slack)["selected_options"] == []
    assert initial_state({"type": "datepicker", "initial_date": "2026-01-01"}, slack)["selected_date"] == "2026-01-01"


def modal() -> ViewRecord:
    blocks = [
        {
            "type": "input",
            "block_id": "goal",
            "label": {"type": "plain_text", "text": "Goal"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        },
        {
            "type": "input",
            "block_id": "stage",
            "optional": True,
            "label": {"type": "plain_text", "text": "Stage"},
            "element": {"type": "static_select", "action_id": "pick", "options": OPTIONS, "initial_option": OPTIONS[0]},
        },
        {"type": "section", "block_id": "info", "text": {"type": "mrkdwn", "text": "info"}},
    ]
    return ViewRecord(
        id="V1",
        user="U1",
        type="modal",
        definition={"type": "modal", "blocks": blocks},
        hash="h",
        team_id="T",
        app_id="A",
        bot_id="B",
        root_view_id="V1",
    )


def test_a_submission_takes_action_ids_block_ids_or_both(slack):
    for key in ("text", "goal", "goal/text"):
        state = build_state(modal(), {key: "ship"}, slack)
        assert state["goal"]["text"] == {"type": "plain_text_input", "value": "ship"}
        assert state["stage"]["pick"]["selected_option"] == OPTIONS[0]
    assert "info" not in build_state(modal(), {"text": "ship"}, slack)


def test_earlier_selections_are_kept_in_the_submission(slack):
    record = modal()
    record.values = {"stage": {"pick": {"type": "static_select", "selected_option": OPTIONS[1]}}}
    assert build_state(record, {"text": "ship"}, slack)["stage"]["pick"]["selected_option"] == OPTIONS[1]


def test_a_required_input_and_unknown_keys_stop_the_submission(slack):
    with pytest.raises(HumanActionError, match="'Goal' is required"):
        build_state(modal(), {}, slack)
    with pytest.raises(HumanActionError, match=r"no input \['nope'\].*goal/text"):
        build_state(modal(), {"text": "ship", "nope": 1}, slack)
