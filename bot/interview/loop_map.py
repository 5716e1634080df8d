"""The loop map: what an interview's answers say about a team's five stages and the loop around them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from bot.interview.script import NEVER, QUESTIONS, AnswerValue, Question
from bot.stages import Stage

_CADENCE_WORDS: tuple[tuple[str, str], ...] = (
    (r"real[- ]?time|continuous(ly)?|streaming|always on", "continuously"),
    (r"hourly|every hour", "hourly"),
    (r"daily|nightly|every (day|night)|each day", "daily"),
    (r"weekly|every week|each week|per week", "weekly"),
    (r"fortnightly|biweekly|every (two|2) weeks|every sprint|per sprint", "every two weeks"),
    (r"monthly|every month|each month", "monthly"),
    (r"quarterly|every quarter", "quarterly"),
    (r"yearly|annually|every year|once a year", "yearly"),
    (r"ad[- ]?hoc|when (someone|somebody|we) (asks?|needs?)|occasionally|rarely", "ad hoc"),
)
_OWNER = re.compile(
    r"<@([A-Z0-9]+)(?:\|[^>]*)?>|\bowner\s*(?:is|:)?\s*@?([\w.-]+)|\bowned by\s+@?([\w.-]+)|@([\w.-]+)", re.I
)
_METRIC = re.compile(r"\b(?:metric|signal|kpi|measure)s?\s*(?:is|are|:)\s*([^,;]+)", re.I)


class MapFormat(StrEnum):
    """The forms a loop map can be shown in (`map show --format`)."""

    JSON = "json"
    MERMAID = "mermaid"
    PNG = "png"


class StageEntry(BaseModel):
    """One stage as the team described it."""

    automation: str | None = None
    """none / manual / scheduled / continuous, or None when not answered."""
    note: str = ""
    """What the team does there, in its own words."""
    owner: str | None = None
    """A name from the note ("owner: dana", "@dana"), or a Slack user id when the note mentions one."""
    owner_is_slack_user: bool = False
    cadence: str | None = None
    metric: str | None = None
    answered_by: str | None = None


class LoopMap(BaseModel):
    """Every loop-map field an interview fills; None means "not answered"."""

    stages: dict[Stage, StageEntry] = Field(default_factory=lambda: {stage: StageEntry() for stage in Stage})
    data_status: str | None = None
    cold_start_plan: list[str] = Field(default_factory=list)
    storage_shared: str | None = None
    insight_path: str | None = None
    loop_closes: str | None = None
    learning: str | None = None
    complexity: str | None = None
    risks: list[str] | None = None
    idea_to_live_days: float | None = None
    live_to_learn_days: float | None = None
    learning_never_known: bool = False
    """The team said it never finds out whether a change worked."""
    answered_by: dict[str, str] = Field(default_factory=dict)
    """Who gave each answer, by question id."""


def build_loop_map(
    answers: Mapping[str, Any],
    *,
    questions: tuple[Question, ...] = QUESTIONS,
) -> LoopMap:
    """Fill a loop map from answers: plain values, or records with `value`, `note` and `user_id`."""
    loop_map = LoopMap()
    for question in questions:
        if question.id not in answers:
            continue
        value, note, user_id = _unpack(answers[question.id])
        if user_id:
            loop_map.answered_by[question.id] = user_id
        if value is None:
            continue
        if question.field.startswith("stages."):
            loop_map.stages[Stage(question.field.removeprefix("stages."))] = _stage_entry(value, note, user_id)
        elif question.field == "live_to_learn_days" and value == NEVER:
            loop_map.learning_never_known = True
        else:
            setattr(loop_map, question.field, value)
    return loop_map


def _stage_entry(value: AnswerValue, note: str, user_id: str | None) -> StageEntry:
    owner = _OWNER.search(note)
    metric = _METRIC.search(note)
    return StageEntry(
        automation=value if isinstance(value, str) else None,
        note=note,
        owner=next((group for group in owner.groups() if group), None) if owner else None,
        owner_is_slack_user=bool(owner and owner.group(1)),
        cadence=_cadence(note),
        metric=metric.group(1).strip() if metric else None,
        answered_by=user_id,
    )


def _cadence(note: str) -> str | None:
    lowered = note.lower()
    return next((cadence for pattern, cadence in _CADENCE_WORDS if re.search(rf"\b(?:{pattern})\b", lowered)), None)


def _unpack(raw: Any) -> tuple[AnswerValue, str, str | None]:
    """(value, note, user_id) from a plain value, a mapping, or an answer record object."""
    if isinstance(raw, Mapping):
        if raw.get("skipped"):
            return None, "", raw.get("user_id")
        return raw.get("value"), raw.get("note") or "", raw.get("user_id")
    if hasattr(raw, "value") and hasattr(raw, "user_id"):
        if getattr(raw, "skipped", False):
            return None, "", raw.user_id
        return raw.value, getattr(raw, "note", "") or "", raw.user_id
    return raw, "", None
