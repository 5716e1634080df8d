"""Interviews against storage: start from the current map, apply answers safely, finish into a new version.

This is the one interview module that touches the database (through `bot.store`); the script, engine,
diagnosis and diagram stay pure. Slack and the CLI both go through here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from bot.errors import CoachError, NotFoundError
from bot.faults import crash_point
from bot.interview.diagnosis import Diagnosis, PassageLike, TeamSearch, diagnose_cited
from bot.interview.diagram import render_mermaid, render_png_async
from bot.interview.engine import (
    DEFAULT_SCRIPT,
    AnswerResult,
    InterviewState,
    Outcome,
    answer,
    existing_answer,
    progress,
    start,
)
from bot.interview.loop_map import MapFormat
from bot.interview.script import Question, Script
from bot.store.db import Database
from bot.store.effects import (
    add_effect,
    claim_next_effect,
    drop_open_effects,
    effect_ts,
    finish_effect,
    interviews_with_open_effects,
    latest_effect,
    new_effect_token,
    release_effect,
)
from bot.store.loop_maps import (
    abandon_interview,
    active_interview,
    active_interviews,
    create_interview,
    get_interview,
    latest_map,
    latest_maps,
    map_history,
    save_interview_state,
    save_map_version,
    set_interview_messages,
)
from bot.store.models.effects import PendingEffect
from bot.store.models.loop_map import INTERVIEW_ACTIVE, InterviewSession, LoopMapVersion
from bot.store.threads import claim_thread

logger = logging.getLogger(__name__)

THREAD_KIND = "interview"
"""How an interview's thread is claimed, so replies in it come back to the interview."""
MAX_SAVE_ATTEMPTS = 5
INTERVIEW_STOPPED = "This interview was stopped; a newer one runs in this channel."
INTERVIEW_OVER = "This interview is finished. Run `/flywheel interview` to update the map."
EFFECT_LEASE = timedelta(minutes=2)
"""A claim on an effect older than this belongs to a process that died (longer than any Slack call's retries)."""


class EffectKind(StrEnum):
    """What an interview step still has to do in Slack, in the order its effects were recorded."""

    INTRO = "intro"
    QUESTION = "question"
    CLOSE = "close"
    MAP_SUMMARY = "map_summary"
    MAP_PICTURE = "map_picture"


@dataclass(frozen=True)
class ClaimedEffect:
    """An effect this process holds, with its interview (channel and thread) and the claim's token."""

    effect: PendingEffect
    interview: InterviewSession
    token: str

    @property
    def kind(self) -> EffectKind:
        """Which effect this is."""
        return EffectKind(self.effect.kind)

    @property
    def payload(self) -> dict[str, Any]:
        """What the step recorded for it (ids, positions, records: everything needed to render it)."""
        return self.effect.payload

    @property
    def taken_over(self) -> bool:
        """An earlier claim died: its message may be posted already, so look for it before posting."""
        return self.effect.attempts > 1


@dataclass(frozen=True)
class StartedInterview:
    """A freshly opened interview and the first question to ask."""

    interview: InterviewSession
    state: InterviewState
    question: Question
    base_version: int | None


@dataclass(frozen=True)
class Step:
    """What one reply did: the engine's result, plus the new map version when it finished the interview."""

    result: AnswerResult
    interview: InterviewSession
    question_id: str | None
    """The question the reply was for (None when the interview had finished before a typed reply)."""
    map_version: LoopMapVersion | None = None
    diagnosis: Diagnosis | None = None

    @property
    def outcome(self) -> Outcome:
        """Shortcut for the engine's outcome."""
        return self.result.outcome

    @property
    def answered_already(self) -> bool:
        """A stale reply to a question someone answered first (not to a stopped or finished interview)."""
        running = self.interview.status == INTERVIEW_ACTIVE and not self.result.state.done
        return self.outcome is Outcome.STALE and running


@dataclass(frozen=True)
class StoredMap:
    """A channel's current loop map, its diagnosis and the versions before it."""

    current: LoopMapVersion
    diagnosis: Diagnosis
    history: list[LoopMapVersion]


class ChannelMap(NamedTuple):
    """A channel's newest loop map, as Home lists it."""

    channel_id: str
    version: int
    diagnosis: Diagnosis


@dataclass(frozen=True)
class WorkspaceMaps:
    """A workspace's loop maps (the newest per channel) and the channels with an interview under way."""

    maps: list[ChannelMap]
    running: list[str]


class InterviewBusy(CoachError):
    """Many people answered at once and this reply lost every retry."""


