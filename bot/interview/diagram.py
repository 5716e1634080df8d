"""The loop map as a picture: a PNG drawn with matplotlib (no display needed) and Mermaid text."""

from __future__ import annotations

import asyncio
import io
import math
import re
from types import MappingProxyType

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Patch

from bot.interview.diagnosis import Break, Diagnosis, StageScore
from bot.interview.script import AUTOMATION_CHOICES
from bot.stages import Stage

BAND_COLOURS = MappingProxyType(
    {
        "strong": "#2e9e5b",
        "working": "#e8c13a",
        "weak": "#e98b2a",
        "broken": "#d64541",
        "unknown": "#9aa3ad",
    }
)
BAND_LABELS = MappingProxyType(
    {
        "strong": "Strong (75-100)",
        "working": "Working (50-74)",
        "weak": "Weak (25-49)",
        "broken": "Broken (0-24)",
        "unknown": "Not answered",
    }
)
BREAK_COLOUR = "#a4161a"
LINK_COLOUR = "#4a5560"
DRAG_COLOUR = "#111111"
FIGURE_INCHES = (10.0, 7.5)
DPI = 100
NODE_RADIUS = 0.3
LOOP_RADIUS = 1.0
LINK_BEND = -0.28
_AUTOMATION_LABELS = MappingProxyType({choice.value: choice.label for choice in AUTOMATION_CHOICES})
_DARK_TEXT_BANDS = frozenset({"working", "unknown"})


def stage_positions() -> dict[Stage, tuple[float, float]]:
    """Where each stage sits on the loop (data coordinates): Collection on top, then clockwise."""
    positions = {}
    for index, stage in enumerate(Stage):
        angle = math.radians(90 - index * 360 / len(Stage))
        positions[stage] = (LOOP_RADIUS * math.cos(angle), LOOP_RADIUS * math.sin(angle))
    return positions


def render_png(diagnosis: Diagnosis, *, title: str | None = None) -> bytes:
    """The loop map as PNG bytes: stages coloured by score, breaks dashed, the drag outlined."""
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, 0.06, 0.68, 0.82))
    axes.set_xlim(-1.55, 1.55)
    axes.set_ylim(-1.45, 1.45)
    axes.set_aspect("equal")
    axes.axis("off")
    positions = stage_positions()
    breaks = {(item.from_stage, item.to_stage): item for item in diagnosis.breaks}
    for stage in Stage:
        _draw_link(axes, positions[stage], positions[stage.following], breaks.get((stage, stage.following)))
    for score in diagnosis.stages:
        _draw_stage(axes, score, positions[score.stage], is_drag=score.stage == diagnosis.drag)
    _draw_centre(axes, diagnosis)
    figure.suptitle(title or "Flywheel loop map", x=0.02, y=0.965, ha="left", fontsize=18, fontweight="bold")
    figure.text(0.02, 0.905, _subtitle(diagnosis), ha="left", fontsize=11, color="#333333")
    _draw_legend(figure)
    _draw_recommendations(figure, diagnosis)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


ALT_TEXT_LIMIT = 1000
"""Slack keeps alt text of an uploaded image up to this many characters."""


def describe(diagnosis: Diagnosis, *, title: str) -> str:
    """The picture in words, for screen readers: each stage's score, the drag, the breaks, the first fix."""
    stages = ", ".join(
        f"{score.name} {'not scored' if score.score is None else f'{score.score} of 100'}" for score in diagnosis.stages
    )
    parts = [f"{title}: a diagram of the five loop stages in a circle. Scores: {stages}."]
    if diagnosis.drag is not None:
        parts.append(f"The drag on the loop is {diagnosis.drag.label}.")
    if diagnosis.breaks:
        parts.append(
            "Broken links: "
            + "; ".join(f"{item.from_stage.label} to {item.to_stage.label} ({item.label})" for item in diagnosis.breaks)
            + "."
        )
    else:
        parts.append("No broken links between the stages.")
    if diagnosis.recommendations:
        parts.append(f"Fix first: {diagnosis.recommendations[0].title}.")
    text = " ".join(parts)
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"


