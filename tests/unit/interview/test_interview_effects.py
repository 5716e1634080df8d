"""Interview steps record their Slack effects in order; claims are exclusive and a dead one is taken over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.interview.service import EffectKind, InterviewService
from bot.store.db import Database
from tests.unit.interview.test_interview_service import REPLIES, finish


async def drain(service: InterviewService, team: str, interview_id: int) -> list[str]:
    """Claim and complete every effect the way the Slack executor does, with made-up message ids."""
    kinds = []
    while (claimed := await service.claim_next_effect(team_id=team, interview_id=interview_id)) is not None:
        kinds.append(claimed.kind.value)
        await service.complete_effect(claimed, f"{len(kinds)}.000")
    return kinds


async def test_a_start_then_a_step_record_intro_question_close_and_next_question(database: Database) -> None:
    service = InterviewService(database)
    started = await service.start(team_id="T1", channel_id="C1", user_id="U1")
    interview_id = started.interview.id or 0
    assert await drain(service, "T1", interview_id) == ["intro", "question"]
    row, _ = await service.load(team_id="T1", interview_id=interview_id)
    assert (row.thread_ts, row.question_ts) == ("1.000", "2.000")

    await service.reply(team_id="T1", interview_id=interview_id, question_id=None, reply="yes", user_id="U1")
    close = await service.claim_next_effect(team_id="T1", interview_id=interview_id)
    assert close is not None and close.kind is EffectKind.CLOSE
    assert close.payload["question_id"] == "data_status" and close.payload["record"]["value"] is not None
    assert await service.effect_message(team_id="T1", effect_id=close.payload["question_effect"]) == "2.000"


async def test_a_live_claim_is_exclusive_and_a_claim_older_than_the_process_is_taken_over(database: Database) -> None:
    first = InterviewService(database)
    started = await first.start(team_id="T1", channel_id="C1", user_id="U1")
    interview_id = started.interview.id or 0
    held = await first.claim_next_effect(team_id="T1", interview_id=interview_id)
    assert held is not None and not held.taken_over
    assert await first.claim_next_effect(team_id="T1", interview_id=interview_id) is None  # held by a live claim

    restarted = InterviewService(database)
    restarted.started_at = datetime.now(UTC) + timedelta(seconds=1)  # the first process died before this one began
    assert await restarted.interviews_with_pending_work() == [("T1", interview_id)]
    taken = await restarted.claim_next_effect(team_id="T1", interview_id=interview_id)
    assert taken is not None and taken.effect.id == held.effect.id and taken.taken_over
    await first.complete_effect(held, "9.999")  # the dead claim's late answer changes nothing
    await restarted.complete_effect(taken, "1.000")
    row, _ = await restarted.load(team_id="T1", interview_id=interview_id)
    assert row.thread_ts == "1.000"


async def test_a_finished_interview_records_the_map_and_its_picture_after_the_last_close(database: Database) -> None:
    service = InterviewService(database)
    step = await finish(service, "T1", "C1", REPLIES)
    kinds = await drain(service, "T1", step.interview.id or 0)
    assert kinds[-3:] == ["close", "map_summary", "map_picture"]
    assert kinds.count("question") == kinds.count("close") == len(REPLIES)


async def test_restarting_an_interview_settles_the_stopped_ones_effects(database: Database) -> None:
    service = InterviewService(database)
    started = await service.start(team_id="T1", channel_id="C1", user_id="U1")
    await service.start(team_id="T1", channel_id="C1", user_id="U1", restart=True)
    assert await service.claim_next_effect(team_id="T1", interview_id=started.interview.id or 0) is None
    assert [team for team, _ in await service.interviews_with_pending_work()] == ["T1"]  # only the new one's
