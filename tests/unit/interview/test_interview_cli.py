"""`flywheel-coach map show`: JSON with a stable shape, Mermaid, PNG, and nothing across workspaces."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.cli import cli
from bot.config import load_settings
from bot.interview.service import InterviewService
from bot.store.db import Database

ANSWERS = {
    "data_status": "yes",
    "collection": "4 - events, owner @dana",
    "storage": "3",
    "storage_shared": "silos",
    "analysis": "2",
    "application": "2",
    "insight_path": "deck",
    "feedback": "2",
    "loop_closes": "no",
    "deletion_test": "network",
    "complexity": "compounds",
    "risks": "1",
    "idea_to_live": "2 weeks",
    "live_to_learn": "3 days",
}


async def make_map(team: str, channel: str) -> None:
    settings = load_settings()
    settings.ensure_data_dir()
    db = Database(settings.resolved_database_url)
    await db.upgrade()
    try:
        service = InterviewService(db)
        started = await service.start(team_id=team, channel_id=channel, user_id="U1")
        question = started.question.id
        while question:
            step = await service.reply(
                team_id=team,
                interview_id=started.interview.id,
                question_id=question,
                reply=ANSWERS[question],
                user_id="U1",
            )
            question = step.result.question.id if step.result.question else None
    finally:
        await db.dispose()


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLYWHEEL_DATA_DIR", str(tmp_path / "data"))
    asyncio.run(make_map("T1", "C1"))


def test_json_has_stages_scores_breaks_moat_risks_advice_and_history(mapped: None) -> None:
    result = CliRunner().invoke(cli, ["map", "show", "--team", "T1", "--channel", "C1", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) >= {"stages", "drag", "breaks", "moat", "risks", "recommendations", "history", "version"}
    assert [stage["stage"] for stage in document["stages"]] == [
        "collection",
        "storage",
        "analysis",
        "application",
        "feedback",
    ]
    assert all(isinstance(stage["score"], int) for stage in document["stages"])
    assert [item["kind"] for item in document["breaks"]] == ["silo", "slide_deck", "open_loop"]
    assert document["moat"]["learning"] == "network"
    assert [risk["id"] for risk in document["risks"]] == ["ai_output"]
    assert len(document["recommendations"]) == 3 and all("sources" in item for item in document["recommendations"])
    assert [entry["version"] for entry in document["history"]] == [1]


def test_mermaid_and_png(mapped: None, tmp_path: Path) -> None:
    mermaid = CliRunner().invoke(cli, ["map", "show", "--team", "T1", "--channel", "C1", "--format", "mermaid"])
    assert mermaid.exit_code == 0 and mermaid.output.startswith("flowchart LR\n")
    assert '-.->|"BREAK: Data in silos"|' in mermaid.output
    out = tmp_path / "map.png"
    png = CliRunner().invoke(
        cli, ["map", "show", "--team", "T1", "--channel", "C1", "--format", "png", "--out", str(out)]
    )
    assert png.exit_code == 0, png.output
    assert Image.open(io.BytesIO(out.read_bytes())).size == (1000, 750)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--team", "T2", "--channel", "C1"], "No loop map for channel C1 in workspace T2"),
        (["--team", "T1", "--channel", "C9"], "No loop map for channel C9"),
        (
            ["--team", "T1", "--channel", "C1", "--format", "svg"],
            "Invalid value for '--format': 'svg' is not one of 'json', 'mermaid', 'png'",
        ),
        (["--team", "T1", "--channel", "C1", "--format", "png"], "add --out FILE"),
    ],
)
def test_errors_are_one_line_with_exit_one(mapped: None, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["map", "show", *arguments])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
