"""The loop interview through the local Slack: buttons, typed replies, restarts, teammates, re-runs, re-asks."""

from __future__ import annotations

import io

from PIL import Image

from bot.emulator import LocalSlack
from bot.runtime import Coach
from tests.e2e.conftest import CoachFactory

TYPED = [
    ("data_status", "yes"),
    ("collection", "4 - click events, owner @dana, metric: searches"),
    ("storage", "3"),
    ("storage_shared", "each team keeps its own"),
    ("analysis", "manual"),
    ("application", "2"),
    ("insight_path", "slide deck"),
    ("feedback", "2"),
    ("loop_closes", "no"),
    ("deletion_test", "individual"),
    ("complexity", "routine"),
    ("risks", "1,3"),
    ("idea_to_live", "2 months"),
    ("live_to_learn", "never"),
]


async def start_interview(slack: LocalSlack, person, channel: str) -> str:
    """Run `/flywheel interview` and return the thread it opened."""
    await person.slash("/flywheel", "interview", channel=channel)
    intro = await slack.wait_for_message(channel=channel, contains="Loop interview started")
    await slack.wait_for_message(channel=channel, thread_ts=intro.ts, contains="Question 1 of")
    return intro.ts


async def test_a_full_interview_by_typed_replies(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    thread = await start_interview(slack, ana, growth)
    for number, (_, reply) in enumerate(TYPED, start=1):
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains=f"Question {number} of 14")
        await ana.post(growth, reply, thread_ts=thread)
    summary = await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Loop map · version 1")
    text = summary.all_text()
    assert "Data in silos" in text and "Insights die in slide decks" in text and "Loop stays open" in text
    assert "Training on AI-generated output" in text and "What to fix first" in text
    picture = await slack.wait_for_file(channel=growth, name="loop-map-v1.png")
    image = Image.open(io.BytesIO(picture.content))
    assert image.size == (1000, 750)
    assert [call.method for call in slack.api_calls() if call.method.startswith("files.")][:2] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    await slack.wait_idle()
