"""Reading what people sent: button values, the submitted modals, and the words after `/flywheel checkins`."""

import json
import math
import re
from dataclasses import dataclass
from datetime import date, time
from enum import Enum
from typing import Any, TypeVar

from bot.blocks import checkins as blocks
from bot.checkins.items import NextStep, Result
from bot.checkins.schedule import CYCLE_ORDER, Prompt, Schedule, Slot, Weekday
from bot.errors import InputError
from bot.listeners.router import IncomingMessage
from bot.stages import Stage

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_RESULT_NUMBER = 1e12
"""Larger than any metric change a team reports; beyond it the figure is a typo or an attack."""

UNKNOWN_CHOICE = "That isn't one of the listed choices: pick one of them."
E = TypeVar("E", bound=Enum)

FormErrors = dict[str, str]
"""A modal's errors to show, by input block id."""


@dataclass(frozen=True)
class ItemForm:
    """The submitted item modal: a new item for `week` in `channel_id`, or an edit of `item_id`."""

    what: str
    owner: str
    stage: Stage
    expected_metric: str
    channel_id: str
    week: str
    item_id: str | None


@dataclass(frozen=True)
class ResultForm:
    """The submitted result modal for the item `item_id`."""

    item_id: str
    result: Result
    number: float | None
    learned: str
    next_step: NextStep | None


def action_value(body: dict[str, Any]) -> dict[str, str]:
    """The JSON value of the clicked button (see `blocks.checkins._value`); empty when it isn't one of ours."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return _strings_of(_mapping(first).get("value"))


def view_metadata(body: dict[str, Any]) -> dict[str, str]:
    """What the modal carried from where it was opened (channel, week, item); empty when it isn't ours."""
    return _strings_of(_mapping(body.get("view")).get("private_metadata"))


