"""The CLI's foundation verbs: the manifest, migrations, and one clean line for every bad setting."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import cli

runner = CliRunner()


def test_manifest_prints_yaml() -> None:
    result = runner.invoke(cli, ["manifest"])
    assert result.exit_code == 0
    assert yaml.safe_load(result.output)["display_information"]["name"] == "Flywheel Coach"


def test_db_upgrade_then_downgrade(tmp_path: Path) -> None:
    environment = {"FLYWHEEL_DATA_DIR": str(tmp_path / "data")}
    upgraded = runner.invoke(cli, ["db", "upgrade"], env=environment)
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output.startswith("database at revision 0")
    assert (tmp_path / "data" / "coach.db").exists()
    downgraded = runner.invoke(cli, ["db", "downgrade", "base"], env=environment)
    assert downgraded.exit_code == 0
    assert downgraded.output == "database at revision base\n"


@pytest.mark.parametrize(
    ("arguments", "environment", "expected"),
    [
        (
            ["serve", "--port", "0"],
            {},
            "Error: SLACK_BOT_TOKEN is not set: expected a bot token starting with 'xoxb-'.",
        ),
        (
            ["serve", "--port", "0"],
            {"SLACK_BOT_TOKEN": "xoxb-1"},
            "Error: SLACK_SIGNING_SECRET is not set: expected the app's signing secret",
        ),
        (["run"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "Error: SLACK_APP_TOKEN is not set: expected an app-level token"),
        (["run"], {"SLACK_APP_TOKEN": "xoxb-wrong"}, "Error: SLACK_APP_TOKEN is invalid (does not start with 'xapp-')"),
        (["db", "upgrade"], {"DATABASE_URL": "mysql://u@h/d"}, "Error: DATABASE_URL is invalid (unsupported database"),
        (
            ["db", "upgrade"],
            {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
            "Error: DATABASE_URL cannot be reached or migrated",
        ),
    ],
)
def test_bad_configuration_is_one_line_and_exit_1(
    tmp_path: Path, arguments: list[str], environment: dict[str, str], expected: str
) -> None:
    result = runner.invoke(cli, arguments, env={"FLYWHEEL_DATA_DIR": str(tmp_path / "d"), **environment})
    assert result.exit_code == 1
    assert result.output.startswith(expected)
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_workspace_delete_needs_confirmation_and_removes_only_that_workspace(tmp_path: Path) -> None:
    import asyncio

    from bot.config import load_settings
    from bot.store.db import Database
    from bot.store.deliveries import claim_event

    environment = {"FLYWHEEL_DATA_DIR": str(tmp_path / "data")}
    assert runner.invoke(cli, ["db", "upgrade"], env=environment).exit_code == 0

    async def seed() -> None:
        database = Database(load_settings(**environment).resolved_database_url)
        async with database.session() as session:
            await claim_event(session, team_id="T1", event_id="Ev1")
            await claim_event(session, team_id="T2", event_id="Ev1")
        await database.dispose()

    asyncio.run(seed())
    refused = runner.invoke(cli, ["workspace", "delete", "T1"], env=environment)
    assert refused.exit_code == 1
    assert "add --yes to confirm" in refused.output
    deleted = runner.invoke(cli, ["workspace", "delete", "T1", "--yes"], env=environment)
    assert deleted.exit_code == 0, deleted.output
    assert deleted.output == "deleted workspace T1: processed_event 1\n"
    again = runner.invoke(cli, ["workspace", "delete", "T2", "--yes"], env=environment)
    assert again.output == "deleted workspace T2: processed_event 1\n"


def test_workspace_delete_removes_the_workspace_s_own_material(tmp_path: Path) -> None:
    material = tmp_path / "ours"
    material.mkdir()
    (material / "playbook.md").write_text(
        "# Our playbook\n\n## Releases\n\nWe release the ranking model every Tuesday after the canary passes.\n"
    )
    environment = {"FLYWHEEL_DATA_DIR": str(tmp_path / "data")}
    indexed = runner.invoke(cli, ["index", str(material), "--team", "T1"], env=environment)
    assert indexed.exit_code == 0, indexed.output
    deleted = runner.invoke(cli, ["workspace", "delete", "T1", "--yes"], env=environment)
    assert deleted.exit_code == 0, deleted.output
    assert "indexed material chunks 1" in deleted.output


def test_version_prints_the_installed_version() -> None:
    from importlib import metadata

    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"flywheel-coach {metadata.version('flywheel-coach')}\n"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["ask"], "Error: Missing argument 'question'. (see 'flywheel-coach ask --help')"),
        (["gaps", "--limit", "0"], "Error: Invalid value for '--limit'"),
        (["bench", "slack", "--nope"], "Error: No such option: --nope (see 'flywheel-coach bench slack --help')"),
        (["nope"], "Error: No such command 'nope'."),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_1(arguments: list[str], expected: str) -> None:
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 1
    assert result.output.startswith(expected)
    assert result.output.count("\n") == 1
