"""Check-ins through the local Slack: turning them on, the weekly prompts, modals and thread replies."""

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import checkins as blocks
from bot.clock import ManualClock
from bot.emulator import LocalSlack, Message
from bot.runtime import Coach
from tests.e2e.conftest import CoachFactory

NEW_YORK = ZoneInfo("America/New_York")
MONDAY_MORNING = datetime(2026, 3, 2, 9, tzinfo=NEW_YORK)


@pytest.fixture
async def coach(coach_factory: CoachFactory, transport: str, clock: ManualClock) -> AsyncIterator[Coach]:
    """The coach started on a Monday morning in New York (the clock is set before it starts, never after)."""
    clock.set(MONDAY_MORNING)
    async with coach_factory(transport) as running:
        yield running


async def move_to(slack: LocalSlack, clock: ManualClock, moment: datetime) -> None:
    """Move the shared clock to `moment` (the scheduler notices the jump)."""
    slack.advance(moment - clock.now())


def top_level(slack: LocalSlack, channel: str) -> list[Message]:
    return [m for m in slack.bot_messages(channel) if not m.thread_ts or m.thread_ts == m.ts]


async def test_turning_on_announces_the_schedule_in_the_persons_time_zone(
    slack: LocalSlack, clock: ManualClock, coach: Coach
) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    team = slack.add_channel("growth", members=[ana])

    await ana.slash("/flywheel", "checkins on", channel=team)

    notice = await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")
    assert "America/New_York" in notice.all_text()
    status = await slack.wait_for_ephemeral(ana, contains="Check-ins are *on*")
    assert "Next: ship prompt on Tue Mar 3, 10:00." in status.all_text()
    await ana.open_home()
    home = await slack.wait_for_home(ana, contains="Your weekly check-ins")
    assert f"<#{team}> · *on* · next: ship prompt Tue Mar 3, 10:00" in home.all_text()


async def test_a_week_of_prompts_with_modal_and_thread_answers(
    slack: LocalSlack, clock: ManualClock, coach: Coach
) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    bob = slack.add_user("bob", tz="America/New_York")
    team = slack.add_channel("growth", members=[ana, bob])
    await ana.slash("/flywheel", "checkins on", channel=team)
    await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")

    await move_to(slack, clock, datetime(2026, 3, 3, 10, 0, 5, tzinfo=NEW_YORK))
    ship = await slack.wait_for_message(channel=team, contains="What ships this week?")
    assert "late" not in ship.all_text().lower()
    await slack.wait_idle()  # the prompt's thread is the coach's once its post is recorded, a moment after it shows

    await ana.post(team, "Thumbs on answers | feedback | share of rated answers", thread_ts=ship.ts)
    await slack.wait_for_message(channel=team, thread_ts=ship.ts, contains="Thumbs on answers")
    await bob.click(blocks.ACTION_ADD_ITEM, message=ship)
    await slack.wait_for_modal(bob)
    await bob.submit_modal(
        {
            blocks.BLOCK_WHAT: "Click logging on search",
            blocks.BLOCK_STAGE: "collection",
            blocks.BLOCK_METRIC: "logged sessions",
        }
    )
    await slack.wait_for_message(channel=team, thread_ts=ship.ts, contains="Click logging on search")

    await move_to(slack, clock, datetime(2026, 3, 5, 10, 0, 5, tzinfo=NEW_YORK))
    measure = await slack.wait_for_message(channel=team, contains="Did it work?")
    assert "1. Thumbs on answers" in measure.all_text()
    assert "2. Click logging on search" in measure.all_text()