def _strings_of(raw: object) -> dict[str, str]:
    """The string fields of a JSON object we wrote; anything else (not JSON, an array, a number) reads as none."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return {}
    return {key: value for key, value in _mapping(data).items() if isinstance(value, str)}


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _state(body: dict[str, Any], block_id: str) -> dict[str, Any]:
    values = _mapping(_mapping(_mapping(body.get("view")).get("state")).get("values"))
    return _mapping(_mapping(values.get(block_id)).get(blocks.INPUT))


def _text(body: dict[str, Any], block_id: str, field: str = "value") -> str:
    """A text field of an input (a plain-text value, a picked time or user); empty when missing or not text."""
    value = _state(body, block_id).get(field)
    return value if isinstance(value, str) else ""


def _selected(body: dict[str, Any], block_id: str) -> str | None:
    value = _mapping(_state(body, block_id).get("selected_option")).get("value")
    return value if isinstance(value, str) else None


def _selected_all(body: dict[str, Any], block_id: str, field: str) -> list[str]:
    """The picked option values (`selected_options`) or users (`selected_users`), when they are text."""
    picked = _state(body, block_id).get(field)
    items = (
        [item.get("value") if isinstance(item, dict) else item for item in picked] if isinstance(picked, list) else []
    )
    return [item for item in items if isinstance(item, str)]


def _choice(kind: type[E], value: str | None) -> E | None:
    """The enum member `value` names, or None when it names none."""
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


def parse_settings(body: dict[str, Any], current: Schedule) -> tuple[Schedule | None, FormErrors]:
    """The schedule a submitted settings modal describes, or the errors to show per block."""
    zone = _text(body, blocks.BLOCK_TIMEZONE).strip()
    slots: dict[Prompt, Slot] = {}
    errors: FormErrors = {}
    for prompt in CYCLE_ORDER:
        day = _selected(body, blocks.day_block(prompt))
        clock = _text(body, blocks.time_block(prompt), "selected_time")
        if day is None:
            errors[blocks.day_block(prompt)] = "Pick a day."
            continue
        try:
            hours, minutes = clock.split(":")
            slots[prompt] = Slot(Weekday(int(day)), time(int(hours), int(minutes)))
        except ValueError:
            errors[blocks.time_block(prompt)] = "Pick a time."
    for earlier, later in zip(CYCLE_ORDER, CYCLE_ORDER[1:], strict=False):
        if earlier in slots and later in slots and slots[later] <= slots[earlier]:
            errors[blocks.time_block(later)] = (
                f"Must come after the {blocks.PROMPT_LABELS[earlier].lower()} (the week runs Monday to Sunday)."
            )
            break
    enabled = [_choice(Prompt, value) for value in _selected_all(body, blocks.BLOCK_ENABLED, "selected_options")]
    participants = _selected_all(body, blocks.BLOCK_PARTICIPANTS, "selected_users")
    if None in enabled:
        errors[blocks.BLOCK_ENABLED] = UNKNOWN_CHOICE
    if errors:
        return None, errors
    try:
        schedule = Schedule(
            timezone=zone,
            ship=slots[Prompt.SHIP],
            measure=slots[Prompt.MEASURE],
            reminder=slots[Prompt.REMINDER],
            digest=slots[Prompt.DIGEST],
            enabled=frozenset(prompt for prompt in enabled if prompt is not None),
            participants=tuple(participants),
            skips=current.skips,
        )
    except InputError as error:
        return None, {blocks.BLOCK_TIMEZONE: error.message[:150]}
    return schedule, {}


def parse_item(body: dict[str, Any], *, default_owner: str) -> tuple[ItemForm | None, FormErrors]:
    """The item a submitted item modal describes, or the errors to show per block."""
    what = _text(body, blocks.BLOCK_WHAT).strip()
    picked_stage = _selected(body, blocks.BLOCK_STAGE)
    stage = _choice(Stage, picked_stage)
    errors: FormErrors = {}
    if not what:
        errors[blocks.BLOCK_WHAT] = "Say what ships."
    if stage is None:
        errors[blocks.BLOCK_STAGE] = "Pick the loop stage it strengthens." if picked_stage is None else UNKNOWN_CHOICE
    if errors or stage is None:
        return None, errors
    metadata = view_metadata(body)
    return ItemForm(
        what=what,
        owner=_text(body, blocks.BLOCK_OWNER, "selected_user") or default_owner,
        stage=stage,
        expected_metric=_text(body, blocks.BLOCK_METRIC),
        channel_id=metadata.get("channel", ""),
        week=metadata.get("week", ""),
        item_id=metadata.get("item") or None,
    ), {}


def parse_result(body: dict[str, Any]) -> tuple[ResultForm | None, FormErrors]:
    """The result a submitted result modal reports, or the error to show."""
    picked_result, picked_next = _selected(body, blocks.BLOCK_RESULT), _selected(body, blocks.BLOCK_NEXT)
    result, next_step = _choice(Result, picked_result), _choice(NextStep, picked_next)
    try:
        number = parse_number(_text(body, blocks.BLOCK_NUMBER) or None)
    except InputError as error:
        return None, {blocks.BLOCK_NUMBER: error.message}
    if result is None:
        return None, {blocks.BLOCK_RESULT: "Pick what the metric did." if picked_result is None else UNKNOWN_CHOICE}
    if next_step is None and picked_next:
        return None, {blocks.BLOCK_NEXT: UNKNOWN_CHOICE}
    return ResultForm(
        item_id=view_metadata(body).get("item", ""),
        result=result,
        number=number,
        learned=_text(body, blocks.BLOCK_LEARNED),
        next_step=next_step,
    ), {}


def parse_number(text: str | None) -> float | None:
    """The modal's number field (empty: no number); `nan`, `inf` and numbers too large to mean anything are refused."""
    if text is None or not text.strip():
        return None
    try:
        number = float(text.strip().replace(",", "."))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or abs(number) > MAX_RESULT_NUMBER:
        raise InputError(f"'{text[:20]}' is not a number I can use: write it like 3.5 or -2.")
    return number


def last_day_away(text: str) -> date | None:
    """The last day away someone wrote as YYYY-MM-DD, or None when they wrote none."""
    text = text.strip()
    if not text:
        return None
    if not _DATE.match(text):
        raise InputError(f"'{text[:20]}' is not a date: write the last day you are away as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InputError(f"{text} is not a real date: write it as YYYY-MM-DD.") from error


def text_with_mentions(message: IncomingMessage) -> str:
    """The reply's text with its mentions of people (the router strips them), minus the coach's own."""
    event = message.body.get("event") or {}
    text = (event.get("message") or {}).get("text") if message.is_edit else event.get("text")
    coach = next((a.get("user_id") for a in message.body.get("authorizations") or [] if a.get("user_id")), None)
    if not text:
        return message.text
    return str(text).replace(f"<@{coach}>", " ").strip() if coach else str(text)