class InterviewService:
    """Runs interviews for every channel of every workspace, keeping their state in the database."""

    def __init__(self, db: Database, *, search: TeamSearch | None = None, script: Script = DEFAULT_SCRIPT) -> None:
        self.db = db
        self.search = search
        self.script = script
        self.started_at = datetime.now(UTC)
        """Claims on effects made before this process started belong to one that died."""

    async def start(self, *, team_id: str, channel_id: str, user_id: str, restart: bool = False) -> StartedInterview:
        """Open an interview in a channel, pre-filled from its current map; `restart` drops a running one."""
        async with self.db.session() as session:
            if restart:
                running = await active_interview(session, team_id=team_id, channel_id=channel_id)
                if running is not None and running.id is not None:
                    await abandon_interview(session, team_id=team_id, interview_id=running.id)
                    await drop_open_effects(session, team_id=team_id, interview_id=running.id, now=datetime.now(UTC))
            current = await latest_map(session, team_id=team_id, channel_id=channel_id)
            state = start(current.answers if current else None, script=self.script)
            row = await create_interview(
                session,
                team_id=team_id,
                channel_id=channel_id,
                started_by=user_id,
                state=state.model_dump(mode="json"),
                base_version=current.version if current else None,
            )
            _, total = progress(state, script=self.script)
            intro = {"started_by": user_id, "total": total, "base_version": current.version if current else None}
            await add_effect(session, team_id=team_id, interview_id=row.id or 0, kind=EffectKind.INTRO, payload=intro)
            await self._record_question(session, row, state)
        crash_point("interview.start.committed")
        question = self.script.get(state.current or "")
        return StartedInterview(row, state, question, current.version if current else None)

    async def load(self, *, team_id: str, interview_id: int) -> tuple[InterviewSession, InterviewState]:
        """An interview and its state; NotFoundError if this workspace has no such interview."""
        async with self.db.session() as session:
            row = await get_interview(session, team_id=team_id, interview_id=interview_id)
        if row is None:
            raise NotFoundError("That interview doesn't exist any more. Start one with `/flywheel interview`.")
        return row, InterviewState.model_validate(row.state)

    async def reply(
        self,
        *,
        team_id: str,
        interview_id: int,
        question_id: str | None,
        reply: str | list[str],
        user_id: str,
        note: str | None = None,
        message_ts: str | None = None,
    ) -> Step:
        """Apply one reply, recording its Slack effects with it; of two racing replies, the first stored wins.

        `question_id` None answers the question being asked when the reply arrives (a typed reply).
        `message_ts` is the question message a button was clicked on (closed even if its ts wasn't stored).
        """
        for _ in range(MAX_SAVE_ATTEMPTS):
            row, state = await self.load(team_id=team_id, interview_id=interview_id)
            if question_id is None:
                if state.done or state.current is None:
                    return Step(AnswerResult(Outcome.STALE, state, message=INTERVIEW_OVER), row, None)
                question_id = state.current
            if row.status != INTERVIEW_ACTIVE and not state.done:
                stopped = AnswerResult(Outcome.STALE, state, message=INTERVIEW_STOPPED)
                return Step(stopped, row, question_id)
            result = answer(state, question_id, reply, user_id, note=note, script=self.script)
            if result.state.revision == state.revision:
                return Step(result, row, question_id)
            finished = result.outcome is Outcome.FINISHED
            diagnosis = (
                await diagnose_cited(result.state.answers, search=self.search, team_id=team_id) if finished else None
            )
            async with self.db.session() as session:
                stored = await save_interview_state(
                    session,
                    team_id=team_id,
                    interview_id=interview_id,
                    expected_revision=state.revision,
                    state=result.state.model_dump(mode="json"),
                    finished=finished,
                )
                version = None
                if stored and diagnosis is not None:
                    version = await save_map_version(
                        session,
                        team_id=team_id,
                        channel_id=row.channel_id,
                        answers=_answers_json(result.state),
                        diagnosis=diagnosis.model_dump(mode="json"),
                        created_by=user_id,
                        interview_id=interview_id,
                    )
                if stored:
                    await self._record_step(session, row, result, question_id, user_id=user_id, message_ts=message_ts)
                    if version is not None:
                        for kind in (EffectKind.MAP_SUMMARY, EffectKind.MAP_PICTURE):
                            await add_effect(
                                session,
                                team_id=team_id,
                                interview_id=interview_id,
                                kind=kind,
                                payload={"version": version.version},
                            )
            if stored:
                crash_point("interview.reply.committed")
                return Step(result, row, question_id, version, diagnosis)
        raise InterviewBusy("Lots of answers arrived at once; please send yours again.")

    async def _record_step(
        self,
        session: Any,
        row: InterviewSession,
        result: AnswerResult,
        question_id: str | None,
        *,
        user_id: str,
        message_ts: str | None,
    ) -> None:
        """Record what the stored step shows in Slack: the answered (or left) question closed, then what comes next."""
        state, interview_id = result.state, row.id or 0
        if question_id is not None:
            _, total = progress(state, script=self.script)
            shown = await latest_effect(
                session, team_id=row.team_id, interview_id=interview_id, kind=EffectKind.QUESTION
            )
            close: dict[str, Any] = {
                "question_id": question_id,
                "total": total,
                "message_ts": message_ts or None,
                "question_ts": row.question_ts,
                "question_effect": shown.id if shown and shown.payload.get("question_id") == question_id else None,
            }
            if result.outcome is Outcome.WENT_BACK:
                close |= {"went_back": True, "position": len(state.history) + 2}
            else:
                record = state.answers[question_id]
                position = state.history.index(question_id) + 1 if question_id in state.history else total
                kept = not record.skipped and record.user_id != user_id
                close |= {"position": position, "kept": kept, "record": record.model_dump(mode="json")}
            await add_effect(
                session, team_id=row.team_id, interview_id=interview_id, kind=EffectKind.CLOSE, payload=close
            )
        if not state.done:
            await self._record_question(session, row, state)

    async def _record_question(self, session: Any, row: InterviewSession, state: InterviewState) -> None:
        """Record posting the question the interview now waits for, as it looks at this state."""
        question_id = state.current or ""
        position, total = progress(state, script=self.script)
        existing = existing_answer(state, question_id)
        payload = {
            "question_id": question_id,
            "position": position,
            "total": total,
            "existing": existing.model_dump(mode="json") if existing else None,
            "has_previous": bool(state.previous),
        }
        await add_effect(
            session, team_id=row.team_id, interview_id=row.id or 0, kind=EffectKind.QUESTION, payload=payload
        )

    async def claim_next_effect(self, *, team_id: str, interview_id: int) -> ClaimedEffect | None:
        """Claim the interview's next effect to perform; None when all are done or another process holds it."""
        token, now = new_effect_token(), datetime.now(UTC)
        async with self.db.session() as session:
            effect = await claim_next_effect(
                session,
                team_id=team_id,
                interview_id=interview_id,
                token=token,
                now=now,
                stale_before=max(self.started_at, now - EFFECT_LEASE),
            )
            row = await get_interview(session, team_id=team_id, interview_id=interview_id) if effect else None
        if effect is None or row is None:
            return None
        return ClaimedEffect(effect, row, token)

    async def complete_effect(self, claimed: ClaimedEffect, ts: str | None) -> None:
        """Record a performed effect, and what its message is to the interview, in one transaction."""
        row = claimed.interview
        async with self.db.session() as session:
            finished = await finish_effect(
                session,
                team_id=row.team_id,
                effect_id=claimed.effect.id or 0,
                token=claimed.token,
                result_ts=ts,
                now=datetime.now(UTC),
            )
            if not finished or ts is None:
                return
            if claimed.kind is EffectKind.INTRO:
                await claim_thread(
                    session,
                    team_id=row.team_id,
                    channel_id=row.channel_id,
                    thread_ts=ts,
                    kind=THREAD_KIND,
                    ref_id=str(row.id),
                )
                await set_interview_messages(session, team_id=row.team_id, interview_id=row.id or 0, thread_ts=ts)
            elif claimed.kind is EffectKind.QUESTION:
                await set_interview_messages(session, team_id=row.team_id, interview_id=row.id or 0, question_ts=ts)

    async def release_effect(self, claimed: ClaimedEffect, *, error: str) -> None:
        """Give an effect back after Slack refused it; the next step or a restart performs it."""
        async with self.db.session() as session:
            await release_effect(
                session,
                team_id=claimed.interview.team_id,
                effect_id=claimed.effect.id or 0,
                token=claimed.token,
                error=error,
            )

    async def effect_message(self, *, team_id: str, effect_id: int) -> str | None:
        """The ts of the message an earlier effect posted (the question a close effect closes)."""
        async with self.db.session() as session:
            return await effect_ts(session, team_id=team_id, effect_id=effect_id)

    async def interviews_with_pending_work(self) -> list[tuple[str, int]]:
        """(team, interview) pairs with effects left by a step, or by a process that died, in every workspace."""
        stale_before = max(self.started_at, datetime.now(UTC) - EFFECT_LEASE)
        async with self.db.session() as session:
            return await interviews_with_open_effects(session, stale_before=stale_before)

    async def map_version(self, *, team_id: str, channel_id: str, version: int) -> Diagnosis | None:
        """The diagnosis of one version of a channel's map (None if it doesn't exist)."""
        async with self.db.session() as session:
            history = await map_history(session, team_id=team_id, channel_id=channel_id)
        found = next((row for row in history if row.version == version), None)
        return Diagnosis.model_validate(found.diagnosis) if found else None

    async def current_map(self, *, team_id: str, channel_id: str) -> StoredMap | None:
        """The channel's newest map with its diagnosis and history, or None if never mapped."""
        async with self.db.session() as session:
            history = await map_history(session, team_id=team_id, channel_id=channel_id)
        if not history:
            return None
        return StoredMap(history[-1], Diagnosis.model_validate(history[-1].diagnosis), history)

    async def map_output(self, *, team_id: str, channel_id: str, output_format: MapFormat) -> str | bytes:
        """A channel's map as `json` text, `mermaid` text or `png` bytes; NotFoundError when it has none."""
        stored = await self.current_map(team_id=team_id, channel_id=channel_id)
        if stored is None:
            raise NotFoundError(
                f"No loop map for channel {channel_id} in workspace {team_id}: run `/flywheel interview` there first."
            )
        title = f"Loop map · version {stored.current.version}"
        if output_format is MapFormat.PNG:
            return await render_png_async(stored.diagnosis, title=title)
        if output_format is MapFormat.MERMAID:
            return render_mermaid(stored.diagnosis, title=title)
        return json.dumps(map_document(stored, team_id=team_id, channel_id=channel_id), indent=2) + "\n"

    async def workspace_maps(self, *, team_id: str) -> WorkspaceMaps:
        """Every channel's newest map in the workspace, and the channels with an interview under way."""
        async with self.db.session() as session:
            newest = await latest_maps(session, team_id=team_id)
            running = await active_interviews(session, team_id=team_id)
        maps = [ChannelMap(row.channel_id, row.version, Diagnosis.model_validate(row.diagnosis)) for row in newest]
        return WorkspaceMaps(maps=maps, running=[interview.channel_id for interview in running])

    async def why_passages(self, *, team_id: str, query: str, k: int = 1) -> list[PassageLike]:
        """Passages of the material that explain a question (empty when retrieval isn't available)."""
        if self.search is None:
            return []
        try:
            return list(await self.search(query, team_id=team_id, k=k))
        except Exception:
            logger.exception("why search failed for team %s", team_id)
            return []


