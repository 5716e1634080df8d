"""The scheduler inside `serve`/`run`: sleeps until the next prompt is due (by the injected clock), then runs a pass.

It keeps no state of its own: when the next prompt is due comes from storage (re-read at start, when a
schedule changes in this process, every `refresh_seconds` for changes made elsewhere, and whenever the
clock jumps, as the local Slack's clock does in tests and the demo). Several schedulers may run at once;
the dispatch key keeps each prompt to one message.
"""

import asyncio
import logging
import time
from datetime import datetime

from bot.checkins.posting import CheckinPoster
from bot.checkins.service import CheckinService
from bot.clock import Clock

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.2
REFRESH_SECONDS = 30.0
CLOCK_JUMP_SECONDS = 1.0
RETRY_SECONDS = 2.0


class Scheduler:
    """Runs check-in passes when they are due, until cancelled."""

    def __init__(
        self,
        service: CheckinService,
        clock: Clock,
        *,
        tick_seconds: float = TICK_SECONDS,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.service = service
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.refresh_seconds = refresh_seconds

    async def run(self, poster: CheckinPoster) -> None:
        """Loop forever: wait for the next due time, run a pass, repeat (cancel the task to stop)."""
        next_due: datetime | None = None
        last_clock, last_real = self.clock.now(), time.monotonic()
        refreshed_at, first = last_real, True
        while True:
            now, real = self.clock.now(), time.monotonic()
            jumped = abs((now - last_clock).total_seconds() - (real - last_real)) > CLOCK_JUMP_SECONDS
            last_clock, last_real = now, real
            periodic = real - refreshed_at >= self.refresh_seconds
            try:
                if first or periodic or jumped or self.service.changed.is_set():
                    first = False
                    self.service.changed.clear()
                    refreshed_at = real
                    next_due = await self.service.next_due_at()
                if periodic or (next_due is not None and now >= next_due):
                    # The periodic pass also finishes dispatches left behind by a process that died.
                    report = await self.service.run_pass(poster, now)
                    if report.outcomes:
                        logger.info("check-in pass at %s: %s", now.isoformat(), report.counts())
                    next_due = await self.service.next_due_at()
            except Exception:  # noqa: BLE001  (a failed pass is logged and tried again shortly)
                logger.exception("check-in pass failed")
                refreshed_at = real - self.refresh_seconds + RETRY_SECONDS
            await asyncio.sleep(self.tick_seconds)
