"""Logging set-up, and the filter that keeps people's text and tokens out of every log line.

Slack libraries log whole request bodies (an invalid signature, an unhandled request, a listener's
failure, every Web API call at DEBUG), and exception messages quote the values that failed (a number
that didn't parse, SQL bound parameters). Lowering those loggers would not be enough: anyone who turns
on DEBUG to chase a bug, or a library that logs the body at WARNING, would bring the text back. So the
filter sits on the handler and rewrites every record, at every level: lines from other libraries keep
only their wording up to the first detail, and tracebacks keep their frames and exception types but not
their messages. The coach's own loggers (`bot.*`) log ids, codes and counts only, and pass unchanged.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType
from typing import IO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OWN_LOGGER = "bot"
WITHHELD = "(details withheld: they may carry message text)"

_WORDING = re.compile(r"[A-Za-z][A-Za-z ,.]{0,79}")
"""A library's fixed wording: plain words at the start of its line, before any quoted data (bodies, values,
ids, tokens: they all bring brackets, quotes, colons, digits or dashes)."""

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class WithoutPrivateText(logging.Filter):
    """Rewrites a record so no message text, note, answer or token in it can reach a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, minus its data: other libraries' lines cut to their wording, tracebacks to types."""
        if not _is_own(record.name):
            record.msg = _wording(record.getMessage())
            record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = traceback_without_messages(record.exc_info)
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time of each line (a test runner swaps it, then closes it)."""

    @property
    def stream(self) -> IO[str]:
        """The process's stderr now."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        """StreamHandler's constructor sets a stream; this handler always follows `sys.stderr` instead."""


def configure_logging(level: int = logging.WARNING, *, stream: IO[str] | None = None) -> logging.Handler:
    """Log to stderr (or `stream`) at `level`, every record through `WithoutPrivateText`; returns the handler.

    Calling it again replaces the handler it installed before, so a process logs each line once.
    """
    root = logging.getLogger()
    for previous in [handler for handler in root.handlers if _is_ours(handler)]:
        root.removeHandler(previous)
    handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(WithoutPrivateText())
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def traceback_without_messages(exc_info: ExcInfo) -> str:
    """A traceback's frames and exception types, without the exception messages (which quote values)."""
    lines: list[str] = []
    seen: set[int] = set()
    current: traceback.TracebackException | None = traceback.TracebackException(*exc_info, capture_locals=False)
    chain: list[traceback.TracebackException] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    for position, exception in enumerate(reversed(chain)):
        if position:
            lines.append("\nwhich led to:\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(exception.stack.format())
        lines.append(f"{exception.exc_type.__module__}.{exception.exc_type.__qualname__} (message withheld)")
    return "".join(lines)


def _is_own(name: str) -> bool:
    return name == OWN_LOGGER or name.startswith(OWN_LOGGER + ".")


def _is_ours(handler: logging.Handler) -> bool:
    return any(isinstance(found, WithoutPrivateText) for found in handler.filters)


def _wording(message: str) -> str:
    found = _WORDING.match(message)
    head = found.group().strip() if found else ""
    return head if head == message.strip() else f"{head} {WITHHELD}".lstrip()