def _answers_json(state: InterviewState) -> dict[str, Any]:
    return {qid: record.model_dump(mode="json") for qid, record in state.answers.items()}


def map_document(stored: StoredMap, *, team_id: str, channel_id: str) -> dict[str, Any]:
    """The stable JSON shape of a channel's map (`flywheel-coach map show --format json`)."""
    diagnosis = stored.diagnosis
    return {
        "team_id": team_id,
        "channel_id": channel_id,
        "version": stored.current.version,
        "created_at": stored.current.created_at.isoformat(),
        "created_by": stored.current.created_by,
        "headline": diagnosis.headline(),
        "stages": [
            {
                "stage": stage.stage,
                "name": stage.name,
                "score": stage.score,
                "band": stage.band,
                "automation": stage.automation,
                "owner": stage.owner,
                "cadence": stage.cadence,
                "metric": stage.metric,
                "note": stage.note,
            }
            for stage in diagnosis.stages
        ],
        "drag": diagnosis.drag,
        "drag_explanation": diagnosis.drag_explanation,
        "breaks": [item.model_dump(mode="json") for item in diagnosis.breaks],
        "moat": diagnosis.moat.model_dump(mode="json"),
        "cold_start": diagnosis.cold_start,
        "cold_start_strategies": [item.model_dump(mode="json") for item in diagnosis.cold_start_strategies],
        "risks": [item.model_dump(mode="json") for item in diagnosis.risks],
        "velocity": diagnosis.velocity.model_dump(mode="json"),
        "recommendations": [
            {
                "id": item.id,
                "title": item.title,
                "detail": item.detail,
                "stage": item.stage,
                "sources": [citation.model_dump(mode="json") for citation in item.citations],
            }
            for item in diagnosis.recommendations
        ],
        "answers": stored.current.answers,
        "history": [
            {
                "version": version.version,
                "created_at": version.created_at.isoformat(),
                "created_by": version.created_by,
                "drag": version.diagnosis.get("drag"),
                "scores": {stage["stage"]: stage["score"] for stage in version.diagnosis.get("stages", [])},
            }
            for version in stored.history
        ],
    }
