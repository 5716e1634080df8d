"""The `flywheel-coach` command: nouns with verbs beneath; every domain error is one line and exit 1."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from bot.config import Settings, load_settings
from bot.errors import CoachError

T = TypeVar("T")

cli = typer.Typer(
    name="flywheel-coach",
    help="Flywheel Coach: a Slack app that coaches teams in building data flywheels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="The coach's database: apply or undo migrations.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
workspace_cli = typer.Typer(help="Workspaces the coach has served: delete one's data.", no_args_is_help=True)
cli.add_typer(workspace_cli, name="workspace")


def fail(message: str) -> NoReturn:
    """Print one line to stderr and exit 1."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def settings_or_fail(**overrides: Any) -> Settings:
    """Load the settings, or stop with the one-line reason."""
    try:
        return load_settings(**overrides)
    except CoachError as error:
        fail(error.message)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end, turning domain errors into one line and Ctrl-C into a quiet exit."""
    try:
        return asyncio.run(coroutine)
    except CoachError as error:
        fail(error.message)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def configure_logging(level: int = logging.WARNING) -> None:
    """Log to stderr, once, for the whole process."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


# ---------------------------------------------------------------- running the coach


@cli.command("demo")
def demo() -> None:
    """Chat with the coach in the terminal, against a local Slack: no tokens, no network.

    Plain text is a DM; `@coach ...` mentions the coach in #general; `/flywheel ...` runs the command;
    numbers click buttons; `:home` shows the Home tab; `:tick 1d` moves the clock; `:quit` ends.
    When standard input is not a terminal, the lines are read as a script.

    Example: printf '/flywheel help\\n:home\\n' | flywheel-coach demo
    """
    from bot.emulator.demo import run_demo

    configure_logging(logging.ERROR)
    settings = settings_or_fail()
    run(run_demo(settings, stdin=sys.stdin, stdout=sys.stdout))


@cli.command("serve")
def serve(
    port: int = typer.Option(3000, "--port", help="TCP port for Slack's requests and /healthz."),
    host: str = typer.Option("0.0.0.0", "--host", help="Address to listen on."),  # noqa: S104
) -> None:
    """Serve Slack over HTTP: POST /slack/events, GET /healthz (200 once ready).

    Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. Indexes the knowledge on first start, applies migrations
    and starts the check-in scheduler.

    Example: flywheel-coach serve --port 3000
    """
    from bot.runtime import open_coach, serving_http

    configure_logging(logging.INFO)
    settings = settings_or_fail()

    async def main() -> None:
        settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
        async with open_coach(settings, start=False) as coach, serving_http(coach, host=host, port=port) as bound:
            logging.getLogger("bot").info("listening on http://%s:%s/slack/events", host, bound)
            await coach.start_background()
            await asyncio.Event().wait()

    run(main())


@cli.command("run")
def run_socket_mode() -> None:
    """Connect to Slack over Socket Mode (no public URL needed).

    Needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN (xapp-, with connections:write). Indexes the knowledge on
    first start, applies migrations and starts the check-in scheduler.

    Example: flywheel-coach run
    """
    from bot.runtime import connected_socket_mode, open_coach

    configure_logging(logging.INFO)
    settings = settings_or_fail()

    async def main() -> None:
        settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
        async with open_coach(settings) as coach, connected_socket_mode(coach, settings.slack_app_token or ""):
            logging.getLogger("bot").info("connected over Socket Mode")
            await asyncio.Event().wait()

    run(main())


@cli.command("manifest")
def manifest(
    request_url: str = typer.Option(
        None, "--request-url", help="HTTP mode: the public URL of /slack/events (omit for Socket Mode)."
    ),
) -> None:
    """Print the Slack app manifest (YAML) that `run` (Socket Mode) or `serve` (HTTP) needs.

    Example: flywheel-coach manifest --request-url https://coach.example.com/slack/events
    """
    from bot.manifest import manifest_yaml

    typer.echo(manifest_yaml(request_url=request_url), nl=False)


# ---------------------------------------------------------------- database


@db_cli.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest).

    Example: flywheel-coach db upgrade
    """
    from bot.store.db import Database

    settings = settings_or_fail()

    async def main() -> str | None:
        settings.ensure_data_dir()
        database = Database(settings.resolved_database_url)
        try:
            await database.upgrade(revision)
            return await database.current_revision()
        finally:
            await database.dispose()

    typer.echo(f"database at revision {run(main())}")


@db_cli.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base' to remove every table.")) -> None:
    """Undo migrations down to REVISION.

    Example: flywheel-coach db downgrade base
    """
    from bot.store.db import Database

    settings = settings_or_fail()

    async def main() -> str | None:
        database = Database(settings.resolved_database_url)
        try:
            await database.downgrade(revision)
            return await database.current_revision()
        finally:
            await database.dispose()

    typer.echo(f"database at revision {run(main()) or 'base'}")


# ---------------------------------------------------------------- workspaces


@workspace_cli.command("delete")
def workspace_delete(
    team_id: str = typer.Argument(..., help="The Slack workspace id (T…)."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: this cannot be undone."),
) -> None:
    """Delete everything one workspace stored: answers and votes, loop maps, check-ins, its own material.

    Example: flywheel-coach workspace delete T0123ABCD --yes
    """
    from bot.services import build_services
    from bot.store.workspaces import delete_workspace_data

    if not yes:
        fail(f"deleting workspace {team_id}'s data cannot be undone: add --yes to confirm.")
    settings = settings_or_fail()

    async def main() -> dict[str, int]:
        services = await build_services(settings)
        try:
            async with services.db.session() as session:
                return await delete_workspace_data(session, team_id=team_id)
        finally:
            await services.aclose()

    counts = run(main())
    summary = ", ".join(f"{table} {count}" for table, count in sorted(counts.items())) or "nothing stored"
    typer.echo(f"deleted workspace {team_id}: {summary}")


# ---------------------------------------------------------------- interview: loop maps
map_cli = typer.Typer(help="Loop maps built by the interview: show a channel's current map.", no_args_is_help=True)
cli.add_typer(map_cli, name="map")
MAP_FORMATS = ("json", "mermaid", "png")


@map_cli.command("show")
def map_show(
    team: str = typer.Option(..., "--team", help="The Slack workspace id (T…)."),
    channel: str = typer.Option(..., "--channel", help="The channel id (C…) whose map to show."),
    output_format: str = typer.Option("json", "--format", help="json, mermaid or png."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of standard output."),
) -> None:
    """Show a channel's loop map: JSON (stages, scores, breaks, moat, risks, advice with sources, history),
    a Mermaid flowchart, or the PNG picture (needs --out).

    Example: flywheel-coach map show --team T0123ABCD --channel C0456EFGH --format mermaid
    """
    from bot.interview.service import load_map_output

    if output_format not in MAP_FORMATS:
        fail(f"--format must be one of {', '.join(MAP_FORMATS)}, not {output_format!r}.")
    if output_format == "png" and out is None:
        fail("--format png writes binary data: add --out FILE.")
    output = run(load_map_output(settings_or_fail(), team_id=team, channel_id=channel, output_format=output_format))
    if out is not None:
        out.write_bytes(output if isinstance(output, bytes) else output.encode())
        typer.echo(f"wrote {out}")
    else:
        typer.echo(output, nl=False)


def main() -> None:
    """Entry point of the `flywheel-coach` console script."""
    cli()
