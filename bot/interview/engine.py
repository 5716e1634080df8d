"""The interview as a state machine over a plain, JSON-serialisable state.

Every function takes a state and returns a new one (the input is never changed), so the caller can
store it, compare revisions, and resume after a restart exactly where it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from bot.interview.replies import Command, UnclearReply, expected, is_dont_know, parse_command, parse_reply
from bot.interview.script import NEVER, AnswerValue, Question, QuestionKind, Script

DEFAULT_SCRIPT = Script()


class AnswerRecord(BaseModel):
    """One answer: its value (None when skipped), an optional note, and who gave it."""

    value: AnswerValue = None
    note: str = ""
    user_id: str | None = None
    skipped: bool = False


class InterviewState(BaseModel):
    """Where an interview stands; `model_dump(mode="json")` stores it, `model_validate` restores it."""

    current: str | None = None
    answers: dict[str, AnswerRecord] = Field(default_factory=dict)
    previous: dict[str, AnswerRecord] = Field(default_factory=dict)
    """Answers from the loop map this run started from, offered for keeping."""
    history: list[str] = Field(default_factory=list)
    done: bool = False
    revision: int = 0
    """Bumped on every change, so a store can refuse a write based on a stale read."""


class Outcome(StrEnum):
    """What an answer did to the interview."""

    ADVANCED = "advanced"
    FINISHED = "finished"
    WENT_BACK = "went_back"
    REASK = "reask"
    WHY = "why"
    STALE = "stale"


@dataclass(frozen=True)
class AnswerResult:
    """The new state after a reply, the question now waiting (if any), and what to tell people."""

    outcome: Outcome
    state: InterviewState
    question: Question | None = None
    message: str = ""
    answered_by: str | None = None
    """For a stale reply: who answered that question first."""
    why_query: str | None = None
    """For "why": a retrieval query that finds the passage of the material behind the question."""


def start(
    previous_answers: Mapping[str, AnswerRecord | Mapping[str, Any]] | None = None,
    *,
    script: Script = DEFAULT_SCRIPT,
) -> InterviewState:
    """A new interview; previous answers (from the current map) are offered for keeping."""
    previous = {}
    for question_id, raw in (previous_answers or {}).items():
        record = raw if isinstance(raw, AnswerRecord) else AnswerRecord.model_validate(raw)
        if question_id in script and _is_valid(script.get(question_id), record.value):
            previous[question_id] = record
    first = _next_question_id(script, {}, after=None)
    return InterviewState(current=first, previous=previous, done=first is None)


def current_question(state: InterviewState, *, script: Script = DEFAULT_SCRIPT) -> Question | None:
    """The question waiting for an answer, or None when the interview is finished."""
    return None if state.done or state.current is None else script.get(state.current)


def existing_answer(state: InterviewState, question_id: str) -> AnswerRecord | None:
    """The answer already given to a question in this run, else the one from the previous map."""
    return state.answers.get(question_id) or state.previous.get(question_id)


def progress(state: InterviewState, *, script: Script = DEFAULT_SCRIPT) -> tuple[int, int]:
    """(position of the current question, how many questions this run will ask as things stand)."""
    known = {**_values(state.previous), **_values(state.answers)}
    asked = [question.id for question in script.applicable(known)]
    if state.done or state.current not in asked:
        return len(asked), len(asked)
    return asked.index(state.current) + 1, len(asked)


def answer_values(state: InterviewState) -> dict[str, AnswerValue]:
    """The answered values by question id (skipped questions left out), ready for `diagnose`."""
    return _values(state.answers)


def answer(
    state: InterviewState,
    question_id: str,
    reply: str | list[str],
    user_id: str | None,
    *,
    note: str | None = None,
    script: Script = DEFAULT_SCRIPT,
) -> AnswerResult:
    """Apply one reply (typed text, a picked value, or a command) to the question it was meant for."""
    if state.done:
        return AnswerResult(Outcome.STALE, state, message="The interview is already finished.")
    if question_id != state.current:
        return _stale(state, question_id, script)
    question = script.get(question_id)
    command = parse_command(reply) if isinstance(reply, str) else None
    if command is Command.WHY:
        return AnswerResult(Outcome.WHY, state, question, message=question.why, why_query=question.why_query)
    if command is Command.BACK:
        return _go_back(state, question, script)
    if command is Command.SKIP:
        return _record(state, question, AnswerRecord(user_id=user_id, skipped=True), script)
    if command is Command.KEEP:
        kept = existing_answer(state, question.id)
        if kept is None:
            return _reask(state, question, "There's no earlier answer to keep for this question.")
        return _record(state, question, kept, script)
    if command is Command.KEEP_ALL:
        return _keep_all(state, question, script)
    try:
        parsed = parse_reply(question, reply)
    except UnclearReply as unclear:
        if isinstance(reply, str) and is_dont_know(reply):
            return _record(state, question, AnswerRecord(user_id=user_id, skipped=True), script)
        return AnswerResult(Outcome.REASK, state, question, message=unclear.message)
    record = AnswerRecord(value=parsed.value, note=note if note is not None else parsed.note, user_id=user_id)
    return _record(state, question, record, script)


def _record(state: InterviewState, question: Question, record: AnswerRecord, script: Script) -> AnswerResult:
    new = state.model_copy(deep=True)
    new.answers[question.id] = record
    new.history.append(question.id)
    new.current = _next_question_id(script, _values(new.answers), after=question.id)
    new.revision += 1
    if new.current is None:
        _finish(new, script)
        return AnswerResult(Outcome.FINISHED, new)
    return AnswerResult(Outcome.ADVANCED, new, script.get(new.current))


def _keep_all(state: InterviewState, question: Question, script: Script) -> AnswerResult:
    if existing_answer(state, question.id) is None:
        return _reask(state, question, "There's no earlier answer to keep for this question.")
    result = AnswerResult(Outcome.ADVANCED, state, question)
    while result.question is not None and (kept := existing_answer(result.state, result.question.id)):
        result = _record(result.state, result.question, kept, script)
    return result


def _go_back(state: InterviewState, question: Question, script: Script) -> AnswerResult:
    if not state.history:
        return _reask(state, question, "This is the first question, so there is nothing to go back to.")
    new = state.model_copy(deep=True)
    new.current = new.history.pop()
    new.revision += 1
    return AnswerResult(Outcome.WENT_BACK, new, script.get(new.current))


def _stale(state: InterviewState, question_id: str, script: Script) -> AnswerResult:
    waiting = current_question(state, script=script)
    record = state.answers.get(question_id)
    message = "That question was already answered, so this reply wasn't recorded."
    return AnswerResult(Outcome.STALE, state, waiting, message, answered_by=record.user_id if record else None)


def _reask(state: InterviewState, question: Question, reason: str) -> AnswerResult:
    return AnswerResult(Outcome.REASK, state, question, message=f"{reason} {expected(question)}")


def _finish(state: InterviewState, script: Script) -> None:
    """Mark done and drop answers to branches that the final answers no longer take."""
    state.done = True
    asked = {question.id for question in script.applicable(_values(state.answers))}
    state.answers = {qid: record for qid, record in state.answers.items() if qid in asked}


def _next_question_id(script: Script, values: Mapping[str, AnswerValue], *, after: str | None) -> str | None:
    start_at = 0 if after is None else script.index(after) + 1
    for question in script.questions[start_at:]:
        if question.ask_if is None or question.ask_if.holds(values):
            return question.id
    return None


def _values(records: Mapping[str, AnswerRecord]) -> dict[str, AnswerValue]:
    return {qid: record.value for qid, record in records.items() if not record.skipped}


def _is_valid(question: Question, value: AnswerValue) -> bool:
    """Whether a stored answer still fits the question (scripts change between runs)."""
    if value is None:
        return True
    values = {choice.value for choice in question.choices}
    if question.kind is QuestionKind.SINGLE:
        return isinstance(value, str) and value in values
    if question.kind is QuestionKind.MULTI:
        return isinstance(value, list) and bool(value) and set(value) <= values
    if question.kind is QuestionKind.NUMBER:
        return (value == NEVER and question.allow_never) or (
            isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        )
    return isinstance(value, str)
