"""`bench slack`: the time from a delivered app_mention to the answer posted, through the local Slack.

In one process (the coach in-process, one workspace), or as a load test: many workspaces installed through
OAuth, served by several `serve` processes on one database and one Chroma server.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from bot.bench import Transport
from bot.bench.retrieval import SAMPLE_QUESTIONS, LatencyReport, percentile
from bot.bench.rss import process_memory_mb
from bot.clock import ManualClock
from bot.config import Settings
from bot.emulator import LocalSlack, Team, WaitTimeout
from bot.emulator.humans import Human
from bot.errors import CoachError
from bot.manifest import build_manifest
from bot.runtime import connected_socket_mode, open_coach, serving_http


async def time_slack_answers(
    settings: Settings, *, rounds: int = 3, transport: Transport = Transport.HTTP
) -> LatencyReport:
    """Mention the coach in a local Slack and time each answer's arrival in the thread, after a warm-up."""
    questions = [q for q in SAMPLE_QUESTIONS if "banana" not in q]
    clock = ManualClock()
    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as data_dir:
        async with LocalSlack(clock=clock, manifest=build_manifest()) as slack:
            bench_settings = slack.coach_settings(settings, data_dir=Path(data_dir), database_url=None, chroma_url=None)
            ana = slack.add_user("ana")
            channel = slack.add_channel("bench", members=[ana.id])
            async with open_coach(bench_settings, clock=clock) as coach:
                if transport is Transport.HTTP:
                    async with serving_http(coach, host="127.0.0.1", port=0) as port:
                        slack.set_request_url(f"http://127.0.0.1:{port}/slack/events")
                        samples = await _time_mentions(slack, ana, channel, questions, rounds=rounds)
                        slack.set_request_url(None)
                else:
                    async with connected_socket_mode(coach, slack.app_token):
                        await slack.wait_for_socket_connection()
                        samples = await _time_mentions(slack, ana, channel, questions, rounds=rounds)
                chunks = coach.services.knowledge.chunk_count()
    return LatencyReport(
        name=f"slack app_mention to answer ({transport})",
        chunks=chunks,
        runs=len(samples),
        p50_ms=statistics.median(samples),
        p95_ms=percentile(samples, 0.95),
    )


async def _time_mentions(
    slack: LocalSlack, asker: Human, channel: str, questions: Sequence[str], *, rounds: int
) -> list[float]:
    """Milliseconds from each mention to its answer, over `rounds` rounds after a warm-up round."""
    samples: list[float] = []
    for round_number in range(rounds + 1):
        for question in questions:
            started = time.perf_counter()
            asked = await asker.mention(channel, question)
            await slack.wait_for_message(channel=channel, thread_ts=asked)
            if round_number:  # the first round warms the model and the connections up
                samples.append((time.perf_counter() - started) * 1000)
    await slack.wait_idle()
    return samples


# ---------------------------------------------------------------- many workspaces, several `serve` replicas

FLYWHEEL = Path(sys.executable).with_name("flywheel-coach")
CHROMA = Path(sys.executable).with_name("chroma")
STARTUP_SECONDS = 180.0
STOP_SECONDS = 10.0
ANSWER_TIMEOUT_SECONDS = 10.0
SETTLE_SECONDS = 60.0
IN_FLIGHT_PER_REPLICA = 16


@dataclass(frozen=True)
class Replica:
    """One `flywheel-coach serve` process: where it listens, and the process itself."""

    base_url: str
    process: asyncio.subprocess.Process
    log: Path

    @property
    def events_url(self) -> str:
        """Where Slack delivers its requests to this replica."""
        return f"{self.base_url}/slack/events"


