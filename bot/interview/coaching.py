"""The coaching line: one sentence that ties an answer to the team's own loop map.

Which part of the map the line speaks of is chosen by the words of the question and of the answer's
sources: the stage they are about (with its score and band), the team's velocity, or a break; when they
point nowhere in particular, the stage that drags the team's loop.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from bot.interview.diagnosis import Break, Diagnosis, StageScore
from bot.stages import Stage

QUESTION_WEIGHT = 2
"""The question says what the person asks about; the sources only what the material answered with."""
SOURCE_WEIGHT = 1

# Word beginnings that place a text at one stage of the loop. "loop" and "flywheel" are left out on
# purpose: nearly every question has them, so they say nothing about where in the loop it is.
STAGE_STEMS: Mapping[Stage, tuple[str, ...]] = MappingProxyType(
    {
        Stage.COLLECTION: ("collect", "captur", "instrument", "logging", "track", "label", "signal", "gather"),
        Stage.STORAGE: ("storage", "store", "warehouse", "lake", "silo", "snapshot", "schema", "database"),
        Stage.ANALYSIS: ("analy", "insight", "dashboard", "metric", "experiment", "report", "deck"),
        Stage.APPLICATION: ("applica", "apply", "deploy", "launch", "personali", "recommend", "ship"),
        Stage.FEEDBACK: ("feedback", "measur", "outcome", "learn", "rating", "vote", "closes", "closing"),
    }
)
VELOCITY_STEMS = ("fast", "speed", "velocit", "quick", "slow", "cadence", "often", "cycle", "turn")
BREAK_STEMS = ("break", "broke", "fail", "wrong", "stall", "stuck", "backward")
_WORD = re.compile(r"[a-z]+")


def _hits(text: str, stems: Sequence[str]) -> int:
    return sum(1 for word in _WORD.findall(text.lower()) if word.startswith(tuple(stems)))


def _weighted(question: str, sources: Sequence[str], stems: Sequence[str]) -> int:
    return QUESTION_WEIGHT * _hits(question, stems) + SOURCE_WEIGHT * sum(_hits(label, stems) for label in sources)


def _topic_stage(question: str, sources: Sequence[str], diagnosis: Diagnosis) -> tuple[StageScore, int] | None:
    """The scored stage the words point at most, with how strongly; of stages named equally, the weakest."""
    counts = Counter({stage: _weighted(question, sources, stems) for stage, stems in STAGE_STEMS.items()})
    top = max(counts.values())
    tied = [diagnosis.stage(stage) for stage, count in counts.items() if count == top and top > 0]
    scored = [item for item in tied if item.score is not None]
    if not scored:
        return None
    return min(scored, key=lambda item: item.score or 0), top


def _stage_line(scored: StageScore, diagnosis: Diagnosis) -> str:
    line = f"In this channel's loop, {scored.name} scores {scored.score}/100 ({scored.band})"
    if diagnosis.drag == scored.stage:
        line += ", the stage that drags your loop most"
    touching = [item for item in diagnosis.breaks if scored.stage in (item.from_stage, item.to_stage)]
    if touching:
        line += f"; a break touches it: {touching[0].label.lower()}"
    return line + "."


def _velocity_line(diagnosis: Diagnosis) -> str | None:
    velocity = diagnosis.velocity
    if velocity.band == "unknown":
        return None
    line = f"Your loop's velocity is {velocity.band.replace('_', ' ')}"
    if velocity.turns_per_year:
        line += f", about {velocity.turns_per_year:.0f} turns a year"
    return line + "."


def _break_line(item: Break) -> str:
    return f"Your loop has a break: {item.label.lower()} ({item.from_stage.label} → {item.to_stage.label})."


def _drag_line(diagnosis: Diagnosis) -> str | None:
    if diagnosis.drag is None:
        return None
    drag = diagnosis.stage(diagnosis.drag)
    if drag.band == "strong":
        return f"Every stage of your loop is strong; the lowest is {drag.name} at {drag.score}/100."
    return f"Your loop's drag is {drag.name} at {drag.score}/100 ({drag.band}): the place to start."


def coaching_line(question: str, sources: Sequence[str], diagnosis: Diagnosis) -> str | None:
    """One line tying an answer to the team's loop map, or None when the map has nothing to say.

    `sources` are the labels (`title > section`) of the passages the answer cites.
    """
    topic = _topic_stage(question, sources, diagnosis)
    topic_weight = topic[1] if topic is not None else 0
    velocity_weight = _weighted(question, sources, VELOCITY_STEMS)
    break_weight = _weighted(question, sources, BREAK_STEMS)
    if velocity_weight > max(topic_weight, break_weight - 1):
        line = _velocity_line(diagnosis)
        if line:
            return line
    if diagnosis.breaks and break_weight >= topic_weight and break_weight:
        near = [item for item in diagnosis.breaks if topic and topic[0].stage in (item.from_stage, item.to_stage)]
        return _break_line((near or diagnosis.breaks)[0])
    if topic is not None:
        return _stage_line(topic[0], diagnosis)
    return _drag_line(diagnosis) or (_break_line(diagnosis.breaks[0]) if diagnosis.breaks else None)


def map_citation(version: int, mapped_at: datetime) -> str:
    """Where the coaching line comes from: the channel's map, its version and date."""
    return f"From this channel's loop map, v{version} of {mapped_at:%Y-%m-%d}."
