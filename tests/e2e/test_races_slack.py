"""Requests that arrive truly at once, through the local Slack, against the production coach on SQLite and PostgreSQL.

Each race is repeated for many rounds, so the interleaving that breaks it shows up reliably.
"""

from __future__ import annotations

import asyncio

from sqlmodel import col, func, select

from bot.blocks.checkins import turned_on_text
from bot.emulator import Human, LocalSlack
from bot.store.answers import vote_counts
from bot.store.models.answers import AnswerPassage, AnswerRecord, AnswerVote
from tests.e2e.conftest import CoachFactory

ROUNDS = 20
QUESTION = "How did Harvey start with no data?"
FAILURE = "Something went wrong"


def failures_seen(slack: LocalSlack, *people: Human) -> list[str]:
    """Every message or private note that tells someone the coach failed."""
    texts = [message.all_text() for message in slack.messages()]
    texts += [note.text for person in people for note in slack.ephemerals(person)]
    return [text for text in texts if FAILURE in text]


async def test_a_dm_a_mention_and_an_ask_at_once_in_a_new_workspace_are_all_answered(
    slack: LocalSlack, coach_factory: CoachFactory, database_url: str
) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    async with coach_factory("http", DATABASE_URL=database_url) as coach:
        for round_number in range(1, ROUNDS + 1):
            # The workspace is new again: the three requests all find it unknown and create it at once.
            await coach.services.workspaces.delete(team_id=slack.team_id)
            await asyncio.gather(
                ana.dm(QUESTION),
                ana.mention(general, QUESTION),
                ana.slash("/flywheel", f"ask {QUESTION}", channel=general),
            )
            await slack.wait_idle()
            assert failures_seen(slack, ana) == [], f"round {round_number}"
            async with coach.services.db.session() as session:
                surfaces = (
                    await session.exec(select(AnswerRecord.surface).where(AnswerRecord.team_id == slack.team_id))
                ).all()
            assert len(surfaces) == 3, f"round {round_number}: {surfaces}"


async def test_two_people_turning_checkins_on_at_once_get_one_announcement(
    slack: LocalSlack, coach_factory: CoachFactory, database_url: str
) -> None:
    ana = slack.add_user("ana")
    bo = slack.add_user("bo")
    async with coach_factory("http", DATABASE_URL=database_url):
        channels = [slack.add_channel(f"squad-{n}", members=[ana.id, bo.id]) for n in range(ROUNDS)]
        for channel in channels:
            await asyncio.gather(
                ana.slash("/flywheel", "checkins on", channel=channel),
                bo.slash("/flywheel", "checkins on", channel=channel),
            )
            await slack.wait_idle()
            # Turned off, then on again by both at once: resuming announces once too.
            await ana.slash("/flywheel", "checkins off", channel=channel)
            await slack.wait_idle()
            await asyncio.gather(
                ana.slash("/flywheel", "checkins on", channel=channel),
                bo.slash("/flywheel", "checkins on", channel=channel),
            )
        await slack.wait_idle()
        assert failures_seen(slack, ana, bo) == []
        for channel in channels:
            announcements = [
                message
                for message in slack.bot_messages(channel)
                if message.text in (turned_on_text(ana.id), turned_on_text(bo.id))
            ]
            assert len(announcements) == 2, channel
            # Whoever lost a race is shown the status privately, like anyone asking once they are on.
            assert slack.ephemerals(ana, channel) and slack.ephemerals(bo, channel)


async def test_votes_clicked_at_once_are_each_counted_once(
    slack: LocalSlack, coach_factory: CoachFactory, database_url: str
) -> None:
    people = [slack.add_user(f"voter{n}") for n in range(ROUNDS)]
    general = slack.add_channel("general", members=[person.id for person in people])
    async with coach_factory("http", DATABASE_URL=database_url) as coach:
        asked = await people[0].mention(general, QUESTION)
        answer = await slack.wait_for_message(channel=general, thread_ts=asked)
        for number, person in enumerate(people):
            if number % 2:  # one person clicks 👍 twice at once
                await asyncio.gather(
                    person.give_feedback(positive=True, message=answer),
                    person.give_feedback(positive=True, message=answer),
                )
            else:  # one person clicks 👍 and 👎 at once
                await asyncio.gather(
                    person.give_feedback(positive=True, message=answer),
                    person.give_feedback(positive=False, message=answer),
                )
            await slack.wait_idle()
        assert failures_seen(slack, *people) == []
        async with coach.services.db.session() as session:
            voters = (await session.exec(select(AnswerVote.user_id).where(AnswerVote.team_id == slack.team_id))).all()
            ups = (
                await session.exec(
                    select(func.count())
                    .select_from(AnswerVote)
                    .where(AnswerVote.team_id == slack.team_id, AnswerVote.vote == 1)
                )
            ).one()
            cited = (
                await session.exec(
                    select(AnswerPassage.passage_id).where(
                        AnswerPassage.team_id == slack.team_id, col(AnswerPassage.cited)
                    )
                )
            ).all()
            stored_counts = await vote_counts(session)
        assert sorted(voters) == sorted(person.id for person in people)  # one vote each, none lost
        assert ups >= ROUNDS // 2  # every double 👍 stayed a 👍
        assert cited
        for passage_id in cited:
            # The ranking prior the running coach moved vote by vote agrees with the stored votes.
            assert coach.services.knowledge.vote_counts(passage_id) == stored_counts[passage_id]
            assert sum(stored_counts[passage_id]) == ROUNDS
