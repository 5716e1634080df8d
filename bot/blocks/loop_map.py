"""Block Kit for a channel's loop map: the summary posted after an interview or by `/flywheel map`, and Home."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import Block, button, context, divider, escape, fields, header, section, truncate
from bot.blocks.interview import ACTION_START
from bot.interview.diagnosis import Diagnosis, StageScore
from bot.interview.service import ChannelMap
from bot.stages import Stage

BAND_EMOJI = {
    "strong": ":large_green_circle:",
    "working": ":large_yellow_circle:",
    "weak": ":large_orange_circle:",
    "broken": ":red_circle:",
    "unknown": ":white_circle:",
}
AUTOMATION_WORDS = {
    "none": "not automated",
    "manual": "manual, ad hoc",
    "scheduled": "scheduled",
    "continuous": "continuous",
}
MAX_HOME_CHANNELS = 20


def build_map_summary(diagnosis: Diagnosis, *, channel_id: str, version: int) -> tuple[str, list[Block]]:
    """The loop map in a message: stages, drag, breaks, moat, risks, velocity and what to fix first."""
    text = f"Loop map v{version} for <#{channel_id}>. {diagnosis.headline()}"
    blocks: list[Block] = [
        header(f"Loop map · version {version}"),
        section(f"<#{channel_id}> · {escape(diagnosis.drag_explanation)}"),
        fields(*(_stage_field(stage, stage.stage == diagnosis.drag) for stage in diagnosis.stages)),
    ]
    if diagnosis.breaks:
        lines = [
            f":warning: *{item.label}* ({_pair(item.from_stage, item.to_stage)}): {item.detail}"
            for item in diagnosis.breaks
        ]
        blocks.append(section("*Where the loop breaks*\n" + "\n".join(lines)))
    else:
        blocks.append(section("*Where the loop breaks*\nNo breaks found between the stages."))
    blocks.append(section(f"*Moat*: {diagnosis.moat.summary}"))
    if diagnosis.cold_start:
        lines = [
            f"{':white_check_mark:' if strategy.in_place else ':black_square_button:'} {strategy.title}"
            for strategy in diagnosis.cold_start_strategies
        ]
        blocks.append(section("*Cold start*: you don't have meaningful data yet.\n" + "\n".join(lines)))
    if diagnosis.risks:
        lines = [
            f":rotating_light: *{risk.title}*{' (inferred)' if risk.source == 'inferred' else ''}: {risk.detail}"
            for risk in diagnosis.risks
        ]
        blocks.append(section("*Ways this loop could spin backward*\n" + "\n".join(lines)))
    velocity = diagnosis.velocity
    turns = f" About {velocity.turns_per_year:g} turns a year." if velocity.turns_per_year else ""
    blocks.append(section(f"*Speed*: {velocity.summary} {velocity.learning_summary}{turns}"))
    blocks.append(divider())
    blocks.append(section("*What to fix first*"))
    for number, recommendation in enumerate(diagnosis.recommendations, start=1):
        blocks.append(section(f"*{number}. {recommendation.title}*\n{recommendation.detail}"))
        if recommendation.citations:
            citation = recommendation.citations[0]
            where = " › ".join(part for part in (citation.title, citation.section) if part)
            blocks.append(
                context(
                    f":book: _{escape(truncate(citation.excerpt, 220))}_ — {escape(where)} ({escape(citation.source)})"
                )
            )
    blocks.append(
        context("Re-run `/flywheel interview` any time: it starts from this map, so only changes need answering.")
    )
    return text, blocks


def build_map_missing() -> str:
    """What `/flywheel map` says in a channel with no map yet."""
    return "This channel has no loop map yet. Run `/flywheel interview` here to build one (about five minutes)."


def build_home_section(maps: Sequence[ChannelMap], *, running: Sequence[str] = ()) -> list[Block]:
    """The Home tab's loop-map part: one line per channel the person is in, each with an interview button."""
    blocks: list[Block] = [header("Your loop maps")]
    if not maps and not running:
        blocks.append(
            section("No loop maps yet in your channels. Run `/flywheel interview` in a team channel to map your loop.")
        )
        return blocks
    for channel_id, version, diagnosis in list(maps)[:MAX_HOME_CHANNELS]:
        scores = " ".join(f"{BAND_EMOJI[stage.band]}" for stage in diagnosis.stages)
        drag = f"Drag: *{diagnosis.drag.label}*" if diagnosis.drag else "Drag: unknown"
        first = f" · First fix: {diagnosis.recommendations[0].title}" if diagnosis.recommendations else ""
        blocks.append(
            section(
                f"<#{channel_id}> · v{version} {scores}\n{drag} · {len(diagnosis.breaks)} break(s){first}",
                accessory=button("Update interview", action_id=ACTION_START, value=channel_id),
            )
        )
    for channel_id in list(running)[:MAX_HOME_CHANNELS]:
        blocks.append(section(f"<#{channel_id}> · interview in progress: answer in its thread."))
    stages = ", ".join(stage.label for stage in Stage)
    blocks.append(context(f"Stages: {stages}. `/flywheel map` posts a map in its channel."))
    return blocks


def _stage_field(stage: StageScore, is_drag: bool) -> str:
    score = "?" if stage.score is None else f"{stage.score}/100"
    drag = " · *drag*" if is_drag else ""
    automation = AUTOMATION_WORDS.get(stage.automation or "", "not answered")
    owner = ""
    if stage.owner:
        owner = f" · owner {'<@' + stage.owner + '>' if stage.owner_is_slack_user else escape(stage.owner)}"
    return f"{BAND_EMOJI[stage.band]} *{stage.name}* {score}{drag}\n{automation}{owner}"


def _pair(first: Stage, second: Stage) -> str:
    return f"{first.label} → {second.label}"