def free_port() -> int:
    """A TCP port on the loopback nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def replica_environment(
    slack: LocalSlack,
    *,
    redirect_uri: str,
    database_url: str,
    chroma_url: str,
    data_dir: Path,
    knowledge_dir: Path,
) -> dict[str, str]:
    """What a `serve` replica in any-workspace mode needs to serve the local Slack's workspaces."""
    return {
        "SLACK_CLIENT_ID": slack.client_id,
        "SLACK_CLIENT_SECRET": slack.client_secret,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "SLACK_REDIRECT_URI": redirect_uri,
        "DATABASE_URL": database_url,
        "CHROMA_URL": chroma_url,
        "FLYWHEEL_DATA_DIR": str(data_dir),
        "KNOWLEDGE_DIR": str(knowledge_dir),
    }


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """Terminate a process we started, and kill it if it has not exited after a while."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()


async def _wait_until_healthy(url: str, process: asyncio.subprocess.Process, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(trust_env=False) as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise CoachError(f"a replica exited with {process.returncode} while starting: {_tail(log)}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as health:
                    if health.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise CoachError(f"a replica was not healthy within {timeout:.0f} s: {_tail(log)}")


def _tail(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return lines[-1] if lines else "(no output)"


@asynccontextmanager
async def serving_replicas(
    slack: LocalSlack,
    count: int,
    *,
    database_url: str,
    chroma_url: str,
    workdir: Path,
    knowledge_dir: Path,
    extra_environment: dict[str, str] | None = None,
) -> AsyncIterator[list[Replica]]:
    """`count` real `serve` processes on one database and one Chroma server, each healthy; stopped on exit.

    They start together (migrations and first indexing race, as they do in a deployment) and each keeps its
    own data dir, so nothing but the database and the Chroma server is shared. They share one redirect URL,
    the first replica's, as replicas behind a load balancer share its public one (Slack checks that the code
    exchange names the URL the install link named).
    """
    replicas: list[Replica] = []
    ports = [free_port() for _ in range(count)]
    try:
        for number, port in enumerate(ports):
            environment = replica_environment(
                slack,
                redirect_uri=f"http://127.0.0.1:{ports[0]}/slack/oauth_redirect",
                database_url=database_url,
                chroma_url=chroma_url,
                data_dir=workdir / f"replica-{number}",
                knowledge_dir=knowledge_dir,
            )
            log = workdir / f"replica-{number}.log"
            with log.open("wb") as output:
                process = await asyncio.create_subprocess_exec(
                    str(FLYWHEEL),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    env={**os.environ, **environment, **(extra_environment or {})},
                    stdout=output,
                    stderr=asyncio.subprocess.STDOUT,
                )
            replicas.append(Replica(base_url=f"http://127.0.0.1:{port}", process=process, log=log))
        await asyncio.gather(
            *(_wait_until_healthy(f"{r.base_url}/healthz", r.process, r.log, STARTUP_SECONDS) for r in replicas)
        )
        yield replicas
    finally:
        await asyncio.gather(*(stop_process(r.process) for r in replicas))


@asynccontextmanager
async def running_chroma(path: Path) -> AsyncIterator[str]:
    """A Chroma server of our own (`chroma run`, beside Python) keeping its files in `path`; its URL."""
    port = free_port()
    log = path.with_suffix(".log")
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(CHROMA),
            "run",
            "--path",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_healthy(f"{url}/api/v2/heartbeat", process, log, STARTUP_SECONDS)
        yield url
    finally:
        await stop_process(process)


async def install_through_oauth(
    slack: LocalSlack, installer: Human, *, install_from: str, redirect_to: str | None = None
) -> str:
    """What a person does: open Add to Slack on one replica, allow in Slack, come back; the page they see.

    `redirect_to` sends the way back to another replica's base URL (as a load balancer may): the OAuth state
    lives in the database, so any replica completes the install.
    """
    async with aiohttp.ClientSession(trust_env=False) as browser:
        async with browser.get(f"{install_from}/slack/install") as page:
            if page.status != 200:
                raise CoachError(f"the install page answered {page.status}")
            links = re.findall(r'href="([^"]+)"', await page.text())
            # The state cookie is `Secure`: browsers keep it for http://127.0.0.1 too, aiohttp's jar does not.
            cookie = page.headers["Set-Cookie"].split(";")[0]
        authorize = next(html.unescape(link) for link in links if link.startswith(slack.authorize_url))
        redirect = await slack.consent(authorize, installer=installer)
        if redirect_to is not None:
            target = urlsplit(redirect_to)
            redirect = urlunsplit(urlsplit(redirect)._replace(scheme=target.scheme, netloc=target.netloc))
        async with browser.get(redirect, headers={"Cookie": cookie}) as done:
            text = await done.text()
            if done.status != 200:
                raise CoachError(f"the OAuth redirect answered {done.status}")
            return text


@dataclass(frozen=True)
class InstalledWorkspace:
    """A workspace with the coach installed, one person in it and a channel they share with the coach."""

    team: Team
    person: Human
    channel: str


async def install_workspace(
    slack: LocalSlack, name: str, *, install_from: str, redirect_to: str | None = None
) -> InstalledWorkspace:
    """Create a workspace, install the coach through OAuth, then open a channel with the coach in it."""
    team = slack.add_workspace(name)
    person = team.add_user(f"admin-{name.lower()}")
    page = await install_through_oauth(slack, person, install_from=install_from, redirect_to=redirect_to)
    if f"installed in {name}" not in page:
        raise CoachError(f"the install of {name} did not succeed")
    channel = team.add_channel("general", members=[person])
    team.add_bot_to(channel)
    return InstalledWorkspace(team=team, person=person, channel=channel)


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What `bench slack --workspaces W --replicas R` measured."""

    workspaces: int
    replicas: int
    seconds: float
    answers: int
    answers_per_second: float
    p50_ms: float
    p95_ms: float
    late: int
    lost: int
    duplicated: int
    # Where the time went during the timed window: CPU seconds of each replica and of this process (the local
    # Slack and the load driver), so a missed target points at a culprit.
    replica_cpu_seconds: tuple[float, ...]
    local_slack_cpu_seconds: float
    # Each replica's peak resident memory (VmHWM, MB) once started and its workspaces installed, before any
    # mention, and again after the load.
    replica_peak_rss_idle_mb: tuple[float, ...]
    replica_peak_rss_loaded_mb: tuple[float, ...]

    def to_json(self) -> dict[str, float | int | list[float]]:
        """Plain numbers for `bench slack --json`."""
        return {
            "workspaces": self.workspaces,
            "replicas": self.replicas,
            "seconds": round(self.seconds, 2),
            "answers": self.answers,
            "answers_per_second": round(self.answers_per_second, 2),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "late": self.late,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "replica_cpu_seconds": [round(seconds, 2) for seconds in self.replica_cpu_seconds],
            "local_slack_cpu_seconds": round(self.local_slack_cpu_seconds, 2),
            "replica_peak_rss_idle_mb": [round(mb, 1) for mb in self.replica_peak_rss_idle_mb],
            "replica_peak_rss_loaded_mb": [round(mb, 1) for mb in self.replica_peak_rss_loaded_mb],
        }


