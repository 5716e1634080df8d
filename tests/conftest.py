"""Shared test set-up: a clean environment, and the databases every storage test runs against."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.store.db import Database

# Variables that would aim the coach (or slack_sdk) somewhere else than the test's own servers.
LEAKY_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_REDIRECT_URI",
    "FLYWHEEL_DATA_DIR",
    "DATABASE_URL",
    "CHROMA_URL",
    "KNOWLEDGE_DIR",
    "LLM_MODEL",
    "LLM_TIMEOUT_S",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OLLAMA_HOST",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
)


# Tests that start coach processes, or keep the CPU busy for a minute, run one after another on one worker:
# run beside each other they starved the in-process tests of the CPU long enough for an ack to miss Slack's
# 3 s (the local Slack fails a test on that).
HEAVY_MODULES = frozenset(
    {
        "test_bench_memory.py",
        "test_checkins_concurrency.py",
        "test_crash_answers.py",
        "test_crash_points.py",
        "test_hostile_properties.py",
        "test_many_workspaces.py",
        "test_replicas.py",
        "test_store_opening.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in HEAVY_MODULES:
            item.add_marker(pytest.mark.xdist_group("heavy"))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No developer token, proxy or data dir leaks into a test; each test runs in its own directory."""
    for name in LEAKY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """A command's logging set-up (`configure_logging`) ends with the test that ran it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [handler for handler in root.handlers if handler not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


def database_urls() -> list[pytest.param]:
    """SQLite always; PostgreSQL when TEST_DATABASE_URL names a server (CI starts one)."""
    params = [pytest.param("sqlite", id="sqlite")]
    marks = [pytest.mark.postgres]
    if not os.environ.get("TEST_DATABASE_URL"):
        marks.append(pytest.mark.skip(reason="TEST_DATABASE_URL is not set (no PostgreSQL server)"))
    params.append(pytest.param("postgresql", id="postgresql", marks=marks))
    return params


async def _create_postgres_database(server_url: str) -> str:
    """A fresh, uniquely named database on the test server, so tests never see each other's rows."""
    import asyncpg

    plain = server_url.replace("postgresql+asyncpg://", "postgresql://").replace("postgres://", "postgresql://")
    name = f"coach_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = plain.rpartition("/")
    return f"{base}/{name}"


async def _empty_database(kind: str, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file in the test's directory, or a fresh PostgreSQL database."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
    url = await _create_postgres_database(os.environ["TEST_DATABASE_URL"])
    return load_settings(DATABASE_URL=url).resolved_database_url


@pytest.fixture(params=database_urls())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty database of each kind under test."""
    return await _empty_database(request.param, tmp_path)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database of each kind under test."""
    db = Database(database_url)
    await db.upgrade()
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with everything in this test's directory."""
    return load_settings(FLYWHEEL_DATA_DIR=str(tmp_path / "data"))


@dataclass(frozen=True)
class ChromaServer:
    """A Chroma server this test started: its URL, and the folder it keeps everything in."""

    url: str
    path: Path


@pytest.fixture
async def chroma_server(tmp_path: Path) -> AsyncIterator[ChromaServer]:
    """A Chroma server of the test's own (the `chroma` command beside Python), stopped afterwards."""
    import asyncio
    import socket
    import sys
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = tmp_path / "chroma-server"
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("chroma")),
        "run",
        "--path",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                await asyncio.to_thread(urllib.request.urlopen, f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail("the Chroma server did not start within 30 s")
        yield ChromaServer(url=url, path=path)
    finally:
        process.terminate()
        await process.wait()


@pytest.fixture
async def shared_database_url(tmp_path: Path) -> str:
    """The one database several processes share: PostgreSQL when a server is given (as deployments run
    replicas), else one SQLite file. Not both: the many-process tests are the slowest, and the storage layer
    under them is tested on both kinds already."""
    return await _empty_database("postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite", tmp_path)
