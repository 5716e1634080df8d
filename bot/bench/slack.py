"""`bench slack`: the time from a delivered app_mention to the answer posted, through the local Slack."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.bench import Transport
from bot.bench.retrieval import SAMPLE_QUESTIONS, LatencyReport, percentile
from bot.clock import ManualClock
from bot.config import Settings
from bot.emulator import LocalSlack
from bot.emulator.humans import Human
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