@dataclass(frozen=True)
class BenchFleet:
    """What a multi-process benchmark runs on: its scratch folder, database, Chroma server, Slack and replicas."""

    workdir: Path
    database_url: str
    chroma_url: str
    slack: LocalSlack
    replicas: list[Replica]


@asynccontextmanager
async def bench_fleet(settings: Settings, replicas: int) -> AsyncIterator[BenchFleet]:
    """A scratch folder, the database (DATABASE_URL, else a fresh SQLite file), the Chroma server (CHROMA_URL,
    else one started here), a local Slack and `replicas` `serve` processes on them; all stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as scratch:
        workdir = Path(scratch)
        database_url = settings.database_url or f"sqlite+aiosqlite:///{workdir / 'coach.db'}"
        async with contextlib.AsyncExitStack() as stack:
            chroma_url = settings.chroma_url
            if chroma_url is None:
                chroma_url = await stack.enter_async_context(running_chroma(workdir / "chroma"))
            slack = await stack.enter_async_context(LocalSlack(manifest=build_manifest()))
            fleet = await stack.enter_async_context(
                serving_replicas(
                    slack,
                    replicas,
                    database_url=database_url,
                    chroma_url=chroma_url,
                    workdir=workdir,
                    knowledge_dir=settings.resolved_knowledge_dir,
                )
            )
            yield BenchFleet(workdir, database_url, chroma_url, slack, fleet)


async def run_load_bench(
    settings: Settings, *, workspaces: int, replicas: int, seconds: float, in_flight: int | None = None
) -> LoadReport:
    """Install `workspaces` workspaces in a local Slack, serve them from `replicas` processes, drive mentions.

    The database is DATABASE_URL (else a fresh SQLite file) and the Chroma server CHROMA_URL (else one this
    run starts and stops).
    """
    async with bench_fleet(settings, replicas) as bench:
        slack, fleet = bench.slack, bench.replicas
        slack.set_request_url([replica.events_url for replica in fleet])
        installed = await _install_many(slack, fleet, workspaces)
        return await _drive_mentions(
            slack,
            installed,
            fleet=fleet,
            replicas=replicas,
            seconds=seconds,
            in_flight=in_flight or replicas * IN_FLIGHT_PER_REPLICA,
        )


async def _install_many(slack: LocalSlack, fleet: list[Replica], count: int) -> list[InstalledWorkspace]:
    """Install `count` workspaces, a few at a time, each from the next replica."""
    gate = asyncio.Semaphore(8)

    async def one(number: int) -> InstalledWorkspace:
        async with gate:
            replica = fleet[number % len(fleet)]
            return await install_workspace(slack, f"Bench{number:04d}", install_from=replica.base_url)

    installed = await asyncio.gather(*(one(number) for number in range(count)))
    await slack.wait_idle(timeout=60)
    return list(installed)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux's /proc; 0.0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, as proc(5) counts).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive_mentions(
    slack: LocalSlack,
    installed: list[InstalledWorkspace],
    *,
    fleet: list[Replica],
    replicas: int,
    seconds: float,
    in_flight: int,
) -> LoadReport:
    """Keep `in_flight` mentions going, each from the next workspace, for `seconds` after a warm-up round."""
    questions = [q for q in SAMPLE_QUESTIONS if "banana" not in q]
    asked: list[tuple[InstalledWorkspace, str]] = []
    samples: list[float] = []
    late = 0
    turn = itertools.count()
    idle_rss = tuple(process_memory_mb(replica.process.pid)[1] for replica in fleet)

    async def mention(measure: bool) -> None:
        nonlocal late
        number = next(turn)
        workspace = installed[number % len(installed)]
        started = time.perf_counter()
        thread = await workspace.person.mention(workspace.channel, questions[number % len(questions)])
        if measure:
            asked.append((workspace, thread))
        try:
            await workspace.team.wait_for_message(
                channel=workspace.channel, thread_ts=thread, timeout=ANSWER_TIMEOUT_SECONDS
            )
        except WaitTimeout:
            if measure:
                late += 1
            return
        if measure:
            samples.append((time.perf_counter() - started) * 1000)

    # Warm-up: every replica loads its model and opens its connections before the clock starts.
    await asyncio.gather(*(mention(measure=False) for _ in range(replicas * 4)))
    began = time.perf_counter()
    deadline = began + seconds
    cpu_before = [cpu_seconds(replica.process.pid) for replica in fleet]
    own_before = time.process_time()

    async def worker() -> None:
        while time.perf_counter() < deadline:
            await mention(measure=True)

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.perf_counter() - began
    replica_cpu = tuple(cpu_seconds(r.process.pid) - before for r, before in zip(fleet, cpu_before, strict=True))
    own_cpu = time.process_time() - own_before
    await slack.wait_idle(timeout=30)
    # A late answer is not a lost one: give the replicas time to work off their backlog before counting.
    settle_until = time.perf_counter() + SETTLE_SECONDS
    for workspace, thread in asked:
        with contextlib.suppress(WaitTimeout):
            await workspace.team.wait_for_message(
                channel=workspace.channel, thread_ts=thread, timeout=max(0.0, settle_until - time.perf_counter())
            )
    await asyncio.sleep(1)  # a duplicate would come right after the first answer
    loaded_rss = tuple(process_memory_mb(replica.process.pid)[1] for replica in fleet)
    answers_per_thread = [len(workspace.team.bot_messages(workspace.channel, thread)) for workspace, thread in asked]
    lost = answers_per_thread.count(0)
    duplicated = sum(1 for count in answers_per_thread if count > 1)
    return LoadReport(
        workspaces=len(installed),
        replicas=replicas,
        seconds=elapsed,
        answers=len(samples),
        answers_per_second=len(samples) / elapsed,
        p50_ms=statistics.median(samples) if samples else 0.0,
        p95_ms=percentile(samples, 0.95) if samples else 0.0,
        late=late,
        lost=lost,
        duplicated=duplicated,
        replica_cpu_seconds=replica_cpu,
        local_slack_cpu_seconds=own_cpu,
        replica_peak_rss_idle_mb=idle_rss,
        replica_peak_rss_loaded_mb=loaded_rss,
    )
