"""Block Kit as readable terminal text: sections, markdown, context, dividers, images, numbered choices."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
SELECTS = frozenset({"static_select", "radio_buttons", "overflow", "checkboxes", "multi_static_select"})
PICKERS = frozenset(
    {
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
    }
)


@dataclass(frozen=True)
class Choice:
    """Something a person can pick by number: a button, one option of a menu, or a picker to fill in."""

    label: str
    action_id: str
    kind: str
    value: Any = None
    message_ts: str | None = None
    surface: str | None = None


@dataclass(frozen=True)
class Line:
    """One line of output and how it should look (`header`, `context`, `choice`, `dim`, `error`, None)."""

    text: str
    style: str | None = None


Register = Callable[[Choice], int]


def plain(text: Any) -> str:
    """A text object or string as plain text."""
    if isinstance(text, dict):
        return str(text.get("text", ""))
    return "" if text is None else str(text)


class Renderer:
    """Turns messages and views into lines, numbering what can be clicked through `register`."""

    def __init__(self, *, user_name: Callable[[str], str], channel_name: Callable[[str], str]) -> None:
        self._user_name = user_name
        self._channel_name = channel_name

    def mrkdwn(self, text: str) -> str:
        """Slack's markup made readable: mentions, channel links, links, special mentions, entities."""

        def replace(match: re.Match[str]) -> str:
            target, label = match.group(1), match.group(2)
            if target.startswith("@"):
                return "@" + (label or self._user_name(target[1:]))
            if target.startswith("#"):
                return "#" + (label or self._channel_name(target[1:]))
            if target.startswith("!date"):
                return label or target
            if target.startswith("!"):
                return "@" + (label or target[1:].split("^")[0])
            return f"{label} ({target})" if label and label != target else target

        return html.unescape(_LINK.sub(replace, text))

    def text(self, text: Any) -> str:
        """A text object (mrkdwn or plain_text) as readable text."""
        if isinstance(text, dict) and text.get("type") == "mrkdwn":
            return self.mrkdwn(str(text.get("text", "")))
        return plain(text)

    def blocks(
        self,
        blocks: list[dict[str, Any]],
        register: Register,
        *,
        message_ts: str | None = None,
        surface: str | None = None,
    ) -> list[Line]:
        """Every block as lines; interactive elements get numbers from `register`."""
        lines: list[Line] = []
        for block in blocks:
            lines += self.block(block, register, message_ts=message_ts, surface=surface)
        return lines

    def block(
        self, block: dict[str, Any], register: Register, *, message_ts: str | None = None, surface: str | None = None
    ) -> list[Line]:
        """One block as lines."""
        kind = block.get("type")

        def choices(element: dict[str, Any]) -> list[Line]:
            return self.element(element, register, message_ts=message_ts, surface=surface)

        if kind == "header":
            return [Line(self.text(block.get("text")), "header")]
        if kind == "divider":
            return [Line("─" * 40, "dim")]
        if kind == "section":
            lines = [Line(part) for part in self.text(block.get("text")).splitlines()] if block.get("text") else []
            lines += [Line("  " + self.text(field)) for field in block.get("fields", [])]
            if isinstance(block.get("accessory"), dict):
                lines += choices(block["accessory"])
            return lines
        if kind == "context":
            parts = [
                self.text(e) if e.get("type") != "image" else f"[{e.get('alt_text', 'image')}]"
                for e in block.get("elements", [])
            ]
            return [Line(" · ".join(p for p in parts if p), "context")]
        if kind == "image":
            title = self.text(block.get("title")) if block.get("title") else ""
            return [Line(f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else ""), "dim")]
        if kind in ("actions", "context_actions"):
            return [line for element in block.get("elements", []) for line in choices(element)]
        if kind == "input":
            label = self.text(block.get("label"))
            return [Line(f"{label}:", "bold"), *choices(block.get("element", {}))]
        if kind in ("rich_text", "markdown"):
            text = block.get("text") if kind == "markdown" else "".join(_rich_text(block))
            return [Line(part) for part in str(text).splitlines()]
        if kind == "file":
            return [Line("[file]", "dim")]
        return [Line(f"[{kind} block]", "dim")]

    def element(
        self, element: dict[str, Any], register: Register, *, message_ts: str | None = None, surface: str | None = None
    ) -> list[Line]:
        """An interactive element as numbered choices."""
        kind = element.get("type", "")
        action_id = element.get("action_id", "")
        if kind == "image":
            return [Line(f"[image: {element.get('alt_text', '')}]", "dim")]
        if kind in ("button", "workflow_button"):
            label = plain(element.get("text"))
            number = register(Choice(label, action_id, "button", element.get("value"), message_ts, surface))
            style = " (primary)" if element.get("style") == "primary" else ""
            return [Line(f"  [{number}] {label}{style}", "choice")]
        if kind == "feedback_buttons":
            lines = []
            for side in ("positive", "negative"):
                label = plain(element.get(f"{side}_button", {}).get("text"))
                number = register(Choice(label, action_id, "feedback", side, message_ts, surface))
                lines.append(Line(f"  [{number}] {label}", "choice"))
            return lines
        if kind in SELECTS:
            title = plain(element.get("placeholder")) or action_id
            lines = [Line(f"  {title}:", "dim")]
            for option in _options(element):
                label = self.text(option.get("text"))
                number = register(Choice(label, action_id, "option", option.get("value"), message_ts, surface))
                lines.append(Line(f"    [{number}] {label}", "choice"))
            return lines
        if kind in PICKERS:
            title = plain(element.get("placeholder")) or kind.replace("_", " ")
            number = register(Choice(title, action_id, "picker", kind, message_ts, surface))
            return [Line(f"  [{number}] {title}…", "choice")]
        return [Line(f"  [{kind}]", "dim")]


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _rich_text(node: Any) -> list[str]:
    if isinstance(node, dict):
        if node.get("type") == "text":
            return [str(node.get("text", ""))]
        if node.get("type") == "link":
            return [str(node.get("text") or node.get("url", ""))]
        if node.get("type") == "user":
            return [f"@{node.get('user_id', '')}"]
        return _rich_text(node.get("elements", []))
    if isinstance(node, list):
        return [part for item in node for part in _rich_text(item)]
    return []
