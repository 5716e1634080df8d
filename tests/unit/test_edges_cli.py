"""CLI edges: `map show --out` where no file can be written, and files `index` cannot read, each with a reason."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import cli

runner = CliRunner()


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return {"FLYWHEEL_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize(("target", "expected"), [("missing/map.json", "does not exist"), (".", "is a folder")])
def test_map_show_out_where_no_file_can_be_written_is_one_line_and_exit_1(
    environment: dict[str, str], tmp_path: Path, target: str, expected: str
) -> None:
    out = tmp_path / target
    result = runner.invoke(cli, ["map", "show", "--team", "T1", "--channel", "C1", "--out", str(out)], env=environment)
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and expected in lines[0]


def test_index_names_a_fifo_and_a_broken_link_with_their_reasons(environment: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "handbook"
    folder.mkdir()
    (folder / "oncall.md").write_text("# On-call\n\n## Pager\n\nThe pager rotates every Monday at nine.\n")
    os.mkfifo(folder / "pipe.md")
    (folder / "gone.md").symlink_to(folder / "nowhere.md")
    result = runner.invoke(cli, ["index", str(folder), "--team", "T1", "--json"], env=environment)
    assert result.exit_code == 0, result.output
    skipped = {entry["source"]: entry["reason"] for entry in json.loads(result.stdout)["skipped"]}
    assert skipped == {"handbook/pipe.md": "not a regular file", "handbook/gone.md": "a broken symbolic link"}


def test_index_of_only_a_fifo_lists_it_and_exits_1(environment: dict[str, str], tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    result = runner.invoke(cli, ["index", str(pipe), "--team", "T1"], env=environment)
    assert result.exit_code == 1
    assert "pipe.md: not a regular file" in result.output
