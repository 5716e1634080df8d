"""The loop interview through the local Slack: buttons, typed replies, restarts, teammates, re-runs, re-asks."""

from __future__ import annotations

import asyncio
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


BUTTONS = {
    "data_status": 3,
    "collection": 2,
    "storage": 2,
    "storage_shared": 1,
    "analysis": 1,
    "application": 2,
    "insight_path": 2,
    "feedback": 1,
    "loop_closes": 3,
    "deletion_test": 2,
    "complexity": 3,
    "idea_to_live": 4,
    "live_to_learn": 3,
}
MODAL_PICKS = {"cold_start_plan": ["experts", "synthetic"], "risks": ["none"]}


async def test_a_full_interview_by_buttons_and_the_note_modal(slack: LocalSlack, coach_factory: CoachFactory) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    async with coach_factory("http") as running:
        thread = await start_interview(slack, ana, growth)
        for number in range(1, 16):
            question = await slack.wait_for_message(channel=growth, thread_ts=thread, contains=f"Question {number} of ")
            question_id = _question_id(question)
            if question_id in MODAL_PICKS:
                await ana.click("interview_note", message=question)
                await slack.wait_for_modal(ana)
                await ana.submit_modal(
                    {"interview_pick_value": MODAL_PICKS[question_id], "interview_note_value": "seeded"}
                )
            else:
                await ana.click(f"interview_choice_{BUTTONS[question_id]}", message=question)
            if number == 1:
                answered = await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Answered by")
                assert not answered.action_elements()  # the old buttons are gone
        summary = await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Loop map · version 1")
        assert "Cold start" in summary.all_text() and "(inferred)" in summary.all_text()
        await slack.wait_for_file(channel=growth, name="loop-map-v1.png")
        stored = await _stored_map(running, slack.team_id, growth)
        assert stored.current.answers["cold_start_plan"] == {
            "value": ["experts", "synthetic"], "note": "seeded", "user_id": ana.id, "skipped": False,
        }  # fmt: skip
        await slack.wait_idle()


async def test_an_interview_resumes_at_the_same_question_after_a_restart(
    slack: LocalSlack, coach_factory: CoachFactory
) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    async with coach_factory("http"):
        thread = await start_interview(slack, ana, growth)
        for number, (_, reply) in enumerate(TYPED[:3], start=1):
            await slack.wait_for_message(channel=growth, thread_ts=thread, contains=f"Question {number} of 14")
            await ana.post(growth, reply, thread_ts=thread)
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Question 4 of 14")
        await slack.wait_idle()
    async with coach_factory("socket"):
        await ana.post(growth, "no", thread_ts=thread)
        answered = await slack.wait_for_message(
            channel=growth, thread_ts=thread, contains="Can every team that needs the data", count=1
        )
        assert "No: each team keeps its own data" in answered.all_text()
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Question 5 of 14")
        await slack.wait_idle()


async def test_two_teammates_answer_and_racing_clicks_keep_one(slack: LocalSlack, coach_factory: CoachFactory) -> None:
    ana, ben = slack.add_user("ana"), slack.add_user("ben")
    growth = slack.add_channel("growth", members=[ana, ben])
    async with coach_factory("http") as running:
        thread = await start_interview(slack, ana, growth)
        await ana.post(growth, "yes", thread_ts=thread)
        second = await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Question 2 of 14")
        await asyncio.gather(
            ben.click("interview_choice_1", message=second),
            ana.click("interview_choice_4", message=second),
        )
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Question 3 of 14")
        await ben.post(growth, "scheduled", thread_ts=thread)
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Question 4 of 14")
        _, state = await _interview_state(running, slack.team_id, growth)
        winner = state.answers["collection"].user_id
        loser = ana if winner == ben.id else ben
        note = await slack.wait_for_ephemeral(loser, contains="already answered")
        assert f"already answered by <@{winner}>" in note.text
        assert state.answers["collection"].value == ("none" if winner == ben.id else "continuous")
        assert state.answers["data_status"].user_id == ana.id
        assert state.answers["storage"].user_id == ben.id
        questions = [m for m in slack.bot_messages(growth, thread_ts=thread) if "Question" in m.text]
        assert len(questions) == 4  # one message per question: the race posted no extra question
        await slack.wait_idle()


async def test_a_rerun_changes_one_answer_and_makes_version_two(slack: LocalSlack, coach_factory: CoachFactory) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    async with coach_factory("http") as running:
        thread = await start_interview(slack, ana, growth)
        for number, (_, reply) in enumerate(TYPED, start=1):
            await slack.wait_for_message(channel=growth, thread_ts=thread, contains=f"Question {number} of 14")
            await ana.post(growth, reply, thread_ts=thread)
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Loop map · version 1")
        await slack.wait_idle()
        await ana.slash("/flywheel", "interview", channel=growth)
        intro = await slack.wait_for_message(channel=growth, contains="starts from version 1")
        for number in range(1, 4):
            question = await slack.wait_for_message(
                channel=growth, thread_ts=intro.ts, contains=f"Question {number} of"
            )
            assert "Current answer" in question.all_text()
            await ana.click("interview_keep", message=question)
        question = await slack.wait_for_message(channel=growth, thread_ts=intro.ts, contains="Question 4 of")
        await ana.click("interview_choice_1", message=question)
        question = await slack.wait_for_message(channel=growth, thread_ts=intro.ts, contains="Question 5 of")
        await ana.click("interview_keep_all", message=question)
        summary = await slack.wait_for_message(channel=growth, thread_ts=intro.ts, contains="Loop map · version 2")
        assert "Data in silos" not in summary.all_text()
        await slack.wait_for_file(channel=growth, name="loop-map-v2.png")
        stored = await _stored_map(running, slack.team_id, growth)
        assert [version.version for version in stored.history] == [1, 2]
        assert stored.history[0].answers["storage_shared"]["value"] == "silos"
        assert stored.current.answers["storage_shared"]["value"] == "shared"
        await slack.wait_idle()