async def render_png_async(diagnosis: Diagnosis, *, title: str | None = None) -> bytes:
    """`render_png` in a worker thread, so the event loop keeps serving while matplotlib draws."""
    return await asyncio.to_thread(render_png, diagnosis, title=title)


def _subtitle(diagnosis: Diagnosis) -> str:
    if diagnosis.drag is None:
        return "Not enough answers to find the drag yet."
    drag = diagnosis.stage(diagnosis.drag)
    breaks = len(diagnosis.breaks)
    found = f"{breaks} break{'s' if breaks != 1 else ''} found" if breaks else "no breaks found"
    return f"Drag: {drag.name} ({drag.score}/100), {found}"


def _draw_stage(axes: Axes, score: StageScore, centre: tuple[float, float], *, is_drag: bool) -> None:
    colour = BAND_COLOURS[score.band]
    text_colour = "#1d1d1d" if score.band in _DARK_TEXT_BANDS else "white"
    axes.add_patch(
        Circle(
            centre,
            NODE_RADIUS,
            facecolor=colour,
            edgecolor=DRAG_COLOUR if is_drag else "white",
            linewidth=6 if is_drag else 2,
            zorder=3,
        )
    )
    x, y = centre
    axes.text(
        x, y + 0.1, score.name, ha="center", va="center", fontsize=12, fontweight="bold", color=text_colour, zorder=4
    )
    points = "?" if score.score is None else str(score.score)
    axes.text(x, y - 0.03, f"{points}/100", ha="center", va="center", fontsize=13, color=text_colour, zorder=4)
    automation = _AUTOMATION_LABELS.get(score.automation or "", "")
    axes.text(x, y - 0.15, _wrap(automation, 16), ha="center", va="center", fontsize=7.5, color=text_colour, zorder=4)
    if is_drag:
        tag_y = y + NODE_RADIUS + 0.1 if y >= 0 else y - NODE_RADIUS - 0.1
        axes.text(
            x,
            tag_y,
            "DRAG: fix first",
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            color="white",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": DRAG_COLOUR, "edgecolor": DRAG_COLOUR},
        )


def _draw_link(axes: Axes, start: tuple[float, float], end: tuple[float, float], broken: Break | None) -> None:
    colour = BREAK_COLOUR if broken else LINK_COLOUR
    axes.add_patch(
        FancyArrowPatch(
            start,
            end,
            connectionstyle=f"arc3,rad={LINK_BEND}",
            arrowstyle="-|>",
            mutation_scale=22,
            shrinkA=50,
            shrinkB=54,
            color=colour,
            linewidth=3 if broken else 2,
            linestyle=(0, (3, 2)) if broken else "-",
            joinstyle="miter",
            zorder=2,
        )
    )
    if broken is None:
        return
    # The middle of an arc3 curve sits half the bend away from the chord's midpoint; the label box
    # covers it, so the arrow reads as interrupted there.
    (x1, y1), (x2, y2) = start, end
    label_x = (x1 + x2) / 2 + LINK_BEND / 2 * (y2 - y1)
    label_y = (y1 + y2) / 2 - LINK_BEND / 2 * (x2 - x1)
    axes.text(
        label_x,
        label_y,
        "BREAK\n" + _wrap(broken.label, 16),
        ha="center",
        va="center",
        fontsize=8.5,
        fontweight="bold",
        color=BREAK_COLOUR,
        zorder=6,
        bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": BREAK_COLOUR, "linewidth": 1.5},
    )


def _draw_centre(axes: Axes, diagnosis: Diagnosis) -> None:
    moat = diagnosis.moat
    learning = "Moat unknown" if moat.learning == "unknown" else f"{moat.learning.capitalize()} learning"
    lines = [learning, f"moat: {moat.strength}"]
    if diagnosis.velocity.turns_per_year:
        lines.append(f"~{_turns(diagnosis.velocity.turns_per_year)} turns a year")
    if diagnosis.cold_start:
        lines.append("cold start")
    axes.text(0, 0, "\n".join(lines), ha="center", va="center", fontsize=10, color="#333333", zorder=1)


