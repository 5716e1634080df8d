"""The loop-map picture: a real PNG coloured by score, and Mermaid text that parses."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from bot.interview.diagnosis import Diagnosis, diagnose
from bot.interview.diagram import (
    BAND_COLOURS,
    BREAK_COLOUR,
    DRAG_COLOUR,
    render_mermaid,
    render_png,
    render_png_async,
)
from bot.stages import Stage

STAGES = tuple(Stage)

BROKEN_LOOP = {
    "data_status": "yes",
    "collection": "continuous",
    "storage": "scheduled",
    "storage_shared": "silos",
    "analysis": "manual",
    "application": "none",
    "insight_path": "deck",
    "feedback": "manual",
    "loop_closes": "no",
    "deletion_test": "individual",
    "complexity": "compounds",
    "risks": ["none"],
    "idea_to_live": 30.0,
    "live_to_learn": 7.0,
}
HEALTHY_LOOP = {
    **BROKEN_LOOP,
    **dict.fromkeys(STAGES, "continuous"),
    "storage_shared": "shared",
    "insight_path": "automated",
    "loop_closes": "auto",
    "idea_to_live": 0.01,
    "live_to_learn": 1.0,
}
STAGE_DISC_PIXELS = 8000
"""A stage disc covers about 10,000 pixels of its colour; a legend swatch under 200."""


def pixel_counts(png: bytes) -> dict[str, int]:
    image = Image.open(io.BytesIO(png))
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    counts = {}
    for name, colour in {**BAND_COLOURS, "break": BREAK_COLOUR, "drag": DRAG_COLOUR}.items():
        rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
        counts[name] = int((np.abs(pixels - rgb).sum(axis=1) <= 6).sum())
    return counts


def test_png_is_a_real_image_of_the_expected_size():
    png = render_png(diagnose(BROKEN_LOOP), title="Loop map for #growth")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert Image.open(io.BytesIO(png)).size == (1000, 750)


def test_png_colours_each_stage_by_its_score_band():
    diagnosis = diagnose(BROKEN_LOOP)
    bands = [stage.band for stage in diagnosis.stages]
    assert bands == ["strong", "weak", "working", "broken", "weak"]
    counts = pixel_counts(render_png(diagnosis))
    for band_name in BAND_COLOURS:
        stages_in_band = bands.count(band_name)
        if stages_in_band:
            assert counts[band_name] > stages_in_band * STAGE_DISC_PIXELS, band_name
        else:
            assert counts[band_name] < 1000, band_name


def test_png_draws_breaks_and_the_drag_only_when_there_are_some():
    broken = pixel_counts(render_png(diagnose(BROKEN_LOOP)))
    healthy = pixel_counts(render_png(diagnose(HEALTHY_LOOP)))
    assert broken["break"] > 1000
    assert healthy["break"] < 200
    assert healthy["strong"] > 5 * STAGE_DISC_PIXELS
    assert broken["drag"] > 3000  # the thick ring and the "fix first" tag


def test_png_of_an_empty_map_is_grey():
    counts = pixel_counts(render_png(diagnose({})))
    assert counts["unknown"] > 5 * STAGE_DISC_PIXELS
    assert counts["strong"] < 1000


async def test_png_renders_off_the_event_loop():
    png = await render_png_async(diagnose(HEALTHY_LOOP))
    assert Image.open(io.BytesIO(png)).size == (1000, 750)


MERMAID_LINE_PATTERNS = {
    "comment": re.compile(r"^\s*%%.*$"),
    "node": re.compile(r'^\s+(?P<id>[a-z_]+)\("(?P<label>[^"]*)"\)$'),
    "edge": re.compile(r"^\s+(?P<src>[a-z_]+) --> (?P<dst>[a-z_]+)$"),
    "break": re.compile(r'^\s+(?P<src>[a-z_]+) -\.->\|"(?P<label>[^"|]+)"\| (?P<dst>[a-z_]+)$'),
    "classdef": re.compile(r"^\s+classDef (?P<name>\w+) (?P<props>[\w-]+:[#\w]+(?:,[\w-]+:[#\w]+)*)$"),
    "class": re.compile(r"^\s+class (?P<ids>[a-z_]+(?:,[a-z_]+)*) (?P<name>\w+)$"),
    "style": re.compile(r"^\s+style (?P<id>[a-z_]+) (?P<props>[\w-]+:[#\w]+(?:,[\w-]+:[#\w]+)*)$"),
    "linkstyle": re.compile(r"^\s+linkStyle (?P<index>\d+) (?P<props>[\w-]+:[#\w]+(?:,[\w-]+:[#\w]+)*)$"),
}


def parse_mermaid(text: str) -> dict[str, list[re.Match]]:
    """A small checker for the flowchart subset we emit: every line must be a known statement."""
    lines = text.rstrip("\n").split("\n")
    assert re.fullmatch(r"flowchart (LR|RL|TD|TB|BT)", lines[0]), lines[0]
    parsed: dict[str, list[re.Match]] = {kind: [] for kind in MERMAID_LINE_PATTERNS}
    for line in lines[1:]:
        matches = [(kind, pattern.match(line)) for kind, pattern in MERMAID_LINE_PATTERNS.items()]
        kinds = [(kind, match) for kind, match in matches if match]
        assert len(kinds) == 1, f"not a valid statement: {line!r}"
        parsed[kinds[0][0]].append(kinds[0][1])
    nodes = [match["id"] for match in parsed["node"]]
    assert len(nodes) == len(set(nodes))
    links = [(m["src"], m["dst"]) for m in [*parsed["edge"], *parsed["break"]]]
    assert all(src in nodes and dst in nodes for src, dst in links)
    defined = {match["name"] for match in parsed["classdef"]}
    assert all(match["name"] in defined for match in parsed["class"])
    assert all(set(match["ids"].split(",")) <= set(nodes) for match in parsed["class"])
    assert all(match["id"] in nodes for match in parsed["style"])
    return parsed


def link_order(text: str) -> list[tuple[str, str, bool]]:
    """The links in the order Mermaid numbers them (for linkStyle), with whether each is a break."""
    order = []
    for line in text.split("\n"):
        edge = MERMAID_LINE_PATTERNS["edge"].match(line)
        broken = MERMAID_LINE_PATTERNS["break"].match(line)
        if edge or broken:
            match = edge or broken
            order.append((match["src"], match["dst"], broken is not None))
    return order


def test_mermaid_has_five_nodes_in_a_closed_loop_with_dashed_breaks():
    diagnosis = diagnose(BROKEN_LOOP)
    text = render_mermaid(diagnosis, title="Loop map for #growth")
    parsed = parse_mermaid(text)
    assert [match["id"] for match in parsed["node"]] == list(STAGES)
    assert link_order(text) == [
        ("collection", "storage", False),
        ("storage", "analysis", True),
        ("analysis", "application", True),
        ("application", "feedback", False),
        ("feedback", "collection", True),
    ]
    assert [match["label"] for match in parsed["break"]] == [
        "BREAK: Data in silos",
        "BREAK: Insights die in slide decks",
        "BREAK: Loop stays open",
    ]
    assert [int(match["index"]) for match in parsed["linkstyle"]] == [1, 2, 4]
    assert [match["id"] for match in parsed["style"]] == [diagnosis.drag] == ["application"]
    classes = {stage: match["name"] for match in parsed["class"] for stage in match["ids"].split(",")}
    assert classes == {stage.stage: stage.band for stage in diagnosis.stages}


def test_mermaid_of_a_healthy_loop_has_no_breaks():
    parsed = parse_mermaid(render_mermaid(diagnose(HEALTHY_LOOP)))
    assert parsed["break"] == [] and parsed["linkstyle"] == []
    assert len(parsed["edge"]) == 5


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ("owner @ana_b", "owner ana_b"),
        ("owner <@U123|ana>", "owner @U123"),
        ('owner: "Dana"|<b>', None),
    ],
)
def test_mermaid_shows_owners_and_never_raw_markup(note, shown):
    diagnosis = diagnose({**BROKEN_LOOP, "collection": {"value": "manual", "note": note}})
    text = render_mermaid(diagnosis)
    parse_mermaid(text)
    assert "<b>" not in text and "<@" not in text
    if shown:
        assert shown in text


def test_render_is_deterministic():
    diagnosis: Diagnosis = diagnose(BROKEN_LOOP)
    assert render_mermaid(diagnosis) == render_mermaid(diagnose(BROKEN_LOOP))
