"""Interviews against storage: start from the current map, apply answers safely, finish into a new version.

This is the one interview module that touches the database (through `bot.store`); the script, engine,
diagnosis and diagram stay pure. Slack and the CLI both go through here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

from bot.errors import CoachError, NotFoundError
from bot.interview.diagnosis import Diagnosis, PassageLike, TeamSearch, diagnose_cited
from bot.interview.diagram import render_mermaid, render_png_async
from bot.interview.engine import DEFAULT_SCRIPT, AnswerResult, InterviewState, Outcome, answer, start
from bot.interview.loop_map import MapFormat
from bot.interview.script import Question, Script
from bot.store.db import Database
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
from bot.store.models.loop_map import INTERVIEW_ACTIVE, InterviewSession, LoopMapVersion
from bot.store.threads import claim_thread

logger = logging.getLogger(__name__)

THREAD_KIND = "interview"
"""How an interview's thread is claimed, so replies in it come back to the interview."""
MAX_SAVE_ATTEMPTS = 5
INTERVIEW_STOPPED = "This interview was stopped; a newer one runs in this channel."
INTERVIEW_OVER = "This interview is finished. Run `/flywheel interview` to update the map."


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

    async def start(self, *, team_id: str, channel_id: str, user_id: str, restart: bool = False) -> StartedInterview:
        """Open an interview in a channel, pre-filled from its current map; `restart` drops a running one."""
        async with self.db.session() as session:
            if restart:
                running = await active_interview(session, team_id=team_id, channel_id=channel_id)
                if running is not None and running.id is not None:
                    await abandon_interview(session, team_id=team_id, interview_id=running.id)
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
        question = self.script.get(state.current or "")
        return StartedInterview(row, state, question, current.version if current else None)

    async def attach_thread(self, *, team_id: str, channel_id: str, interview_id: int, thread_ts: str) -> None:
        """Make the thread an interview's own: replies in it answer that interview."""
        async with self.db.session() as session:
            await claim_thread(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                kind=THREAD_KIND,
                ref_id=str(interview_id),
            )
            await set_interview_messages(session, team_id=team_id, interview_id=interview_id, thread_ts=thread_ts)

    async def question_posted(self, *, team_id: str, interview_id: int, question_ts: str) -> None:
        """Remember the message that shows the current question, so it can be closed once answered."""
        async with self.db.session() as session:
            await set_interview_messages(session, team_id=team_id, interview_id=interview_id, question_ts=question_ts)

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
    ) -> Step:
        """Apply one reply; of two replies racing for one question, the first stored wins.

        `question_id` None answers the question being asked when the reply arrives (a typed reply).
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
                return Step(result, row, question_id, version, diagnosis)
        raise InterviewBusy("Lots of answers arrived at once; please send yours again.")

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
