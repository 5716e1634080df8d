"""`flywheel-coach demo` with the real coach: a piped script prints the exchange; a terminal session works."""

import io
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import load_settings
from bot.emulator.demo import run_demo

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A one-page knowledge folder, so starting the coach indexes almost nothing."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "flywheel.md").write_text("# Data flywheel\n\nUse makes data, data makes the product better.\n")
    return folder


async def test_a_piped_script_prints_the_whole_exchange(tmp_path: Path, knowledge: Path) -> None:
    settings = load_settings(FLYWHEEL_DATA_DIR=str(tmp_path / "data"), KNOWLEDGE_DIR=str(knowledge))
    stdout = io.StringIO()

    await run_demo(settings, stdin=io.StringIO("/flywheel help\n:home\n"), stdout=stdout, clock=ManualClock())

    out = stdout.getvalue()
    assert "\x1b[" not in out
    assert "you > /flywheel help\ncoach (only you can see this):" in out
    assert "/flywheel interview" in out
    assert "you > :home\nHome tab:" in out
    assert "! local Slack" not in out
    assert out.endswith("\n")


def read_until(master: int, needle: str, seen: list[str], limit: float = 90) -> str:
    """Terminal output until `needle` shows up (ANSI codes removed); fails after `limit` seconds."""
    deadline = time.monotonic() + limit
    while needle not in ANSI.sub("", "".join(seen)):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} never appeared; the terminal showed:\n{ANSI.sub('', ''.join(seen))}")
        ready, _, _ = select.select([master], [], [], remaining)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise AssertionError(f"the demo exited before showing {needle!r}:\n{''.join(seen)}")
            seen.append(chunk.decode(errors="replace"))
    return ANSI.sub("", "".join(seen))


def test_the_demo_runs_in_a_terminal(tmp_path: Path, knowledge: Path) -> None:
    master, replica = os.openpty()
    environment = {
        **os.environ,
        "FLYWHEEL_DATA_DIR": str(tmp_path / "data"),
        "KNOWLEDGE_DIR": str(knowledge),
        "COLUMNS": "120",
        "TERM": "xterm",
    }
    command = [str(Path(sys.executable).parent / "flywheel-coach"), "demo"]
    process = subprocess.Popen(
        command, stdin=replica, stdout=replica, stderr=replica, cwd=tmp_path, env=environment, close_fds=True
    )
    os.close(replica)
    seen: list[str] = []
    try:
        read_until(master, "you > ", seen)
        os.write(master, b"/flywheel help\r")
        read_until(master, "only you can see this", seen)
        os.write(master, b":home\r")
        screen = read_until(master, "Home tab:", seen)
        os.write(master, b":quit\r")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert "/flywheel interview" in screen
    assert "Traceback" not in screen
