import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.checkins import records
from bot.checkins.schedule import Schedule
from bot.cli import cli
from bot.store.db import Database

runner = CliRunner()


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"

    async def seed() -> None:
        database = Database(f"sqlite+aiosqlite:///{data / 'coach.db'}")
        await database.upgrade()
        try:
            async with database.session() as session:
                await records.turn_on(
                    session,
                    team_id="T1",
                    channel_id="C1",
                    default=Schedule(timezone="America/New_York"),
                    user_id="U1",
                    now=datetime(2026, 3, 2, tzinfo=UTC),
                )
        finally:
            await database.dispose()

    asyncio.run(seed())
    return {"FLYWHEEL_DATA_DIR": str(data)}


def test_dry_run_lists_what_is_due_as_json(environment: dict[str, str]) -> None:
    result = runner.invoke(
        cli, ["checkins", "run-due", "--now", "2026-03-04T08:00:00-05:00", "--dry-run", "--json"], env=environment
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "now": "2026-03-04T13:00:00+00:00",
        "dry_run": True,
        "counts": {"would_send": 1},
        "dispatches": [
            {
                "team_id": "T1",
                "channel_id": "C1",
                "week": "2026-W10",
                "prompt": "ship",
                "action": "would_send",
                "late": True,
                "ts": None,
                "error": None,
            }
        ],
    }


def test_dry_run_in_words(environment: dict[str, str]) -> None:
    result = runner.invoke(
        cli, ["checkins", "run-due", "--now", "2026-03-06T16:00:00-05:00", "--dry-run"], env=environment
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "dry run pass at 2026-03-06T21:00:00+00:00: expired 3, would_send 1",
        "  C1 2026-W10 ship: expired (late)",
        "  C1 2026-W10 measure: expired (late)",
        "  C1 2026-W10 reminder: expired (late)",
        "  C1 2026-W10 digest: would_send (late)",
    ]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--now", "tomorrow"], "Error: --now 'tomorrow' is not ISO 8601"),
        (["--now", "2026-03-03T10:00:00"], "Error: --now '2026-03-03T10:00:00' has no offset"),
        ([], "Error: SLACK_BOT_TOKEN is not set"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(environment: dict[str, str], arguments: list[str], expected: str) -> None:
    result = runner.invoke(cli, ["checkins", "run-due", *arguments], env=environment)
    assert result.exit_code == 1
    assert result.output.startswith(expected)
    assert len(result.output.strip().splitlines()) == 1


def test_bench_posts_once_per_channel_and_prints_its_figures(tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["bench", "checkins", "--channels", "25", "--storm", "2"], env={"FLYWHEEL_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "channels: 25"
    assert "outcomes {'posted': 25}" in lines[1]
    assert lines[2] == "channels with exactly one message: 25"
    assert lines[3] == "calls answered 429 and retried after Retry-After: 2"
    assert lines[4].startswith("pass with nothing due: ")


def test_bench_prints_its_figures_as_json(tmp_path: Path) -> None:
    result = runner.invoke(
        cli,
        ["bench", "checkins", "--channels", "5", "--storm", "0", "--json"],
        env={"FLYWHEEL_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["channels"] == 5
    assert figures["channels_with_one_message"] == 5
    assert figures["counts"] == {"posted": 5}
    assert figures["due_seconds"] > 0
