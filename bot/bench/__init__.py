"""Benchmarks and the answer-quality eval: they drive the whole coach, so they sit above it, never inside a core.

This module stays light (the CLI imports it to declare its options); each benchmark lives in its own module.
"""

from enum import StrEnum


class Transport(StrEnum):
    """How the local Slack delivers events to the coach in `bench slack`."""

    HTTP = "http"
    SOCKET = "socket"
