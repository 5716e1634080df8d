"""Check-ins when things go wrong: downtime and restarts, channels Slack refuses, rate limits, failed posts."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.installations import WorkspaceTokens
from bot.listeners.checkins.poster import SlackCheckinPoster
from bot.store.models.checkins import CheckinDispatch, CheckinSchedule
from tests.e2e.conftest import CoachFactory
from tests.e2e.test_checkins_flow import move_to, top_level

BERLIN = ZoneInfo("Europe/Berlin")


async def dispatches(coach, team_id: str) -> dict[tuple[str, str, str], CheckinDispatch]:  # noqa: ANN001
    async with coach.services.db.session() as session:
        rows = (await session.exec(select(CheckinDispatch).where(CheckinDispatch.team_id == team_id))).all()
    return {(row.channel_id, row.week, row.prompt): row for row in rows}


async def test_after_downtime_a_missed_prompt_goes_out_late_once_and_a_stale_one_never(
    slack: LocalSlack, clock: ManualClock, coach_factory: CoachFactory
) -> None:
    ana = slack.add_user("ana", tz="Europe/Berlin")
    team = slack.add_channel("search", members=[ana])
    clock.set(datetime(2026, 3, 2, 9, tzinfo=BERLIN))
    async with coach_factory("http"):
        await ana.slash("/flywheel", "checkins on", channel=team)
        await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")

    # Down all Tuesday: back on Wednesday morning, the ship prompt is still useful.
    clock.set(datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    async with coach_factory("http"):
        late = await slack.wait_for_message(channel=team, contains="What ships this week? Week 10")
        assert "Sent late: this was due Tuesday at 10:00 CET, 22 hours ago" in late.all_text()
        await slack.wait_idle()

    # Down from then until Thursday noon of the next week: that ship prompt has expired, the measure one is late.
    clock.set(datetime(2026, 3, 12, 12, 0, tzinfo=BERLIN))
    async with coach_factory("http") as coach:
        measure = await slack.wait_for_message(channel=team, contains="Did it work? Week 11")
        assert "Sent late" in measure.all_text()
        await slack.wait_idle()
        rows = await dispatches(coach, slack.team_id)
    ships = [m for m in top_level(slack, team) if "What ships" in m.all_text()]
    assert len(ships) == 1
    assert rows[(team, "2026-W11", "ship")].status == "expired"
    assert rows[(team, "2026-W10", "measure")].status == "expired"  # week 10's measure and digest came due
    assert rows[(team, "2026-W10", "digest")].status == "expired"  # while the coach was down, too late now
    assert rows[(team, "2026-W11", "measure")].status == "posted"


async def test_refused_channels_pause_and_tell_their_owner_while_the_others_still_get_theirs(
    slack: LocalSlack, clock: ManualClock, coach_factory: CoachFactory
) -> None:
    ana = slack.add_user("ana", tz="Europe/Berlin")
    bob = slack.add_user("bob", tz="Europe/Berlin")
    healthy = [slack.add_channel(f"team-{n}", members=[ana, bob]) for n in range(4)]
    archived = slack.add_channel("old-project", members=[ana])
    removed = slack.add_channel("kicked-us-out", members=[bob])
    clock.set(datetime(2026, 3, 2, 9, tzinfo=BERLIN))
    async with coach_factory("http") as coach:
        for person, channel in [(ana, c) for c in [*healthy, archived]] + [(bob, removed)]:
            await person.slash("/flywheel", "checkins on", channel=channel)
            await slack.wait_for_message(channel=channel, contains="turned on weekly check-ins")
        slack.archive_channel(archived)
        slack.remove_bot_from(removed)
        # A channel deleted since: Slack answers channel_not_found.
        async with coach.services.db.session() as session:
            row = (await session.exec(select(CheckinSchedule).where(CheckinSchedule.channel_id == healthy[0]))).one()
            session.add(
                CheckinSchedule(
                    **row.model_dump(exclude={"id", "channel_id", "set_up_by"}),
                    channel_id="C0DELETED",
                    set_up_by=bob.id,
                )
            )
        # And seven 429s spread over the concurrent posts: the Web API client's retry handler waits each out.
        slack.faults.rate_limit("chat.postMessage", times=7, retry_after=1)

        await move_to(slack, clock, datetime(2026, 3, 3, 10, 0, 5, tzinfo=BERLIN))
        for channel in healthy:
            await slack.wait_for_message(channel=channel, contains="What ships this week?")
        await slack.wait_for_message(channel=ana.dm_channel, contains="the channel was archived")
        await slack.wait_for_message(channel=bob.dm_channel, contains="no longer a member of the channel")
        await slack.wait_for_message(channel=bob.dm_channel, contains="can no longer be found")
        await slack.wait_idle()

        for channel in healthy:
            assert len([m for m in top_level(slack, channel) if "What ships" in m.all_text()]) == 1
        assert [call.status for call in slack.api_calls("chat.postMessage")].count(429) == 7
        async with coach.services.db.session() as session:
            states = {
                row.channel_id: (row.state, row.next_due_at)
                for row in (await session.exec(select(CheckinSchedule))).all()
            }
        assert states[archived] == ("paused", None)
        assert states[removed] == ("paused", None)
        assert states["C0DELETED"] == ("paused", None)
        assert all(states[channel][0] == "on" for channel in healthy)

        # The owner sees why in the status, and can resume once the coach is back in.
        slack.add_bot_to(removed)
        await bob.slash("/flywheel", "checkins status", channel=removed)
        await slack.wait_for_ephemeral(bob, contains="Paused because the coach is no longer a member")
        await bob.slash("/flywheel", "checkins on", channel=removed)
        await slack.wait_for_ephemeral(bob, contains="Check-ins are *on*")


async def test_a_failed_post_is_retried_by_the_next_pass_and_lands_once(
    slack: LocalSlack, clock: ManualClock, coach_factory: CoachFactory
) -> None:
    ana = slack.add_user("ana", tz="Europe/Berlin")
    team = slack.add_channel("ranking", members=[ana])
    clock.set(datetime(2026, 3, 2, 9, tzinfo=BERLIN))
    async with coach_factory("http") as coach:
        await ana.slash("/flywheel", "checkins on", channel=team)
        await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")
        slack.faults.server_error("chat.postMessage", times=3)  # beyond the client's two retries

        poster = SlackCheckinPoster(coach.app.client, WorkspaceTokens(token=coach.settings.slack_bot_token))
        report = await coach.services.checkins.run_pass(poster, datetime(2026, 3, 3, 10, 0, 5, tzinfo=BERLIN))
        assert report.counts() == {"failed": 1}
        assert (await dispatches(coach, slack.team_id))[(team, "2026-W10", "ship")].status == "failed"

        report = await coach.services.checkins.run_pass(poster, datetime(2026, 3, 3, 10, 1, tzinfo=BERLIN))
        assert report.counts() == {"posted": 1}
        await slack.wait_idle()
    assert len([m for m in top_level(slack, team) if "What ships" in m.all_text()]) == 1
