"""The `flywheel-coach` command: nouns with verbs beneath; every domain error is one line and exit 1."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from typer._click import exceptions as parsing  # typer's own parser errors (typer vendors click; pinned minor)
from typer.core import TyperGroup

from bot.bench import Transport
from bot.config import Settings, load_settings
from bot.errors import CoachError
from bot.interview.loop_map import MapFormat
from bot.logs import configure_logging

if TYPE_CHECKING:
    from bot.retrieval.knowledge_base import KnowledgeBase

T = TypeVar("T")


class OneLineErrors(TyperGroup):
    """The command group: a bad option or argument is one line on stderr and exit 1, like every other error."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except parsing.NoArgsIsHelpError as asked_for_help:
            asked_for_help.show()
            code = 0
        except parsing.UsageError as error:
            where = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            message = error.format_message().replace("Value error, ", "")
            typer.echo(f"Error: {message}{where}", err=True)
            code = 1
        except parsing.ClickException as error:
            typer.echo(f"Error: {error.format_message()}", err=True)
            code = 1
        except typer.Abort:
            code = 130
        if not standalone_mode:
            return code
        sys.exit(code or 0)


cli = typer.Typer(
    cls=OneLineErrors,
    name="flywheel-coach",
    help="Flywheel Coach: a Slack app that coaches teams in building data flywheels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def show_version(wanted: bool) -> None:
    """`--version`: print the installed version and stop."""
    if wanted:
        typer.echo(f"flywheel-coach {metadata.version('flywheel-coach')}")
        raise typer.Exit()


@cli.callback()
def coach(
    version: bool = typer.Option(
        False, "--version", callback=show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Flywheel Coach: a Slack app that coaches teams in building data flywheels."""


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

    One workspace: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. Any workspace ("Add to Slack"): SLACK_CLIENT_ID,
    SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET, no bot token; then GET /slack/install and
    /slack/oauth_redirect serve the install. Several `serve` processes may share one database and one Chroma
    server (CHROMA_URL). Indexes the knowledge on first start, applies migrations and starts the check-in
    scheduler.

    Example: flywheel-coach serve --port 3000
    """
    from bot.runtime import open_coach, serving_http

    configure_logging(logging.INFO)
    settings = settings_or_fail()

    async def main() -> None:
        if settings.multi_workspace:
            settings.require("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET")
        else:
            settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
        async with open_coach(settings, start=False) as coach, serving_http(coach, host=host, port=port) as bound:
            logging.getLogger("bot").info("listening on http://%s:%s/slack/events", host, bound)
            if settings.multi_workspace:
                logging.getLogger("bot").info("installs start at http://%s:%s/slack/install", host, bound)
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

    if not yes:
        fail(f"deleting workspace {team_id}'s data cannot be undone: add --yes to confirm.")
    settings = settings_or_fail()

    async def main() -> dict[str, int]:
        async with await build_services(settings) as services:
            return await services.workspaces.delete(team_id=team_id)

    counts = run(main())
    summary = ", ".join(f"{table} {count}" for table, count in sorted(counts.items())) or "nothing stored"
    typer.echo(f"deleted workspace {team_id}: {summary}")


# ---------------------------------------------------------------- interview: loop maps
map_cli = typer.Typer(help="Loop maps built by the interview: show a channel's current map.", no_args_is_help=True)
cli.add_typer(map_cli, name="map")


@map_cli.command("show")
def map_show(
    team: str = typer.Option(..., "--team", help="The Slack workspace id (T…)."),
    channel: str = typer.Option(..., "--channel", help="The channel id (C…) whose map to show."),
    output_format: MapFormat = typer.Option(MapFormat.JSON, "--format", help="How to show it."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of standard output."),
) -> None:
    """Show a channel's loop map: JSON (stages, scores, breaks, moat, risks, advice with sources, history),
    a Mermaid flowchart, or the PNG picture (needs --out).

    Example: flywheel-coach map show --team T0123ABCD --channel C0456EFGH --format mermaid
    """
    from bot.services import build_services

    if output_format is MapFormat.PNG and out is None:
        fail("--format png writes binary data: add --out FILE.")
    if out is not None and out.is_dir():
        fail(f"--out {out} is a folder: give a file name inside it.")
    if out is not None and not out.parent.is_dir():
        fail(f"--out {out}: the folder {out.parent} does not exist.")
    settings = settings_or_fail()

    async def main() -> str | bytes:
        async with await build_services(settings) as services:
            return await services.interview.map_output(team_id=team, channel_id=channel, output_format=output_format)

    output = run(main())
    if out is not None:
        try:
            out.write_bytes(output if isinstance(output, bytes) else output.encode())
        except OSError as error:
            fail(f"cannot write {out}: {error.strerror or error}.")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(output, nl=False)


# ---------------------------------------------------------------- retrieval: index, ask, eval, gaps, bench
bench_cli = typer.Typer(
    help="Benchmarks that print figures: ask latency and index throughput beside LangChain's plain pipeline, "
    "Slack round trip and load, memory."
)
cli.add_typer(bench_cli, name="bench")


async def _open_knowledge(settings: Settings, *, index_bundled: bool = True) -> KnowledgeBase:
    """The knowledge base of these settings alone (no database), with the bundled material brought up to date."""
    from bot.retrieval.knowledge_base import KnowledgeBase

    settings.ensure_data_dir()
    knowledge = await KnowledgeBase.open(settings)
    if index_bundled:
        await knowledge.ensure_indexed(settings.resolved_knowledge_dir)
    return knowledge


@cli.command("index")
def index(
    paths: list[Path] = typer.Argument(None, help="Files or folders (default: the bundled knowledge)."),
    team: str | None = typer.Option(None, "--team", help="Index as this workspace's own material (T…)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Index markdown, text, HTML and PDF files or folders, incrementally by content hash.

    Unchanged files cost nothing, changed ones are re-embedded, deleted ones leave the index; a file that
    cannot be read is skipped with the reason, and the run goes on.

    Example: flywheel-coach index ./handbook --team T0123ABCD
    """
    import json

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

    from bot.retrieval.indexing import IndexProgress
    from bot.retrieval.models import IndexReport
    from bot.services import build_services

    configure_logging(logging.ERROR)  # skipped files are listed below, not logged twice
    settings = settings_or_fail()
    if team is not None and not paths:
        fail("--team needs PATH arguments: the bundled knowledge is shared by every workspace.")
    console = Console(stderr=True, soft_wrap=True)

    async def main() -> IndexReport:
        async with await build_services(settings) as services:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
                disable=as_json or not console.is_terminal,
            ) as progress:
                tasks: dict[str, TaskID] = {}

                def show(event: IndexProgress) -> None:
                    label = "reading files" if event.phase == "scan" else "embedding chunks"
                    if event.phase not in tasks:
                        tasks[event.phase] = progress.add_task(label, total=event.total)
                    progress.update(tasks[event.phase], completed=event.done, total=event.total)

                if paths:
                    return await services.knowledge.index_paths(paths, team_id=team, progress=show)
                return await services.knowledge.ensure_indexed(settings.resolved_knowledge_dir, progress=show)

    report = run(main())
    missing = [r.source for r in report.skipped if r.reason == "no such file or folder"]
    if missing and len(missing) == len(report.files):
        fail(f"nothing to index: {', '.join(missing)} does not exist.")
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        for skipped in report.skipped:
            console.print(f"[yellow]skipped[/] {skipped.source}: {skipped.reason}", highlight=False)
        typer.echo(
            f"indexed {len(report.indexed)} file(s) ({report.embedded_chunks} chunks embedded, "
            f"{report.reused_chunks} reused), {len(report.unchanged)} unchanged, {len(report.removed)} removed, "
            f"{len(report.skipped)} skipped in {report.seconds:.1f} s"
        )
    if report.files and len(report.skipped) == len(report.files):
        raise typer.Exit(1)  # every file named was skipped (each with its reason above): nothing was indexed


@cli.command("ask")
def ask(
    question: str = typer.Argument(..., help="The question, in quotes."),
    team: str | None = typer.Option(None, "--team", help="Also search this workspace's own material (T…)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"answer", "grounded", "sources": [...]}.'),
) -> None:
    """Answer a question from the indexed material, with numbered sources (or say it isn't covered).

    Example: flywheel-coach ask "how do we start a flywheel with no data?" --json
    """
    import json

    from bot.retrieval.models import Answer
    from bot.services import build_services

    settings = settings_or_fail()

    async def main() -> Answer:
        async with await build_services(settings) as services:
            await services.knowledge.ensure_indexed(settings.resolved_knowledge_dir)
            return await services.answers.answer(question, team_id=team)

    answer = run(main())
    if as_json:
        typer.echo(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
        return
    typer.echo(answer.text)
    if answer.closest:
        typer.echo("(The closest the material comes: it may not cover exactly what you asked.)")
    for number, source in enumerate(answer.sources, start=1):
        typer.echo(f"[{number}] {source.label} ({source.source})")


EVAL_SETS = (
    Path("tests/eval/questions.yaml"),
    Path("tests/eval/dev_questions.yaml"),
    Path("tests/eval/blind_questions.yaml"),
)


@cli.command("eval")
def evaluate_answers(
    questions: list[Path] = typer.Option(
        list(EVAL_SETS),
        "--questions",
        help="An evaluation set (YAML); repeat for several. Default: the three of tests/eval.",
    ),
    fit: bool = typer.Option(
        False, "--fit", help="Refit the answer's weights and refusal policy on the sets and print them instead."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Score answer quality on the evaluation sets: recall@1, recall@3, MRR, fact hits, median answer length
    and refusals, for BM25, dense, fused (the default), RRF and LangChain's plain Chroma retriever, side by
    side, then the refusal policy in use (fitted, not hand-set).

    With --fit, the sentence-selection weights and the refusal policy are fitted on the first two sets
    together (what the coach ships), and each set's figures are shown when fitted on the other alone.

    Runs on a fresh index of the bundled knowledge in a temporary directory.

    Example: flywheel-coach eval --questions tests/eval/questions.yaml --questions tests/eval/dev_questions.yaml
    """
    import json
    import tempfile

    from bot.bench.evaluation import evaluate, format_policy, format_table, load_questions
    from bot.bench.fitting import fit_report

    settings = settings_or_fail()
    for path in questions:
        if not path.is_file():
            fail(f"no evaluation set at {path}: pass --questions PATH (a YAML list of questions).")
    if fit and len(questions) < 2:
        fail("--fit needs two evaluation sets (each checks the fit on the other): pass --questions twice.")

    async def main() -> Any:
        sets = [(path, load_questions(path)) for path in questions]
        with tempfile.TemporaryDirectory(prefix="flywheel-eval-") as data_dir:
            scratch = settings.model_copy(update={"data_dir": Path(data_dir), "chroma_url": None, "llm_model": ""})
            knowledge = await _open_knowledge(scratch)
            try:
                if fit:
                    return await asyncio.to_thread(fit_report, knowledge, sets[0], sets[1])
                tables = [(path, asked, await asyncio.to_thread(evaluate, knowledge, asked)) for path, asked in sets]
                return tables, knowledge.grounding
            finally:
                await knowledge.close()

    result = run(main())
    if fit:
        typer.echo(json.dumps(result.to_json(), indent=2) if as_json else result.as_text())
        return
    tables, policy = result
    if as_json:
        body = {
            "sets": [
                {"path": str(path), "questions": len(asked), "methods": [row.to_json() for row in table]}
                for path, asked, table in tables
            ],
            "refusal_policy": policy.to_json(),
        }
        typer.echo(json.dumps(body, indent=2))
        return
    for path, asked, table in tables:
        typer.echo(f"{path}: {len(asked)} questions ({sum(q.out_of_scope for q in asked)} out of scope)\n")
        typer.echo(format_table(table) + "\n")
    typer.echo(format_policy(policy))


@cli.command("gaps")
def gaps(
    team: str | None = typer.Option(None, "--team", help="One workspace (default: every workspace, merged)."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many gaps to list."),
    as_json: bool = typer.Option(False, "--json", help="Print the gaps as JSON."),
) -> None:
    """List the questions the material answered badly: no grounded answer, only the closest it comes, or a
    thumbs-down, most asked first, with the nearest passages (what to write next).

    Example: flywheel-coach gaps --limit 10
    """
    import json

    from bot.services import build_services
    from bot.store.answers import Gap

    settings = settings_or_fail()

    async def main() -> list[Gap]:
        async with await build_services(settings) as services:
            return await services.answers.gaps(team_id=team, limit=limit)

    found = run(main())
    if as_json:
        typer.echo(json.dumps([gap.to_json() for gap in found], indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo("no gaps: every stored question got a grounded answer, not just the closest, and no thumbs-down")
        return
    for gap in found:
        typer.echo(
            f"{gap.asked}x  {gap.question}  ({gap.unanswered} unanswered, {gap.closest} closest match only, "
            f"{gap.thumbs_down} thumbs-down)"
        )
        if gap.nearest:
            typer.echo("     nearest: " + "; ".join(gap.nearest))
        for reason in gap.reasons[:3]:
            typer.echo(f"     reason: {reason}")


@bench_cli.command("ask")
def bench_ask(
    chunks: int = typer.Option(100_000, "--chunks", min=1, help="Size of the synthetic corpus."),
    rounds: int = typer.Option(3, "--rounds", min=1, help="How many times to alternate the coach and the peer."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Time the coach against LangChain's plain tutorial pipeline, in process and warm, in one run.

    The peer is the pipeline over the same bundled knowledge: DirectoryLoader + TextLoader,
    RecursiveCharacterTextSplitter (1000 characters, 200 overlap), Chroma in its own temporary directory, the
    same int8 MiniLM, as_retriever(k=4). After a warm-up of each, --rounds rounds alternate the coach's answer
    (retrieval + extractive answer) and the peer's bare retrieval (retriever.invoke) over the same questions;
    then the coach alone on a synthetic corpus of --chunks chunks (real chunks plus generated look-alikes,
    nothing embedded). Ratios are coach / peer: below 1 the coach is faster.

    --json prints {"bundled": {"rounds": int, "coach": LATENCY, "peer": LATENCY, "ratio": {"p50": float,
    "p95": float}}, "synthetic": LATENCY, "peak_rss_bundled_mb": float, "peak_rss_mb": float}, where LATENCY is
    {"name": str, "chunks": int, "runs": int, "p50_ms": float, "p95_ms": float}; the peaks are this process's
    peak resident memory (MB) after the bundled comparison and at the end (with the synthetic corpus).

    Example: flywheel-coach bench ask --chunks 100000 --rounds 3
    """
    import json
    import tempfile

    from bot.bench.peer import peer_retriever
    from bot.bench.retrieval import AskBench, run_ask_bench

    settings = settings_or_fail()

    async def main() -> AskBench:
        with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as data_dir:
            scratch = settings.model_copy(update={"data_dir": Path(data_dir), "chroma_url": None, "llm_model": ""})
            knowledge = await _open_knowledge(scratch)
            try:
                with peer_retriever(knowledge.embedder, scratch.resolved_knowledge_dir) as peer:
                    return await asyncio.to_thread(run_ask_bench, knowledge, peer, large=chunks, rounds=rounds)
            finally:
                await knowledge.close()

    bench = run(main())
    if as_json:
        typer.echo(json.dumps(bench.to_json(), indent=2))
        return
    figures = bench.to_json()
    for side in (bench.bundled.coach, bench.bundled.peer):
        typer.echo(f"{side.name}: {side.chunks:,} chunks, p50 {side.p50_ms:.1f} ms, p95 {side.p95_ms:.1f} ms")
    ratios = figures["bundled"]["ratio"]
    typer.echo(f"coach / peer ({bench.bundled.rounds} rounds): p50 {ratios['p50']:.2f}x, p95 {ratios['p95']:.2f}x")
    large = bench.synthetic
    typer.echo(f"{large.name}: {large.chunks:,} chunks, p50 {large.p50_ms:.1f} ms, p95 {large.p95_ms:.1f} ms")
    typer.echo(
        f"peak RSS of this process: {bench.peak_rss_bundled_mb:.0f} MB with both pipelines on the bundled "
        f"knowledge, {bench.peak_rss_mb:.0f} MB with the synthetic corpus"
    )


@bench_cli.command("index")
def bench_index(
    rounds: int = typer.Option(3, "--rounds", min=1, help="How many times to alternate the coach and the peer."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Time indexing, the coach against LangChain's plain tutorial pipeline, over the same freshly written
    markdown (96 sections of ~200 tokens), alternated --rounds times, each into a fresh store.

    The coach loads, chunks, embeds (chunks and their sentences) and stores into Chroma; the peer loads
    (DirectoryLoader + TextLoader), splits (RecursiveCharacterTextSplitter, 1000 characters, 200 overlap),
    embeds with the same int8 MiniLM and adds to Chroma. Chunk sizes differ, so both chunks/s and chars/s
    are given; ratios are coach / peer (above 1 the coach is faster).

    --json prints {"rounds": int, "coach": THROUGHPUT, "peer": THROUGHPUT, "ratio": {"chunks_per_second":
    float, "chars_per_second": float}, "peak_rss_mb": float}, where THROUGHPUT is {"chunks": int, "chars": int,
    "mean_tokens_per_chunk": float, "runs": int, "run_seconds": [float], "chunks_per_second": float,
    "chars_per_second": float} (chunks and chars per run) and peak_rss_mb is this process's peak resident
    memory.

    Example: flywheel-coach bench index --rounds 3
    """
    import json

    from bot.bench.retrieval import compare_indexing

    settings = settings_or_fail()
    comparison = run(compare_indexing(settings, settings.resolved_knowledge_dir, rounds=rounds))
    figures = comparison.to_json()
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    for name, side in (("coach", comparison.coach), ("peer", comparison.peer)):
        typer.echo(
            f"{name}: {side.chunks} chunks (mean {side.mean_tokens:.0f} tokens, {side.chars:,} chars) x "
            f"{len(side.run_seconds)} runs in {side.seconds:.2f} s: {side.chunks_per_second:.1f} chunks/s, "
            f"{side.chars_per_second:,.0f} chars/s"
        )
    ratios = figures["ratio"]
    typer.echo(
        f"coach / peer ({figures['rounds']} rounds): chunks/s {ratios['chunks_per_second']:.2f}x, "
        f"chars/s {ratios['chars_per_second']:.2f}x"
    )
    typer.echo(f"peak RSS of this process: {comparison.peak_rss_mb:.0f} MB")


@bench_cli.command("slack")
def bench_slack(
    rounds: int = typer.Option(3, "--rounds", min=1, help="Rounds of the sample questions to time."),
    transport: Transport = typer.Option(Transport.HTTP, "--transport", help="How the local Slack delivers."),
    workspaces: int | None = typer.Option(
        None, "--workspaces", min=1, help="Load test: install this many workspaces through OAuth."
    ),
    replicas: int | None = typer.Option(None, "--replicas", min=1, help="Load test: `serve` processes to start."),
    seconds: float = typer.Option(20.0, "--seconds", min=1.0, help="Load test: how long to drive mentions."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Time an app_mention delivered by the local Slack until the coach's answer is posted in its thread.

    With --workspaces or --replicas it is a load test: that many workspaces installed through OAuth, served by
    that many `serve` processes on one database (DATABASE_URL, else a temporary SQLite file) and one Chroma
    server (CHROMA_URL, else one it starts), mentioned concurrently for --seconds; it prints answers per
    second, p50/p95 from delivery to answer, late (after 10 s), lost (never) and duplicated answers, and each
    replica's peak resident memory (VmHWM) at idle (started, workspaces installed) and after the load.

    Example: flywheel-coach bench slack --rounds 5
    Example: flywheel-coach bench slack --workspaces 100 --replicas 2 --seconds 20
    """
    import json

    from bot.bench.slack import run_load_bench, time_slack_answers

    configure_logging(logging.ERROR)
    if workspaces is not None or replicas is not None:
        load = run(
            run_load_bench(settings_or_fail(), workspaces=workspaces or 100, replicas=replicas or 2, seconds=seconds)
        )
        if as_json:
            typer.echo(json.dumps(load.to_json(), indent=2))
            return
        typer.echo(
            f"{load.workspaces} workspaces, {load.replicas} replicas, {load.seconds:.1f} s: "
            f"{load.answers} answers, {load.answers_per_second:.1f} answers/s, p50 {load.p50_ms:.1f} ms, "
            f"p95 {load.p95_ms:.1f} ms, late {load.late}, lost {load.lost}, duplicated {load.duplicated}; "
            "CPU s in the window: "
            f"replicas {', '.join(f'{cpu:.1f}' for cpu in load.replica_cpu_seconds)}, "
            f"local Slack and driver {load.local_slack_cpu_seconds:.1f}"
        )
        typer.echo(
            "peak RSS of each replica (MB): idle "
            f"{', '.join(f'{mb:.0f}' for mb in load.replica_peak_rss_idle_mb)}; after the load "
            f"{', '.join(f'{mb:.0f}' for mb in load.replica_peak_rss_loaded_mb)}"
        )
        return
    report = run(time_slack_answers(settings_or_fail(), rounds=rounds, transport=transport))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    typer.echo(f"{report.name}: {report.runs} answers, p50 {report.p50_ms:.1f} ms, p95 {report.p95_ms:.1f} ms")


@bench_cli.command("memory")
def bench_memory(
    chunks: int = typer.Option(
        400, "--chunks", min=1, help="About how many ~200-token chunks to index for the workspace (~7 a second)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Measure the resident memory of one `serve` process: at idle, after one answer, and after it has loaded
    a workspace's own corpus of --chunks chunks, indexed through `flywheel-coach index --team` from another
    process (the replica loads it on the next question, which this asks).

    The serving process starts as in `bench slack` (any-workspace mode, one workspace installed through OAuth,
    DATABASE_URL else a temporary SQLite file, CHROMA_URL else a Chroma server it starts). The memory of the
    loaded corpus grows with the chunk count (the in-memory mirror keeps each chunk's text, vector and
    sentence vectors): the default is small so indexing takes about a minute on 2 cores; 100,000 chunks
    would take hours, so scale the figure by chunk count instead.

    --json prints {"chunks": int, "index_seconds": float, "idle_rss_mb": float, "answered_rss_mb": float,
    "loaded_rss_mb": float, "peak_rss_mb": float} (VmRSS at each step; peak_rss_mb is VmHWM at the end).

    Example: flywheel-coach bench memory --chunks 400
    """
    import json

    from bot.bench.memory import run_memory_bench

    configure_logging(logging.ERROR)
    report = run(run_memory_bench(settings_or_fail(), chunks=chunks))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    typer.echo(
        f"serve process RSS: idle {report.idle_rss_mb:.0f} MB, after one answer {report.answered_rss_mb:.0f} MB, "
        f"after loading {report.chunks:,} indexed chunks {report.loaded_rss_mb:.0f} MB "
        f"(indexed in {report.index_seconds:.1f} s); peak {report.peak_rss_mb:.0f} MB"
    )


# ---------------------------------------------------------------- checkins: run-due, bench checkins
checkins_cli = typer.Typer(help="Weekly check-ins: run one scheduler pass by hand.", no_args_is_help=True)
cli.add_typer(checkins_cli, name="checkins")


@checkins_cli.command("run-due")
def checkins_run_due(
    now: str = typer.Option(None, "--now", help="The moment to run at, ISO 8601 with an offset (default: now)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what is due; post and record nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the pass as JSON."),
) -> None:
    """Post every check-in due at --now, exactly once (safe to run while the coach runs, or twice at once).

    Needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to post with each installed
    workspace's own token (and SLACK_API_URL for a local Slack). Missed prompts that are still useful
    go out marked late; the rest are recorded as expired.

    Example: flywheel-coach checkins run-due --now 2026-03-03T10:00:00-05:00 --dry-run
    """
    import json
    from datetime import UTC, datetime

    from bot.app import build_web_client
    from bot.installations import WorkspaceTokens
    from bot.listeners.checkins.poster import SlackCheckinPoster
    from bot.services import build_services

    moment: datetime | None = None
    if now is not None:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now {now!r} is not ISO 8601: write it like 2026-03-03T10:00:00+01:00.")
        if moment.tzinfo is None:
            fail(f"--now {now!r} has no offset: add one, like 2026-03-03T10:00:00Z or +01:00.")
        moment = moment.astimezone(UTC)
    settings = settings_or_fail()

    async def main() -> dict:
        if not dry_run and not settings.multi_workspace:
            settings.require("SLACK_BOT_TOKEN")
        client = build_web_client(settings)
        async with await build_services(settings) as services:
            poster = SlackCheckinPoster(client, WorkspaceTokens.for_settings(settings, services.db, client))
            report = await services.checkins.run_pass(poster, moment, dry_run=dry_run)
        return report.to_json()

    result = run(main())
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    counts = ", ".join(f"{action} {count}" for action, count in result["counts"].items()) or "nothing due"
    typer.echo(f"{'dry run ' if dry_run else ''}pass at {result['now']}: {counts}")
    for dispatch in result["dispatches"]:
        late = " (late)" if dispatch["late"] else ""
        error = f" [{dispatch['error']}]" if dispatch["error"] else ""
        typer.echo(
            f"  {dispatch['channel_id']} {dispatch['week']} {dispatch['prompt']}: {dispatch['action']}{late}{error}"
        )


@bench_cli.command("checkins")
def bench_checkins(
    channels: int = typer.Option(10_000, "--channels", min=1, help="How many channels have a prompt due."),
    storm: int = typer.Option(20, "--storm", min=0, help="How many posts the local Slack answers with 429 first."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Time one check-in pass with every channel due, through the local Slack, and one with nothing due.

    Uses DATABASE_URL when set (e.g. PostgreSQL), else a throwaway SQLite file.

    Example: flywheel-coach bench checkins --channels 10000
    """
    import json
    import tempfile

    from bot.bench.checkins import run_bench

    configure_logging(logging.ERROR)
    settings = settings_or_fail()
    with tempfile.TemporaryDirectory(prefix="checkins-bench-") as folder:
        figures = run(
            run_bench(channels=channels, data_dir=Path(folder), database_url=settings.database_url, storm=storm)
        )
    if as_json:
        typer.echo(json.dumps(figures.to_json(), indent=2))
        return
    for line in figures.lines():
        typer.echo(line)


def main() -> None:
    """Entry point of the `flywheel-coach` console script."""
    cli()
