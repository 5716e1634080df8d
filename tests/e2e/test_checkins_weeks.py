"""Three weeks of check-ins in New York, across the switch to daylight saving time, checked to the figure."""

from datetime import UTC, datetime

from bot.blocks import checkins as blocks
from bot.clock import ManualClock
from bot.emulator import LocalSlack, Message
from bot.interview.diagnosis import diagnose
from bot.store.loop_maps import latest_map, save_map_version
from tests.e2e.conftest import CoachFactory
from tests.e2e.test_checkins_flow import NEW_YORK, move_to, top_level


def answer(value: object) -> dict:
    return {"value": value, "note": "", "user_id": "U0SEED", "skipped": False}


SEEDED_ANSWERS = {
    "live_to_learn": answer(30.0),
    "loop_closes": answer("no"),
    "insight_path": answer("deck"),
}


def fields_text(message: Message) -> str:
    return " | ".join(field["text"] for block in message.blocks for field in block.get("fields", []))


async def test_three_weeks_with_late_answers_edits_a_skip_and_dst(
    slack: LocalSlack, clock: ManualClock, coach_factory: CoachFactory
) -> None:
    ana = slack.add_user("ana", tz="America/New_York")
    bob = slack.add_user("bob", tz="America/New_York")
    team = slack.add_channel("growth", members=[ana, bob])
    clock.set(datetime(2026, 3, 2, 9, tzinfo=NEW_YORK))

    async with coach_factory("http") as coach:
        async with coach.services.db.session() as session:
            await save_map_version(
                session,
                team_id=slack.team_id,
                channel_id=team,
                answers=SEEDED_ANSWERS,
                diagnosis=diagnose(SEEDED_ANSWERS).model_dump(mode="json"),
                created_by=ana.id,
            )
        await ana.slash("/flywheel", "checkins on", channel=team)
        await slack.wait_for_message(channel=team, contains="turned on weekly check-ins")

        # ---- week 10 (EST): ship by thread reply and by modal
        await move_to(slack, clock, datetime(2026, 3, 3, 10, 0, 5, tzinfo=NEW_YORK))
        ship10 = await slack.wait_for_message(channel=team, contains="What ships this week? Week 10")
        await slack.wait_idle()  # the prompt's thread is the coach's once its post is recorded, a moment after it shows
        ana_reply = await ana.post(team, "Thumbs on answers | feedback | share of rated answers", thread_ts=ship10.ts)
        await slack.wait_for_message(channel=team, thread_ts=ship10.ts, contains="Thumbs on answers")
        await bob.click(blocks.ACTION_ADD_ITEM, message=ship10)
        await slack.wait_for_modal(bob)
        await bob.submit_modal({blocks.BLOCK_WHAT: "Click logging on search", blocks.BLOCK_STAGE: "collection"})
        await slack.wait_for_message(channel=team, thread_ts=ship10.ts, contains="Click logging on search")

        # ---- Thursday: a result by modal, then the reminder to the owner of the other item
        await move_to(slack, clock, datetime(2026, 3, 5, 10, 0, 5, tzinfo=NEW_YORK))
        measure10 = await slack.wait_for_message(channel=team, contains="Did it work? 2 shipped items")
        await ana.click(blocks.ACTION_REPORT_RESULT, message=measure10, value=report_value(measure10, 0))
        await slack.wait_for_modal(ana)
        await ana.submit_modal(
            {
                blocks.BLOCK_RESULT: "moved",
                blocks.BLOCK_NUMBER: "4",
                blocks.BLOCK_LEARNED: "People rate short answers",
                blocks.BLOCK_NEXT: "scale",
            }
        )
        await slack.wait_for_message(channel=team, thread_ts=measure10.ts, contains="reported")
        await slack.wait_for_message(lambda m: m.ts == measure10.ts and "Moved · +4 · next: Scale" in m.all_text())

        await move_to(slack, clock, datetime(2026, 3, 5, 16, 0, 5, tzinfo=NEW_YORK))
        reminder = await slack.wait_for_message(channel=team, thread_ts=measure10.ts, contains="no measured result")
        assert f"<@{bob.id}>: 1 change" in reminder.all_text()
        assert f"<@{ana.id}>" not in reminder.all_text()

        # ---- Friday: the digest, its chart, and the loop map's new evidence
        await move_to(slack, clock, datetime(2026, 3, 6, 15, 0, 5, tzinfo=NEW_YORK))
        digest10 = await slack.wait_for_message(channel=team, contains="Iterate: week 10")
        assert "*Shipped*\n2" in fields_text(digest10)
        assert "1 of 2 (50%)" in fields_text(digest10)
        assert "*Ship to result (median)*\n2.0 days" in fields_text(digest10)
        assert "1 week in a row" in fields_text(digest10)
        chart = await slack.wait_for_file(channel=team, name="checkins-2026-W10.png")
        assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
        await slack.wait_idle()
        async with coach.services.db.session() as session:
            loop_map = await latest_map(session, team_id=slack.team_id, channel_id=team)
        assert loop_map is not None and loop_map.version == 2
        assert loop_map.answers["live_to_learn"]["value"] == 2.0
        assert loop_map.answers["loop_closes"]["value"] == "manual"
        assert loop_map.answers["insight_path"]["value"] == "deck"  # one measured item is too few to say

        # ---- week 11 (EDT now): the ship prompt at 10:00 local, i.e. an hour earlier in UTC
        await move_to(slack, clock, datetime(2026, 3, 10, 10, 0, 5, tzinfo=NEW_YORK))
        ship11 = await slack.wait_for_message(channel=team, contains="What ships this week? Week 11")
        posted_at = datetime.fromtimestamp(float(ship11.ts), UTC)
        assert (posted_at.hour, posted_at.minute) == (14, 0)

        # a late answer for last week, and an edit of last week's item: both update week 10's messages
        await bob.post(team, "#2 no change learned: nobody searched yet next: iterate", thread_ts=measure10.ts)
        await slack.wait_for_message(lambda m: m.ts == digest10.ts and "2 of 2 (100%)" in fields_text(m))
        digest10 = slack.workspace.get_message(team, digest10.ts)
        assert "4.5 days" in fields_text(digest10)  # 2.0 and 6.96 days (one hour less: DST)
        await ana.edit(team, ana_reply, "Thumbs and comments on answers | feedback | share of rated answers")
        await slack.wait_for_message(
            lambda m: m.ts == measure10.ts and "Thumbs and comments on answers" in m.all_text()
        )
        await slack.wait_for_message(lambda m: m.ts == digest10.ts and "Thumbs and comments" in m.all_text())

        # bob is away this week; ana logs his item and hers
        await bob.slash("/flywheel", "checkins away", channel=team)
        await slack.wait_for_ephemeral(bob, contains="You're away from 2026-03-10 to 2026-03-15")
        await ana.post(team, "Retrain ranker weekly | application | answer click rate", thread_ts=ship11.ts)
        await slack.wait_for_message(channel=team, thread_ts=ship11.ts, contains="Retrain ranker weekly")
        await ana.post(team, f"<@{bob.id}> Weekly cohort notebook | analysis | questions answered", thread_ts=ship11.ts)
        await slack.wait_for_message(channel=team, thread_ts=ship11.ts, contains="Weekly cohort notebook")

        await move_to(slack, clock, datetime(2026, 3, 12, 10, 0, 5, tzinfo=NEW_YORK))
        measure11 = await slack.wait_for_message(channel=team, contains="Did it work? Week 11")
        assert f"2. Weekly cohort notebook* · <@{bob.id}>" in measure11.all_text()
        await slack.wait_idle()
        await ana.post(team, "#1 moved +2.5 next: scale", thread_ts=measure11.ts)
        await slack.wait_for_message(lambda m: m.ts == measure11.ts and "Moved · +2.5 · next: Scale" in m.all_text())

        await move_to(slack, clock, datetime(2026, 3, 12, 16, 0, 5, tzinfo=NEW_YORK))
        await slack.wait_idle()
        assert not any("no measured result" in m.all_text() for m in slack.bot_messages(team, measure11.ts))

        await move_to(slack, clock, datetime(2026, 3, 13, 15, 0, 5, tzinfo=NEW_YORK))
        digest11 = await slack.wait_for_message(channel=team, contains="Iterate: week 11")
        assert "1 of 2 (50%)" in fields_text(digest11)
        assert "*Ship to result (median)*\n2.0 days" in fields_text(digest11)
        assert "2 weeks in a row" in fields_text(digest11)
        await slack.wait_for_file(channel=team, name="checkins-2026-W11.png")
        await slack.wait_idle()
        async with coach.services.db.session() as session:
            loop_map = await latest_map(session, team_id=slack.team_id, channel_id=team)
        assert loop_map is not None and loop_map.version == 3
        assert loop_map.answers["insight_path"]["value"] == "ticket"  # 3 of 3 measured got a next step

        # ---- week 12: the channel skips it, nothing goes out; week 13 starts again
        await move_to(slack, clock, datetime(2026, 3, 16, 9, tzinfo=NEW_YORK))
        await ana.slash("/flywheel", "checkins skip", channel=team)
        await slack.wait_for_message(channel=team, contains="skipped check-ins for week 12")
        before = len(top_level(slack, team))
        for day, hour in ((17, 10), (19, 10), (19, 16), (20, 15)):
            await move_to(slack, clock, datetime(2026, 3, day, hour, 0, 5, tzinfo=NEW_YORK))
            await slack.wait_idle()
        assert len(top_level(slack, team)) == before
        await move_to(slack, clock, datetime(2026, 3, 24, 10, 0, 5, tzinfo=NEW_YORK))
        await slack.wait_for_message(channel=team, contains="What ships this week? Week 13")


def report_value(message: Message, index: int) -> str:
    """The value of the index-th "Report result" button of a measure prompt."""
    return [
        block["accessory"]["value"]
        for block in message.blocks
        if (block.get("accessory") or {}).get("action_id") == blocks.ACTION_REPORT_RESULT
    ][index]
