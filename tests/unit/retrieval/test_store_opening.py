"""Several processes opening a fresh embedded store at once: Chroma creates its schema once, nobody fails."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

OPEN_KNOWLEDGE = (
    "import asyncio, sys\n"
    "from bot.config import load_settings\n"
    "from bot.retrieval.knowledge_base import KnowledgeBase\n"
    "asyncio.run(KnowledgeBase.open(load_settings(FLYWHEEL_DATA_DIR=sys.argv[1])))\n"
)


async def test_processes_opening_a_fresh_data_dir_at_once_all_succeed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", OPEN_KNOWLEDGE, str(data_dir), stderr=asyncio.subprocess.PIPE
        )
        for _ in range(8)
    ]
    errors = [stderr.decode()[-300:] for _, stderr in await asyncio.gather(*(p.communicate() for p in processes))]
    assert [process.returncode for process in processes] == [0] * 8, errors
    assert (data_dir / "chroma").is_dir()
