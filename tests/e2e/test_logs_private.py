"""No message, question, answer or note text and no token reaches the logs, at any level, on any surface."""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import answers as answer_blocks
from bot.blocks import checkins as checkin_blocks
from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.logs import WithoutPrivateText, configure_logging
from tests.e2e.conftest import CoachFactory
from tests.e2e.handmade import block_action, captured_logs, post_signed, view_submission

NEW_YORK = ZoneInfo("America/New_York")
MONDAY_MORNING = datetime(2026, 3, 2, 9, tzinfo=NEW_YORK)


@pytest.fixture
def transport() -> str:
    """Hand-made requests are signed HTTP posts."""
    return "http"


async def _forged_and_malformed(slack: LocalSlack, marker: str, user_id: str, channel_id: str) -> None:
    """Requests with the marker that the coach must refuse or ignore, each of which Bolt would log whole."""
    event = {
        "type": "event_callback",
        "team_id": slack.team_id,
        "api_app_id": slack.app_id,
        "event_id": f"Ev{uuid.uuid4().hex[:10]}",
        "event_time": int(time.time()),
        "event": {"type": "message", "user": user_id, "text": marker, "channel": channel_id, "ts": "1.000002"},
    }
    body = json.dumps(event).encode()
    await slack.deliver_raw(body, {"Content-Type": "application/json", **slack.sign(body, secret="not-the-secret")})
    await slack.deliver_raw(body, {"Content-Type": "application/json"})
    for raw in (b'{"text": "' + marker.encode() + b'"', json.dumps([marker]).encode(), marker.encode()):
        await slack.deliver_raw(raw, {"Content-Type": "application/json", **slack.sign(raw)})
    unhandled = block_action(slack, user_id=user_id, channel_id=channel_id, action_id="no_such_button", value=marker)
    await post_signed(slack, "interactive", unhandled)
    settings = view_submission(
        slack,
        user_id=user_id,
        callback_id=checkin_blocks.VIEW_SETTINGS,
        values={checkin_blocks.BLOCK_TIMEZONE: {checkin_blocks.INPUT: {"value": [marker]}}},
        private_metadata=json.dumps({"channel": channel_id, "note": marker}),
    )
    await post_signed(slack, "interactive", settings)
    await post_signed(
        slack,
        "interactive",
        block_action(slack, user_id=user_id, channel_id=channel_id, action_id="interview_choice_0", value=marker),
    )
    await post_signed(
        slack,
        "command",
        {
            "command": "/flywheel",
            "text": f"checkins away {marker}",
            "team_id": slack.team_id,
            "user_id": user_id,
            "channel_id": channel_id,
            "trigger_id": "t.1",
        },
    )


async def test_marker_text_and_the_token_never_reach_the_logs(
    slack: LocalSlack, clock: ManualClock, coach_factory: CoachFactory, database_url: str
) -> None:
    marker = f"Plum{uuid.uuid4().hex[:10]}"
    clock.set(MONDAY_MORNING)
    with captured_logs(logging.DEBUG) as log:
        async with coach_factory("http", DATABASE_URL=database_url):
            ana = slack.add_user("ana", tz="America/New_York")
            team = slack.add_channel("growth", members=[ana])

            await ana.dm(f"what is a data flywheel? {marker}")
            await slack.wait_for_message(channel=ana.dm_channel)
            await ana.dm(f"\x00{marker} with a NUL")
            await ana.slash("/flywheel", f"ask how do loops start {marker}", channel=team)
            await ana.mention(team, f"what is the deletion test? {marker}")
            answer = await slack.wait_for_message(channel=team, contains="deletion")
            await ana.give_feedback(positive=True, message=answer)
            await slack.wait_idle()  # 👍 then 👎 at once is the vote race another helper owns
            await ana.give_feedback(positive=False, message=answer)
            await slack.wait_for_modal(ana, callback_id=answer_blocks.VIEW_REASON)
            await ana.submit_modal({answer_blocks.ACTION_REASON: f"missed {marker}"})
            await slack.wait_idle()

            await ana.slash("/flywheel", "interview", channel=team)
            intro = await slack.wait_for_message(channel=team, contains="Loop interview started")
            question = await slack.wait_for_message(channel=team, thread_ts=intro.ts, contains="Question 1 of")
            await ana.post(team, f"maybe {marker}", thread_ts=intro.ts)
            await slack.wait_idle()
            await ana.click("interview_note", message=question)
            await slack.wait_for_modal(ana)
            await ana.submit_modal({"interview_pick_value": "yes", "interview_note_value": f"note {marker}"})
            await slack.wait_for_message(channel=team, thread_ts=intro.ts, contains="Question 2 of")

            await ana.slash("/flywheel", "checkins on", channel=team)
            await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")
            slack.advance(datetime(2026, 3, 3, 10, 0, 5, tzinfo=NEW_YORK) - clock.now())
            ship = await slack.wait_for_message(channel=team, contains="What ships this week?")
            await slack.wait_idle()  # the prompt's thread is recorded after it is posted
            await ana.post(team, f"{marker} search | feedback | {marker} rate", thread_ts=ship.ts)
            await slack.wait_for_message(channel=team, thread_ts=ship.ts, contains=marker)
            await ana.post(team, f"{marker} | telepathy | x", thread_ts=ship.ts)
            slack.advance(datetime(2026, 3, 5, 10, 0, 5, tzinfo=NEW_YORK) - clock.now())
            measure = await slack.wait_for_message(channel=team, contains="Did it work?")
            await slack.wait_idle()
            await ana.post(team, f"#1 moved +2.5 next: scale learned {marker}", thread_ts=measure.ts)
            await ana.post(team, f"#1 moved by {marker}", thread_ts=measure.ts)
            await slack.wait_idle()

            await _forged_and_malformed(slack, marker, ana.id, team)
            await slack.wait_idle()
    captured = log.getvalue()
    assert " DEBUG slack_bolt" in captured and " DEBUG bot" in captured or " DEBUG slack_sdk" in captured
    assert marker not in captured
    assert slack.bot_token not in captured and "xoxb-" not in captured


def test_the_filter_keeps_library_wording_and_drops_what_follows() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = configure_logging(logging.DEBUG, stream=None)
    keep = Keep()
    keep.addFilter(WithoutPrivateText())
    library = logging.getLogger("slack_bolt.test")
    library.addHandler(keep)
    try:
        library.info("Invalid request signature detected (body: %s)", "secret words")
        typed = "secret " + "words"
        try:
            int(typed)
        except ValueError:
            library.exception("Failed to run listener function")
    finally:
        library.removeHandler(keep)
        logging.getLogger().removeHandler(handler)
    formatted = [logging.Formatter("%(message)s").format(record) for record in records]
    assert formatted[0].startswith("Invalid request signature detected (details withheld")
    assert "Traceback" in formatted[1] and "ValueError (message withheld)" in formatted[1]
    assert all("secret words" not in line for line in formatted)