async def test_nonsense_gets_a_clear_reask_and_back_skip_why_work(
    slack: LocalSlack, coach_factory: CoachFactory
) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    async with coach_factory("http"):
        thread = await start_interview(slack, ana, growth)
        await ana.post(growth, "purple monkey dishwasher", thread_ts=thread)
        reask = await slack.wait_for_message(channel=growth, thread_ts=thread, contains="couldn't match")
        assert "Reply with a number from 1 to 3" in reask.all_text()
        await ana.post(growth, "why?", thread_ts=thread)
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Why I'm asking")
        await ana.post(growth, "1", thread_ts=thread)
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Question 2 of 14")
        await ana.post(growth, "back", thread_ts=thread)
        back = await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Question 1 of 14", count=2)
        assert "Current answer" in back.all_text()
        await ana.post(growth, "skip", thread_ts=thread)
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="Question 2 of 14", count=2)
        await ana.post(growth, "9", thread_ts=thread)
        await slack.wait_for_message(channel=growth, thread_ts=thread, contains="There is no choice 9")
        await slack.wait_idle()


async def test_map_command_posts_the_map_or_says_how_to_get_one(slack: LocalSlack, coach_factory: CoachFactory) -> None:
    ana = slack.add_user("ana")
    growth = slack.add_channel("growth", members=[ana])
    async with coach_factory("http"):
        await ana.slash("/flywheel", "map", channel=growth)
        await slack.wait_for_ephemeral(ana, contains="no loop map yet")
        thread = await start_interview(slack, ana, growth)
        for number, (_, reply) in enumerate(TYPED, start=1):
            await slack.wait_for_message(channel=growth, thread_ts=thread, contains=f"Question {number} of 14")
            await ana.post(growth, reply, thread_ts=thread)
        first = await slack.wait_for_file(channel=growth, name="loop-map-v1.png")
        await ana.slash("/flywheel", "map", channel=growth)
        posted = await slack.wait_for_message(
            lambda message: not message.is_reply, channel=growth, contains="Loop map · version 1"
        )
        await slack.wait_for_file(lambda record: record.id != first.id, channel=growth, name="loop-map-v1.png")
        await slack.wait_for_message(
            channel=growth, thread_ts=posted.ts, predicate=lambda message: message.ts != posted.ts
        )
        await ana.open_home()
        home = await slack.wait_for_home(ana, contains="Your loop maps")
        assert "Update interview" in home.all_text()
        await slack.wait_idle()


def _question_id(message) -> str:
    from bot.blocks.interview import read_button_value

    for _, element in message.action_elements():
        if element.get("action_id") == "interview_skip":
            return read_button_value(element["value"])[1]
    raise AssertionError("no interview buttons in the question message")


async def _stored_map(coach: Coach, team_id: str, channel: str):
    from bot.interview.service import InterviewService

    return await InterviewService(coach.services.db).current_map(team_id=team_id, channel_id=channel)


async def _interview_state(coach: Coach, team_id: str, channel: str):
    from bot.interview.service import InterviewService
    from bot.store.loop_maps import active_interview

    async with coach.services.db.session() as session:
        row = await active_interview(session, team_id=team_id, channel_id=channel)
    return await InterviewService(coach.services.db).load(team_id=team_id, interview_id=row.id)


async def test_home_shows_an_interview_under_way_in_the_person_s_channels(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    bo = slack.add_user("bo")
    growth = slack.add_channel("growth", members=[ana])
    await start_interview(slack, ana, growth)
    await ana.open_home()
    home = await slack.wait_for_home(ana, contains="interview in progress")
    assert f"<#{growth}>" in home.all_text()
    await bo.open_home()
    elsewhere = await slack.wait_for_home(bo, contains="Your loop maps")
    assert "interview in progress" not in elsewhere.all_text()


async def test_home_reads_every_page_of_a_big_channel_s_members(slack: LocalSlack, coach_factory: CoachFactory) -> None:
    crowd = [slack.add_user(f"member{number}") for number in range(1200)]
    zoe = slack.add_user("zoe")
    big = slack.add_channel("big", members=[*crowd, zoe])
    async with coach_factory("http") as running:
        interviews = running.services.interview
        started = await interviews.start(team_id=slack.team_id, channel_id=big, user_id=zoe.id)
        replies, question = dict(TYPED), started.question.id
        while question:
            step = await interviews.reply(
                team_id=slack.team_id,
                interview_id=started.interview.id,
                question_id=question,
                reply=replies[question],
                user_id=zoe.id,
            )
            question = step.result.question.id if step.result.question else None
        await zoe.open_home()
        home = await slack.wait_for_home(zoe, contains="Your loop maps")
        assert f"<#{big}> · v1" in home.all_text()
        pages = [call.params for call in slack.api_calls("conversations.members") if call.params.get("channel") == big]
        assert len(pages) == 2 and pages[1].get("cursor")  # zoe is member 1,201: on the second page
        await slack.wait_idle()
