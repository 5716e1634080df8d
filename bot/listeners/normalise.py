"""Text normalised at the edge: what Slack delivers is cleaned once, before any listener parses it.

PostgreSQL refuses NUL in text, and other control characters only break formatting and logs, so every
string in a request body is cleaned in place by a middleware that runs before the listeners. Line
breaks and tabs stay; Slack's own markup (`<http://…|label>`, `<@U…>`) is ordinary text and stays too.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

# C0 controls except tab and line feed, DEL, and lone surrogates (JSON `\ud800` decodes to one, UTF-8 can't hold it).
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """The text without NUL and other control characters (\\n and \\t kept; \\r\\n and \\r become \\n)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _LONE_SURROGATE.sub("\ufffd", _UNWANTED.sub("", text))


def clean_payload(value: Any) -> Any:
    """Clean every string (keys included) of a decoded JSON value; dicts and lists are cleaned in place."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        value[:] = [clean_payload(item) for item in value]
    elif isinstance(value, dict):
        cleaned = {clean_text(key) if isinstance(key, str) else key: clean_payload(item) for key, item in value.items()}
        value.clear()
        value.update(cleaned)
    return value


async def normalise_text(body: Any, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:  # noqa: A002
    """Middleware: clean the request body in place, so every listener (and every parse path) sees clean text."""
    clean_payload(body)
    return await next()
