"""Reading what people sent: button values, the submitted modals, and the words after `/flywheel checkins`."""

import json
import math
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from bot.blocks import checkins as blocks
from bot.checkins.items import NextStep, Result
from bot.checkins.schedule import CYCLE_ORDER, Prompt, Schedule, Slot, Weekday
from bot.errors import InputError
from bot.listeners.router import IncomingMessage
from bot.stages import Stage

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_RESULT_NUMBER = 1e12
"""Larger than any metric change a team reports; beyond it the figure is a typo or an attack."""

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
    """The JSON value of the clicked button (see `blocks.checkins._value`)."""
    try:
        value: dict[str, str] = json.loads(body["actions"][0].get("value") or "{}")
    except (KeyError, IndexError, ValueError):
        return {}
    return value


def _state(body: dict[str, Any], block_id: str) -> dict[str, Any]:
    return ((body.get("view") or {}).get("state") or {}).get("values", {}).get(block_id, {}).get(blocks.INPUT) or {}


def _selected(body: dict[str, Any], block_id: str) -> str | None:
    option = _state(body, block_id).get("selected_option")
    return option.get("value") if option else None


def view_metadata(body: dict[str, Any]) -> dict[str, str]:
    """What the modal carried from where it was opened (channel, week, item)."""
    try:
        metadata: dict[str, str] = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata


def parse_settings(body: dict[str, Any], current: Schedule) -> tuple[Schedule | None, FormErrors]:
    """The schedule a submitted settings modal describes, or the errors to show per block."""
    zone = (_state(body, blocks.BLOCK_TIMEZONE).get("value") or "").strip()
    slots: dict[Prompt, Slot] = {}
    errors: FormErrors = {}
    for prompt in CYCLE_ORDER:
        day = _selected(body, blocks.day_block(prompt))
        clock = _state(body, blocks.time_block(prompt)).get("selected_time") or ""
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
    enabled = [option["value"] for option in _state(body, blocks.BLOCK_ENABLED).get("selected_options") or []]
    participants = _state(body, blocks.BLOCK_PARTICIPANTS).get("selected_users") or []
    if errors:
        return None, errors
    try:
        schedule = Schedule(
            timezone=zone,
            ship=slots[Prompt.SHIP],
            measure=slots[Prompt.MEASURE],
            reminder=slots[Prompt.REMINDER],
            digest=slots[Prompt.DIGEST],
            enabled=frozenset(Prompt(value) for value in enabled),
            participants=tuple(participants),
            skips=current.skips,
        )
    except InputError as error:
        return None, {blocks.BLOCK_TIMEZONE: error.message[:150]}
    return schedule, {}


def parse_item(body: dict[str, Any], *, default_owner: str) -> tuple[ItemForm | None, FormErrors]:
    """The item a submitted item modal describes, or the errors to show per block."""
    what = (_state(body, blocks.BLOCK_WHAT).get("value") or "").strip()
    stage = _selected(body, blocks.BLOCK_STAGE)
    errors: FormErrors = {}
    if not what:
        errors[blocks.BLOCK_WHAT] = "Say what ships."
    if stage is None:
        errors[blocks.BLOCK_STAGE] = "Pick the loop stage it strengthens."
    if errors or stage is None:
        return None, errors
    metadata = view_metadata(body)
    return ItemForm(
        what=what,
        owner=_state(body, blocks.BLOCK_OWNER).get("selected_user") or default_owner,
        stage=Stage(stage),
        expected_metric=_state(body, blocks.BLOCK_METRIC).get("value") or "",
        channel_id=metadata.get("channel", ""),
        week=metadata.get("week", ""),
        item_id=metadata.get("item") or None,
    ), {}


def parse_result(body: dict[str, Any]) -> tuple[ResultForm | None, FormErrors]:
    """The result a submitted result modal reports, or the error to show."""
    result = _selected(body, blocks.BLOCK_RESULT)
    try:
        number = parse_number(_state(body, blocks.BLOCK_NUMBER).get("value"))
    except InputError as error:
        return None, {blocks.BLOCK_NUMBER: error.message}
    if result is None:
        return None, {blocks.BLOCK_RESULT: "Pick what the metric did."}
    next_step = _selected(body, blocks.BLOCK_NEXT)
    return ResultForm(
        item_id=view_metadata(body).get("item", ""),
        result=Result(result),
        number=number,
        learned=_state(body, blocks.BLOCK_LEARNED).get("value") or "",
        next_step=NextStep(next_step) if next_step else None,
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
