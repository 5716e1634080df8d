"""Fault injection for the crash tests: kill the process at a named step boundary, when asked to.

`FLYWHEEL_CRASH_AT=<point>` (or `<point>:<n>`, the n-th time the point is reached) makes
`crash_point(<point>)` kill the process with SIGKILL there, as a power cut or `kill -9` would. The variable
is read once; without it `crash_point` only compares a string with None. It is a test hook, deliberately
outside `Settings`: it must work before settings load and in every layer, and it is never configured in
production. The kill is logged first (the point's name only), so a test can tell it died where it meant it to.
"""

from __future__ import annotations

import logging
import os
import signal
from collections import Counter
from functools import cache

CRASH_AT = "FLYWHEEL_CRASH_AT"
KILLED_AT = "killed by FLYWHEEL_CRASH_AT at"
"""How the log line before the kill starts; the point and its arrival follow."""

logger = logging.getLogger(__name__)
_reached: Counter[str] = Counter()


@cache
def _armed() -> tuple[str, int] | None:
    """The point to die at and on which arrival, from the environment (read once per process)."""
    spec = os.environ.get(CRASH_AT, "").strip()
    if not spec:
        return None
    point, _, nth = spec.partition(":")
    return point, int(nth or "1")


def crash_point(point: str) -> None:
    """Kill this process here if `FLYWHEEL_CRASH_AT` names this point (and this is its n-th arrival)."""
    armed = _armed()
    if armed is None or armed[0] != point:
        return
    _reached[point] += 1
    if _reached[point] == armed[1]:
        logger.critical("%s %s:%d", KILLED_AT, point, armed[1])
        os.kill(os.getpid(), signal.SIGKILL)
