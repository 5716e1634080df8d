"""Payload shapes, signatures and body encodings, as Slack sends them and Bolt reads them."""

import json
import time
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.emulator import events
from bot.emulator.delivery import encode_body, parse_ack, sign
from bot.emulator.faults import Faults
from bot.emulator.journal import ApiCall, Journal
from bot.emulator.workspace import Conversation, User


def test_signatures_verify_with_slack_sdk():
    body = b'{"type":"event_callback"}'
    headers = sign(body, secret="s3cret")
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("other").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    stale = sign(body, secret="s3cret", timestamp=int(time.time()) - 600)
    assert not verifier.is_valid(body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])


def test_each_kind_of_delivery_is_encoded_like_slack_does():
    event_body, event_type = encode_body("event", {"type": "event_callback", "event": {"type": "app_mention"}})
    assert event_type == "application/json" and json.loads(event_body)["event"]["type"] == "app_mention"

    command_body, command_type = encode_body("command", {"command": "/flywheel", "text": "ask why & how"})
    assert command_type == "application/x-www-form-urlencoded"
    assert parse_qs(command_body.decode()) == {"command": ["/flywheel"], "text": ["ask why & how"]}

    action_body, _ = encode_body("interactive", {"type": "block_actions", "actions": []})
    assert json.loads(parse_qs(action_body.decode())["payload"][0])["type"] == "block_actions"


def test_an_ack_body_is_read_as_json_text_or_nothing():
    assert parse_ack("application/json", b'{"response_action": "clear"}') == {"response_action": "clear"}
    assert parse_ack("text/plain; charset=utf-8", b"Working on it") == "Working on it"
    assert parse_ack("text/plain", b"") is None


def test_a_persons_message_carries_rich_text_with_mentions_as_user_elements():
    blocks = events.rich_text_blocks("<@U1> hello <@U2|ana>!")
    elements = blocks[0]["elements"][0]["elements"]
    assert elements == [
        {"type": "user", "user_id": "U1"},
        {"type": "text", "text": " hello "},
        {"type": "user", "user_id": "U2"},
        {"type": "text", "text": "!"},
    ]


def test_the_event_envelope_names_the_bot_that_is_authorized():
    body = events.event_callback(
        team_id="T1",
        app_id="A1",
        bot_user_id="UB",
        event={"type": "app_mention", "channel": "C1"},
        event_time=1700000000,
    )
    assert body["type"] == "event_callback" and body["event_id"].startswith("Ev")
    assert body["authorizations"] == [
        {"enterprise_id": None, "team_id": "T1", "user_id": "UB", "is_bot": True, "is_enterprise_install": False}
    ]
    assert body["event_context"].startswith("4-") and body["api_app_id"] == "A1"


def test_a_message_event_drops_thread_bookkeeping_and_names_the_channel_type():
    conversation = Conversation(id="D1", name="dm", kind="im", created=0, creator="U1")
    event = events.message_event(
        {"type": "message", "ts": "1.000001", "text": "hi", "reply_count": 2, "reply_users": ["U1"]}, conversation
    )
    assert event == {
        "type": "message",
        "ts": "1.000001",
        "text": "hi",
        "channel": "D1",
        "event_ts": "1.000001",
        "channel_type": "im",
    }


def test_a_command_from_a_dm_names_the_channel_directmessage():
    conversation = Conversation(id="D1", name="dm", kind="im", created=0, creator="U1")
    user = User(id="U1", name="ana", real_name="Ana", team_id="T1")
    payload = events.slash_command(
        team_id="T1",
        team_domain="t",
        app_id="A1",
        conversation=conversation,
        user=user,
        command="/flywheel",
        text="help",
        response_url="http://x/r",
        trigger_id="1.2.3",
    )
    assert payload["channel_name"] == "directmessage" and payload["user_name"] == "ana"


def test_faults_are_used_up_in_order_and_match_every_method_with_a_star():
    faults = Faults()
    faults.rate_limit("chat.postMessage", times=2, retry_after=3)
    faults.server_error("*")
    assert faults.take_api_fault("views.open", "rate_limit") is None
    assert faults.take_api_fault("chat.postMessage", "rate_limit").retry_after == 3
    assert faults.take_api_fault("chat.postMessage", "rate_limit") is not None
    assert faults.take_api_fault("chat.postMessage", "rate_limit") is None
    assert faults.take_api_fault("views.open", "server_error").status == 500
    assert faults.take_api_fault("views.open", "server_error") is None
    faults.slow("users.info", 0.5)
    assert all(faults.take_api_fault("users.info", "slow") for _ in range(3))
    faults.redeliver_next(times=2)
    assert faults.take_redelivery().times == 2 and faults.take_redelivery() is None


def test_the_journal_is_mirrored_to_jsonl(tmp_path):
    from datetime import UTC, datetime

    path = tmp_path / "journal.jsonl"
    journal = Journal(path=path)
    call = ApiCall(
        seq=journal.next_seq(),
        method="chat.postMessage",
        params={"text": "hi"},
        token="xoxb-1",
        http_method="POST",
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    journal.add(call)
    call.status, call.response = 200, {"ok": True}
    journal.finish(call)
    journal.note("problem", "something", datetime(2026, 1, 1, tzinfo=UTC))

    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["type"] for r in records] == ["apicall", "note"]
    assert records[0]["method"] == "chat.postMessage" and records[0]["response"] == {"ok": True}
    assert journal.api_calls("chat.postMessage") == [call] and journal.notes("problem")[0].text == "something"
