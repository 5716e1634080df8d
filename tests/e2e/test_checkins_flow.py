"""Check-ins through the local Slack: turning them on, the weekly prompts, modals and thread replies."""

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.blocks import checkins as blocks
from bot.clock import ManualClock
from bot.emulator import LocalSlack, Message
from bot.runtime import Coach

NEW_YORK = ZoneInfo("America/New_York")


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
    clock.set(datetime(2026, 3, 2, 9, tzinfo=NEW_YORK))

    await ana.slash("/flywheel", "checkins on", channel=team)

    notice = await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")
    assert "America/New_York" in notice.all_text()
    status = await slack.wait_for_ephemeral(ana, contains="Check-ins are *on*")
    assert "Next: ship prompt on Tue Mar 3, 10:00." in status.all_text()


async def test_a_week_of_prompts_with_modal_and_thread_answers(
    slack: LocalSlack, clock: ManualClock, coach: Coach
) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    bob = slack.add_user("bob", tz="America/New_York")
    team = slack.add_channel("growth", members=[ana, bob])
    clock.set(datetime(2026, 3, 2, 9, tzinfo=NEW_YORK))
    await ana.slash("/flywheel", "checkins on", channel=team)
    await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")

    await move_to(slack, clock, datetime(2026, 3, 3, 10, 0, 5, tzinfo=NEW_YORK))
    ship = await slack.wait_for_message(channel=team, contains="What ships this week?")
    assert "late" not in ship.all_text().lower()

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
