"""Waiting on the local Slack's state: wake on every change, re-check often, give up after a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Re-check at least this often, so a change nobody announced (a clock move) is still seen.
RECHECK_SECONDS = 0.05


class WaitTimeout(AssertionError):
    """What a test waited for did not happen in time (an AssertionError, so pytest shows the story)."""


class Notifier:
    """Wakes every waiter when the state changes."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        """Something changed."""
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, seconds: float) -> None:
        """Return at the next change, or after `seconds`."""
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)


async def wait_until(
    notifier: Notifier, check: Callable[[], T | None], *, limit: float, describe: Callable[[], str]
) -> T:
    """The first truthy result of `check()`; raises WaitTimeout (with `describe()`) after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        result = check()
        if result:
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"timed out after {limit:g} s waiting for {describe()}")
        await notifier.wait(min(remaining, RECHECK_SECONDS))
