"""The local Slack's workspace model: ids, timestamps, threads, triggers, text extraction."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.emulator.workspace import Message, SlackError, User, Workspace, fill_ids, iter_elements, texts_in


@pytest.fixture
def workspace() -> Workspace:
    return Workspace(clock=ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)), team_name="T", team_domain="t")


def test_ids_carry_slacks_prefixes_and_never_repeat(workspace):
    assert workspace.team_id.startswith("T")
    users = [workspace.new_id("U") for _ in range(3)]
    assert len(set(users)) == 3 and all(u.startswith("U") for u in users)
    assert workspace.new_id("C").startswith("C")


def test_timestamps_follow_the_clock_and_stay_unique_and_increasing(workspace):
    first, second = workspace.next_ts(), workspace.next_ts()
    assert first.split(".")[0] == str(int(datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()))
    assert len(first.split(".")[1]) == 6 and float(second) > float(first)

    workspace.clock.advance(timedelta(days=1))
    later = workspace.next_ts()
    assert float(later) - float(first) >= 86400

    workspace.clock.set(datetime(2020, 1, 1, tzinfo=UTC))
    assert float(workspace.next_ts()) > float(later)


def test_a_reply_to_a_reply_lands_in_the_parents_thread(workspace):
    channel = workspace.add_conversation("general", kind="channel", members=[], creator="U1")
    parent = workspace.add_message(Message(channel=channel.id, ts=workspace.next_ts(), user="U1", team="T"))
    reply = workspace.add_message(
        Message(channel=channel.id, ts=workspace.next_ts(), user="U2", team="T", thread_ts=parent.ts)
    )

    assert workspace.thread_root(channel.id, reply.ts) == parent.ts
    assert parent.thread_ts == parent.ts and reply.is_reply and not parent.is_reply
    api = workspace.message_to_api(parent)
    assert (api["reply_count"], api["reply_users"], api["latest_reply"]) == (1, ["U2"], reply.ts)
    assert workspace.message_to_api(reply)["parent_user_id"] == "U1"
    assert [m.ts for m in workspace.channel_messages(channel.id, parent.ts)] == [parent.ts, reply.ts]


def test_deleted_messages_are_gone_for_readers(workspace):
    channel = workspace.add_conversation("general", kind="channel", members=[], creator="U1")
    message = workspace.add_message(Message(channel=channel.id, ts=workspace.next_ts(), user="U1", team="T"))
    message.deleted = True
    assert workspace.channel_messages(channel.id) == []
    with pytest.raises(SlackError, match="message_not_found"):
        workspace.get_message(channel.id, message.ts)


def test_channel_names_are_unique_and_found_with_or_without_hash(workspace):
    channel = workspace.add_conversation("general", kind="channel", members=[], creator="U1")
    assert workspace.find_conversation("#general") is channel
    assert workspace.find_conversation(channel.id) is channel
    assert workspace.find_conversation("nope") is None
    with pytest.raises(ValueError, match="already exists"):
        workspace.add_conversation("general", kind="group", members=[], creator="U1")


def test_a_dm_is_opened_once_per_pair(workspace):
    first = workspace.ensure_im("UBOT", "U1")
    assert workspace.ensure_im("U1", "UBOT") is first
    assert first.id.startswith("D") and first.im_user("UBOT") == "U1"


def test_trigger_ids_are_single_use_and_expire(workspace):
    trigger = workspace.issue_trigger("U1")
    assert workspace.redeem_trigger(trigger).user == "U1"
    with pytest.raises(SlackError, match="exchanged_trigger_id"):
        workspace.redeem_trigger(trigger)
    with pytest.raises(SlackError, match="invalid_trigger_id"):
        workspace.redeem_trigger("1.2.3")

    old = workspace.issue_trigger("U1")
    workspace.triggers[old].issued_at = time.monotonic() - 3.5
    with pytest.raises(SlackError, match="expired_trigger_id"):
        workspace.redeem_trigger(old)


def test_a_users_offset_follows_daylight_saving():
    user = User(id="U1", name="ana", real_name="Ana", team_id="T", tz="Europe/Berlin")
    assert user.tz_offset(datetime(2026, 1, 10, tzinfo=UTC)) == 3600
    assert user.tz_offset(datetime(2026, 7, 10, tzinfo=UTC)) == 7200
    api = user.to_api(datetime(2026, 7, 10, tzinfo=UTC))
    assert (api["tz"], api["tz_label"], api["tz_offset"]) == ("Europe/Berlin", "CEST", 7200)


def test_unknown_time_zones_are_refused(workspace):
    with pytest.raises(Exception, match="Mars"):
        workspace.add_user("zed", tz="Mars/Olympus")


def test_missing_block_and_action_ids_are_filled_in_without_touching_the_input():
    blocks = [
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Go"}}]},
        {
            "type": "section",
            "block_id": "keep",
            "text": {"type": "mrkdwn", "text": "x"},
            "accessory": {"type": "image", "image_url": "https://x/y.png", "alt_text": "y"},
        },
    ]
    filled = fill_ids(blocks)
    assert "block_id" not in blocks[0]
    assert filled[0]["block_id"] and filled[0]["elements"][0]["action_id"]
    assert filled[1]["block_id"] == "keep" and "action_id" not in filled[1]["accessory"]


def test_every_readable_text_is_found_and_interactive_elements_are_listed():
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Hi*"},
            "fields": [{"type": "mrkdwn", "text": "one"}],
            "accessory": {"type": "button", "action_id": "b", "text": {"type": "plain_text", "text": "Press"}},
        },
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [{"type": "text", "text": "rich"}, {"type": "user", "user_id": "U1"}],
                }
            ],
        },
        {
            "type": "input",
            "label": {"type": "plain_text", "text": "Goal"},
            "element": {
                "type": "static_select",
                "action_id": "s",
                "options": [{"text": {"type": "plain_text", "text": "Opt"}, "value": "o"}],
            },
        },
    ]
    assert list(texts_in(blocks)) == ["*Hi*", "one", "Press", "rich", "Goal", "Opt"]
    assert [element["action_id"] for _, element in iter_elements(blocks)] == ["b", "s"]


def test_closing_a_modal_pops_one_view_or_clears_the_stack(workspace):
    from bot.emulator.workspace import ViewRecord

    def view(view_id: str) -> ViewRecord:
        return ViewRecord(
            id=view_id,
            user="U1",
            type="modal",
            definition={},
            hash="h",
            team_id="T",
            app_id="A",
            bot_id="B",
            root_view_id="V1",
        )

    workspace.modal_stack("U1").extend([view("V1"), view("V2"), view("V3")])
    assert [v.id for v in workspace.close_modal("U1")] == ["V3"]
    assert workspace.top_modal("U1").id == "V2"
    assert [v.id for v in workspace.close_modal("U1", all_views=True)] == ["V1", "V2"]
    assert workspace.top_modal("U1") is None