def _draw_legend(figure: Figure) -> None:
    handles: list[Artist] = [
        Patch(facecolor=BAND_COLOURS[key], edgecolor="white", label=BAND_LABELS[key]) for key in BAND_COLOURS
    ]
    handles.append(Line2D([0], [0], color=BREAK_COLOUR, linewidth=3, linestyle=(0, (4, 3)), label="Break in the loop"))
    handles.append(Patch(facecolor="white", edgecolor=DRAG_COLOUR, linewidth=3, label="Drag (weakest stage)"))
    figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.68, 0.88),
        frameon=False,
        fontsize=10,
        title="Stage score",
        title_fontsize=11,
        alignment="left",
    )


def _draw_recommendations(figure: Figure, diagnosis: Diagnosis) -> None:
    if not diagnosis.recommendations:
        return
    lines = ["Fix next:"]
    for number, recommendation in enumerate(diagnosis.recommendations, start=1):
        lines.append(_wrap(f"{number}. {recommendation.title}", 34, indent="    "))
    figure.text(0.69, 0.40, "\n".join(lines), ha="left", va="top", fontsize=10, color="#222222", linespacing=1.5)


def _turns(turns_per_year: float) -> str:
    return f"{turns_per_year:.0f}" if turns_per_year >= 10 else f"{turns_per_year:.1f}"


def _wrap(text: str, width: int, indent: str = "") -> str:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append((indent if lines else "") + word)
    return "\n".join(lines)


def render_mermaid(diagnosis: Diagnosis, *, title: str | None = None) -> str:
    """The loop map as a Mermaid flowchart: five nodes, classes by score band, breaks as dashed links."""
    lines = ["flowchart LR"]
    if title:
        lines.append(f"    %% {_mermaid_comment(title)}")
    for score in diagnosis.stages:
        points = "?" if score.score is None else str(score.score)
        details = [f"{points}/100"]
        if score.automation:
            details.append(_AUTOMATION_LABELS.get(score.automation, score.automation))
        if score.owner:
            details.append("owner " + ("@" if score.owner_is_slack_user else "") + score.owner)
        label = "<br/>".join([_mermaid_text(score.name), *(_mermaid_text(part) for part in details)])
        lines.append(f'    {score.stage}("{label}")')
    breaks = {(item.from_stage, item.to_stage): item for item in diagnosis.breaks}
    broken_links = []
    for index, stage in enumerate(Stage):
        following = stage.following
        broken = breaks.get((stage, following))
        if broken:
            lines.append(f'    {stage} -.->|"BREAK: {_mermaid_text(broken.label)}"| {following}')
            broken_links.append(index)
        else:
            lines.append(f"    {stage} --> {following}")
    for band_name, colour in BAND_COLOURS.items():
        text = "#1d1d1d" if band_name in _DARK_TEXT_BANDS else "#ffffff"
        lines.append(f"    classDef {band_name} fill:{colour},stroke:#ffffff,color:{text}")
    for band_name in BAND_COLOURS:
        members = [score.stage for score in diagnosis.stages if score.band == band_name]
        if members:
            lines.append(f"    class {','.join(members)} {band_name}")
    if diagnosis.drag:
        lines.append(f"    style {diagnosis.drag} stroke:{DRAG_COLOUR},stroke-width:5px")
    for index in broken_links:
        lines.append(f"    linkStyle {index} stroke:{BREAK_COLOUR},stroke-width:3px")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes for quotes, brackets and pipes)."""
    replacements = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;", "\n": " "}
    return re.sub(r'["<>|\n]', lambda match: replacements[match.group(0)], text)


def _mermaid_comment(text: str) -> str:
    return " ".join(text.split())
