"""Small Block Kit pieces and the escaping that keeps echoed text from pinging or breaking formatting."""

from __future__ import annotations

import re
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
_BROADCAST = re.compile(r"(?i)@(everyone|channel|here)\b")
# An ampersand that doesn't already start one of Slack's three entities.
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")
_LINK = re.compile(r"(<(?:https?://|mailto:)[^<>|\s]+(?:\|[^<>]*)?>)")


def escape(text: str) -> str:
    """Make user-supplied text safe for mrkdwn: no `<!channel>`-style pings, links or user mentions.

    Slack only needs &, < and > escaped; a bare `@here` is also defused with a zero-width joiner so
    clients that auto-link it do not notify anyone. Message text arrives from Slack already escaped
    (`a &lt; b`), so existing entities are kept: escaping twice gives the same text as escaping once.
    """
    escaped = _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda match: "@\u200d" + match.group(1), escaped)


def from_plain_input(text: str) -> str:
    """Text typed in a plain-text field, in the form Slack gives typed message text (&, < and > escaped).

    A plain-text field has no mentions or links: typing `<@U123>` there names no one. Brought to message
    form, it reads like a typed message everywhere after (no mention is found in it, none is shown).
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_plain_input(text: str) -> str:
    """Message-form text back as a person would type it in a plain-text field (to pre-fill one)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape_keeping_links(text: str) -> str:
    """Like `escape`, but the web and mail links Slack put in a message (`<http://x|label>`) stay links."""
    pieces = _LINK.split(text)
    return "".join(
        _BROADCAST.sub(lambda match: "@\u200d" + match.group(1), piece) if _LINK.fullmatch(piece) else escape(piece)
        for piece in pieces
    )


def truncate(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mrkdwn(text: str) -> dict[str, str]:
    """A mrkdwn text object (the caller escapes any user text inside it)."""
    return {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_LIMIT)}


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    """A plain_text object (never formatted, so safe for user text)."""
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def header(text: str) -> Block:
    """A header block (150 characters at most)."""
    return {"type": "header", "text": plain(text, 150)}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    """A mrkdwn section."""
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def fields(*items: str) -> Block:
    """A section of up to ten short mrkdwn fields."""
    return {"type": "section", "fields": [mrkdwn(truncate(item, 2000)) for item in items[:10]]}


def context(*texts: str) -> Block:
    """A context block of mrkdwn lines."""
    return {"type": "context", "elements": [mrkdwn(text) for text in texts[:10]]}


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def button(
    text: str, *, action_id: str, value: str | None = None, style: str | None = None, url: str | None = None
) -> Block:
    """A button element."""
    element: Block = {"type": "button", "text": plain(text, BUTTON_TEXT_LIMIT), "action_id": action_id}
    if value is not None:
        element["value"] = value[:2000]
    if style is not None:
        element["style"] = style
    if url is not None:
        element["url"] = url
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """An actions block (25 elements at most)."""
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id is not None:
        block["block_id"] = block_id
    return block
