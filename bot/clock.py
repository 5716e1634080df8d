"""Where the coach gets the time: the real clock, or one that tests and the demo can move."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """Real time plus an offset that can be moved forward (or set), for tests and the demo.

    Time keeps flowing between moves, so timeouts and expiry behave as they would for real.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        """The current time: the real time moved by the offset."""
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by `delta` and return the new time."""
        with self._lock:
            self._offset += delta
            return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        """Make the clock read `moment` now (it must be timezone-aware)."""
        if moment.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware datetime")
        with self._lock:
            self._offset = moment.astimezone(UTC) - datetime.now(UTC)