async def test_settings_modal_changes_days_times_zone_and_who_is_asked(
    slack: LocalSlack, clock: ManualClock, coach: Coach
) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    bob = slack.add_user("bob", tz="Asia/Tokyo")
    team = slack.add_channel("growth", members=[ana, bob])
    await ana.slash("/flywheel", "checkins on", channel=team)
    await slack.wait_for_ephemeral(ana, contains="Check-ins are *on*")

    await ana.click(blocks.ACTION_OPEN_SETTINGS)
    modal = await slack.wait_for_modal(ana)
    assert modal.callback_id == blocks.VIEW_SETTINGS
    bad = await ana.submit_modal({blocks.BLOCK_TIMEZONE: "Mars/Olympus"})
    assert "IANA" in bad.errors[blocks.BLOCK_TIMEZONE]
    backwards = await ana.submit_modal({blocks.BLOCK_TIMEZONE: "Asia/Tokyo", "measure_day": "0"})
    assert "after the ship prompt" in backwards.errors[blocks.time_block(blocks.Prompt.MEASURE)]
    saved = await ana.submit_modal(
        {
            blocks.BLOCK_TIMEZONE: "Asia/Tokyo",
            "measure_day": "3",
            blocks.day_block(blocks.Prompt.SHIP): "0",
            blocks.time_block(blocks.Prompt.SHIP): "09:30",
            blocks.BLOCK_ENABLED: ["ship", "measure", "digest"],
            blocks.BLOCK_PARTICIPANTS: [bob.id],
        }
    )
    assert saved.action == "closed"
    note = await slack.wait_for_ephemeral(ana, contains="Saved.")
    assert "Ship prompt Mon 09:30" in note.text
    assert "Reminder" not in note.text
    assert "(Asia/Tokyo)" in note.text

    # Monday 09:30 in Tokyo is Sunday 19:30 in New York.
    await move_to(slack, clock, datetime(2026, 3, 9, 9, 30, 5, tzinfo=ZoneInfo("Asia/Tokyo")))
    ship = await slack.wait_for_message(channel=team, contains="What ships this week? Week 11")
    assert f"Asked: <@{bob.id}>" in ship.all_text()


async def test_prompt_buttons_skip_the_week_or_mark_a_person_away(
    slack: LocalSlack, clock: ManualClock, coach: Coach
) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    bob = slack.add_user("bob", tz="America/New_York")
    team = slack.add_channel("growth", members=[ana, bob])
    await ana.slash("/flywheel", "checkins on", channel=team)
    await slack.wait_for_ephemeral(ana, contains="Check-ins are *on*")
    await move_to(slack, clock, datetime(2026, 3, 3, 10, 0, 5, tzinfo=NEW_YORK))
    ship = await slack.wait_for_message(channel=team, contains="What ships this week?")

    await bob.click(blocks.ACTION_AWAY_WEEK, message=ship)
    await slack.wait_for_ephemeral(bob, contains="You're away from 2026-03-02 to 2026-03-08")
    await ana.click(blocks.ACTION_SKIP_WEEK, message=ship)
    await slack.wait_for_message(channel=team, thread_ts=ship.ts, contains="skipped check-ins for week 10")

    await move_to(slack, clock, datetime(2026, 3, 6, 15, 0, 5, tzinfo=NEW_YORK))
    await slack.wait_idle()
    assert [m.all_text()[:20] for m in top_level(slack, team)][-1].startswith("What ships")
    await ana.slash("/flywheel", "checkins status", channel=team)
    status = await slack.wait_for_ephemeral(ana, contains="Next: ship prompt on Tue Mar 10")
    assert "The channel skips check-ins until 2026-03-08" in status.all_text()

    await ana.slash("/flywheel", "checkins off", channel=team)
    await slack.wait_for_ephemeral(ana, contains="Check-ins are off in this channel")
    await move_to(slack, clock, datetime(2026, 3, 10, 10, 0, 5, tzinfo=NEW_YORK))
    await slack.wait_idle()
    assert len([m for m in top_level(slack, team) if "What ships" in m.all_text()]) == 1


async def test_bad_check_in_commands_get_a_clear_private_note(
    slack: LocalSlack, clock: ManualClock, coach: Coach
) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    team = slack.add_channel("growth", members=[ana])
    outside = slack.add_channel("no-coach", members=[ana], bot_member=False)

    await ana.slash("/flywheel", "checkins settings", channel=team)
    await slack.wait_for_ephemeral(ana, contains="not set up in this channel")
    await ana.slash("/flywheel", "checkins frobnicate", channel=team)
    await slack.wait_for_ephemeral(ana, contains="`/flywheel checkins on`")
    await ana.slash("/flywheel", "checkins on", channel=outside)
    await slack.wait_for_ephemeral(ana, contains="invite me")
    await ana.slash("/flywheel", "checkins status", channel=outside)
    await slack.wait_for_ephemeral(ana, contains="Check-ins are *off*")
    await ana.slash("/flywheel", "checkins on", channel=team)
    await slack.wait_for_ephemeral(ana, contains="Check-ins are *on*")
    await ana.slash("/flywheel", "checkins skip 2026-W99", channel=team)
    await slack.wait_for_ephemeral(ana, contains="no ISO week 99")
    await ana.slash("/flywheel", "checkins away someday", channel=team)
    await slack.wait_for_ephemeral(ana, contains="not a date")
