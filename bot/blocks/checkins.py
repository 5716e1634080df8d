"""Block Kit for the weekly check-ins: the ship, measure, reminder and digest messages, modals and status."""

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, assert_never

from bot.blocks.common import (
    SECTION_TEXT_LIMIT,
    Block,
    actions,
    button,
    context,
    divider,
    escape,
    escape_keeping_links,
    fields,
    header,
    plain,
    section,
    truncate,
)
from bot.checkins.compose import CheckinMessage, DigestMessage, MeasureMessage, ReminderMessage, ShipMessage
from bot.checkins.digest import Digest, Finding, FindingCode
from bot.checkins.items import NextStep, Result, ShipItem
from bot.checkins.schedule import CYCLE_ORDER, Occurrence, Prompt, Schedule, Weekday
from bot.checkins.weeks import week_label, week_span
from bot.stages import Stage

ACTION_ADD_ITEM = "checkin_add_item"
ACTION_EDIT_ITEM = "checkin_edit_item"
ACTION_REPORT_RESULT = "checkin_report_result"
ACTION_SKIP_WEEK = "checkin_skip_week"
ACTION_AWAY_WEEK = "checkin_away_week"
ACTION_OPEN_SETTINGS = "checkin_open_settings"
VIEW_ITEM = "checkin_item"
VIEW_RESULT = "checkin_result"
VIEW_SETTINGS = "checkin_settings"

RESULT_LABELS = {
    Result.MOVED: "Moved",
    Result.NO_CHANGE: "No change",
    Result.WORSE: "Worse",
    Result.NOT_YET: "Not measured yet",
}
RESULT_EMOJI = {Result.MOVED: "📈", Result.NO_CHANGE: "➖", Result.WORSE: "📉", Result.NOT_YET: "⏳"}
NEXT_STEP_LABELS = {NextStep.ITERATE: "Iterate", NextStep.SCALE: "Scale", NextStep.STOP: "Stop"}
PROMPT_LABELS = {
    Prompt.SHIP: "Ship prompt",
    Prompt.MEASURE: "Measure prompt",
    Prompt.REMINDER: "Reminder",
    Prompt.DIGEST: "Digest",
}
DAY_NAMES = {day: day.name.title() for day in Weekday}
MAX_LISTED_ITEMS = 40

# Input block ids of the modals (the listeners read the submitted state by these).
BLOCK_WHAT, BLOCK_OWNER, BLOCK_STAGE, BLOCK_METRIC = "what", "owner", "stage", "metric"
BLOCK_RESULT, BLOCK_NUMBER, BLOCK_LEARNED, BLOCK_NEXT = "result", "number", "learned", "next_step"
BLOCK_TIMEZONE, BLOCK_ENABLED, BLOCK_PARTICIPANTS = "timezone", "enabled", "participants"
INPUT = "value"


def day_block(prompt: Prompt) -> str:
    """The settings modal's block id for a prompt's weekday."""
    return f"{prompt.value}_day"


def time_block(prompt: Prompt) -> str:
    """The settings modal's block id for a prompt's time."""
    return f"{prompt.value}_time"


def week_title(week: str, *, capital: bool = False) -> str:
    """A week for a header: "week 10, Mar 2 – Mar 8" (or "Week 10, …")."""
    return f"{'W' if capital else 'w'}eek {int(week[-2:])}, {week_span(week)}"


def _mentions(user_ids: Sequence[str]) -> str:
    return ", ".join(f"<@{user_id}>" for user_id in user_ids)


def late_note(due: datetime, late_by: timedelta | None) -> list[Block]:
    """A context line saying a message comes late (empty when on time); `due` is in the channel's zone."""
    if late_by is None:
        return []
    return [
        context(
            f"⏰ Sent late: this was due {due:%A} at {due:%H:%M} {due.tzname()}, {_duration(late_by)} ago, "
            "while the coach was offline."
        )
    ]


def _duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{int(delta.total_seconds() // 60)} minutes"


def item_line(item: ShipItem, number: int | None = None) -> str:
    """One item as a mrkdwn line: what, owner, stage, expected metric (user text escaped)."""
    prefix = f"{number}. " if number is not None else ""
    metric = f" · expected to move: {escape_keeping_links(item.expected_metric)}" if item.expected_metric else ""
    return f"*{prefix}{escape_keeping_links(item.what)}* · <@{item.owner}> · {item.stage.label}{metric}"


def result_line(item: ShipItem) -> str:
    """The item's result as a mrkdwn line, or that it has none yet."""
    if item.result is None:
        return "_No result reported yet._"
    parts = [f"{RESULT_EMOJI[item.result]} {RESULT_LABELS[item.result]}"]
    if item.number is not None:
        parts.append(f"{item.number:+g}")
    if item.next_step is not None:
        parts.append(f"next: {NEXT_STEP_LABELS[item.next_step]}")
    line = " · ".join(parts)
    if item.learned:
        line += f"\n> {escape(truncate(item.learned, 500))}"
    return line


def _value(**data: str) -> str:
    return json.dumps(data, separators=(",", ":"))


def build_ship_prompt(
    occurrence: Occurrence, schedule: Schedule, *, asked: Sequence[str], late_by: timedelta | None = None
) -> list[Block]:
    """Tuesday: ask what the team ships this week."""
    week = occurrence.week
    blocks = [
        header(f"🚢 What ships this week? {week_title(week, capital=True)}"),
        section(
            "List each change the team ships this week: what it is, who owns it, which loop stage it "
            "strengthens, and the metric you expect it to move. When the measure prompt comes, I'll ask "
            "what each one actually did."
        ),
        actions(
            button("Add a shipped item", action_id=ACTION_ADD_ITEM, value=_value(week=week), style="primary"),
            button("Skip this week", action_id=ACTION_SKIP_WEEK, value=_value(week=week)),
            button("I'm away this week", action_id=ACTION_AWAY_WEEK, value=_value(week=week)),
        ),
        context("Or reply in this thread, one change per reply: `what | stage | metric`."),
    ]
    if asked:
        blocks.append(context(f"Asked: {_mentions(asked)}"))
    return blocks + late_note(occurrence.scheduled_at.astimezone(schedule.zone), late_by)


def ship_prompt_text(week: str) -> str:
    """The ship prompt's notification text."""
    return f"What ships this week? {week_title(week, capital=True)}"


def build_item_added(item: ShipItem, *, edited: bool = False) -> list[Block]:
    """The thread reply that lists an item as it comes in (and again when edited)."""
    note = "Updated" if edited else "Added"
    return [
        section(
            f"{'✏️' if edited else '➕'} {item_line(item)}",
            accessory=button("Edit", action_id=ACTION_EDIT_ITEM, value=_value(item=item.id)),
        ),
        context(f"{note} to {week_label(item.week)}. Edit your reply or use the button to change it."),
    ]


def item_added_text(item: ShipItem) -> str:
    """The item reply's notification text (no user text that could ping)."""
    return f"Shipped item for {week_label(item.week)}: {item.stage.label}"


def item_saved_text(item: ShipItem) -> str:
    """The private note that an item is saved while its week has no prompt thread to list it in."""
    return f"Saved for {week_label(item.week)}."


def build_measure_prompt(
    occurrence: Occurrence,
    schedule: Schedule,
    items: Sequence[ShipItem],
    *,
    asked: Sequence[str] = (),
    late_by: timedelta | None = None,
) -> list[Block]:
    """Thursday: list the week's items, each with a way to report its measured result."""
    week = occurrence.week
    blocks = [header(f"📏 Did it work? {week_title(week, capital=True)}")]
    if items:
        blocks.append(
            section(
                "Here is what the team shipped this week. For each change, tell me what the metric did, "
                "the number, what you learned, and whether you iterate, scale or stop."
            )
        )
        for number, item in enumerate(items[:MAX_LISTED_ITEMS], start=1):
            blocks.append(
                section(
                    f"{item_line(item, number)}\n{result_line(item)}",
                    accessory=button(
                        "Report result" if item.result is None else "Edit result",
                        action_id=ACTION_REPORT_RESULT,
                        value=_value(item=item.id),
                    ),
                )
            )
        if len(items) > MAX_LISTED_ITEMS:
            blocks.append(context(f"…and {len(items) - MAX_LISTED_ITEMS} more: see `/flywheel checkins status`."))
    else:
        blocks.append(
            section(
                "Nothing was logged as shipped this week. If something did ship, add it now so its result "
                "counts; if nothing shipped, that will show in the digest."
            )
        )
    blocks.append(actions(button("Add an item we forgot", action_id=ACTION_ADD_ITEM, value=_value(week=week))))
    blocks.append(context("Or reply in this thread: `#1 moved +4 learned: … next: scale`."))
    if asked:
        blocks.append(context(f"Asked: {_mentions(asked)}"))
    return blocks + late_note(occurrence.scheduled_at.astimezone(schedule.zone), late_by)


def measure_prompt_text(week: str, count: int) -> str:
    """The measure prompt's notification text."""
    return f"Did it work? {count} shipped item{'s' if count != 1 else ''} to measure, {week_title(week)}"


def build_reminder(week: str, owners: Sequence[str], items: Sequence[tuple[int, ShipItem]]) -> list[Block]:
    """Thursday afternoon: nudge the owners of items that still have no measured result."""
    count = len(items)
    blocks = [
        section(
            f"{_mentions(owners)}: {count} change{'s' if count != 1 else ''} from {week_label(week)} "
            f'still {"have" if count != 1 else "has"} no measured result. Even "no change" is worth '
            "reporting: it tells the team what not to scale."
        ),
        *packed_sections([f"• {item_line(item, number)}" for number, item in items[:MAX_LISTED_ITEMS]]),
    ]
    if count > MAX_LISTED_ITEMS:
        blocks.append(context(f"…and {count - MAX_LISTED_ITEMS} more: see the measure message above."))
    blocks.append(context("Use the buttons in the message above, or reply here: `#1 no change learned: …`."))
    return blocks


def packed_sections(lines: Sequence[str]) -> list[Block]:
    """Lines in as few sections as fit Slack's limit per section, so no line is cut off or lost."""
    sections: list[str] = []
    for line in lines:
        line = truncate(line, SECTION_TEXT_LIMIT)
        if sections and len(sections[-1]) + 1 + len(line) <= SECTION_TEXT_LIMIT:
            sections[-1] += "\n" + line
        else:
            sections.append(line)
    return [section(text) for text in sections]


def reminder_text(count: int) -> str:
    """The reminder's notification text."""
    return f"{count} shipped item{'s' if count != 1 else ''} still without a measured result"


FINDING_TEXT = {
    FindingCode.EMPTY_WEEK: (
        "*Nothing shipped this week.* That is a finding too: a loop that ships nothing learns nothing. "
        "What is the smallest change the team could ship next week?"
    ),
    FindingCode.NOTHING_MEASURED: (
        "*None of this week's {count:g} changes has a measured result yet.* Without results the Feedback "
        "stage stays empty and nobody can tell which change worked."
    ),
    FindingCode.NO_NEXT_STEP: (
        "*{count:g} measured result{plural} without a next step.* A result that leads to no decision is "
        "the classic break between analysis and application: choose iterate, scale or stop for each."
    ),
    FindingCode.COLLECTION_WITHOUT_FEEDBACK: (
        "*Most of the last four weeks went into Collection and none into Feedback.* Collection is rarely "
        "where a loop breaks; connecting results back into the product usually is."
    ),
    FindingCode.SLOW_MEASUREMENT: (
        "*Results take {count:.1f} days to arrive (median).* That is longer than the weekly cycle, so each "
        "change steers the next one late. Is there a faster signal you could measure first?"
    ),
}


def finding_text(finding: Finding) -> str:
    """A finding in words."""
    return FINDING_TEXT[finding.code].format(count=finding.count, plural="s" if finding.count != 1 else "")


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _days(days: float | None) -> str:
    return "–" if days is None else f"{days:.1f} days"


def _effort(counts: dict[Stage, int]) -> str:
    parts = [f"{stage.label} {count}" for stage, count in counts.items() if count]
    return " · ".join(parts) if parts else "nothing yet"


def _streak_text(digest: Digest) -> str:
    weeks = f"{digest.streak} week{'s' if digest.streak != 1 else ''}"
    if digest.week_complete:
        return f"{weeks} in a row"
    if digest.streak:
        return f"{weeks} up to last week; a measured result this week keeps it going"
    return "none yet: ship and measure one change to start"


def build_digest(digest: Digest, *, late_by: timedelta | None = None, due: datetime | None = None) -> list[Block]:
    """Friday: the week's figures, the trend and what to look at."""
    shipped, measured = len(digest.shipped), len(digest.measured)
    blocks = [
        header(f"🔁 Iterate: {week_title(digest.week)}"),
        fields(
            f"*Shipped*\n{shipped}",
            f"*Measured*\n{measured} of {shipped} ({_percent(digest.share_measured)})",
            f"*Ship to result (median)*\n{_days(digest.median_days_to_measure)}",
            f"*Full ship-and-measure cycles*\n{_streak_text(digest)}",
            f"*Effort this week*\n{_effort(digest.effort_this_week)}",
            f"*Effort, last 4 weeks*\n{_effort(digest.effort_recent)}",
        ),
    ]
    if digest.findings:
        blocks.append(divider())
        blocks.extend(section(finding_text(finding)) for finding in digest.findings)
    if digest.measured:
        lines = "\n".join(f"• {item_line(item)}\n   {result_line(item)}" for item in digest.measured[:MAX_LISTED_ITEMS])
        blocks += [divider(), section(f"*Measured this week*\n{lines}")]
    if digest.measured_without_next_step:
        lines = "\n".join(f"• {item_line(item)}" for item in digest.measured_without_next_step[:10])
        blocks.append(section(f"*Waiting for a next step*\n{lines}"))
    trend_weeks = sum(1 for point in digest.trend if point.shipped)
    blocks.append(
        context(
            f"The chart in the thread shows the last {len(digest.trend)} weeks "
            f"({trend_weeks} with something shipped). Late results still count for their week."
        )
    )
    if due is not None:
        blocks += late_note(due, late_by)
    return blocks


def digest_text(digest: Digest) -> str:
    """The digest's notification text."""
    if digest.is_empty:
        return f"Digest for {week_label(digest.week)}: nothing shipped"
    return f"Digest for {week_label(digest.week)}: {len(digest.shipped)} shipped, {len(digest.measured)} measured"


def build_checkin_message(message: CheckinMessage) -> list[Block]:
    """The blocks of a scheduled check-in message (to post it, or to bring it up to date)."""
    match message:
        case ShipMessage():
            return build_ship_prompt(message.occurrence, message.schedule, asked=message.asked, late_by=message.late_by)
        case MeasureMessage():
            return build_measure_prompt(
                message.occurrence, message.schedule, message.items, asked=message.asked, late_by=message.late_by
            )
        case ReminderMessage():
            return build_reminder(message.week, message.owners, message.items)
        case DigestMessage():
            return build_digest(message.digest, late_by=message.late_by, due=message.due)
        case _:
            assert_never(message)


def checkin_message_text(message: CheckinMessage) -> str:
    """The notification text of a scheduled check-in message."""
    match message:
        case ShipMessage():
            return ship_prompt_text(message.occurrence.week)
        case MeasureMessage():
            return measure_prompt_text(message.occurrence.week, len(message.items))
        case ReminderMessage():
            return reminder_text(len(message.items))
        case DigestMessage():
            return digest_text(message.digest)
        case _:
            assert_never(message)


def paused_text(channel_id: str, reason: str) -> str:
    """The note to whoever set a channel's check-ins up that Slack refused the channel, so they are paused."""
    return (
        f"I paused the weekly check-ins in <#{channel_id}>: {reason}. "
        "Once I'm a member there again, restart them in that channel with `/flywheel checkins on`."
    )


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {**element, "action_id": INPUT},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _select(options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "options": options}
    chosen = next((option for option in options if option["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _modal(callback_id: str, title: str, blocks: list[Block], metadata: dict[str, str], submit: str) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def build_item_modal(*, channel_id: str, week: str, owner: str, item: ShipItem | None = None) -> Block:
    """The modal to add (or edit) a shipped item."""
    text_input: dict[str, Any] = {"type": "plain_text_input", "max_length": 300}
    metric_input: dict[str, Any] = {"type": "plain_text_input", "max_length": 200}
    if item is not None:
        text_input["initial_value"] = item.what
        if item.expected_metric:
            metric_input["initial_value"] = item.expected_metric
    stages = [_option(stage.label, stage.value) for stage in Stage]
    metadata = {"channel": channel_id, "week": week}
    if item is not None:
        metadata["item"] = item.id
    return _modal(
        VIEW_ITEM,
        "Edit shipped item" if item else "Add shipped item",
        [
            section(f"For {week_label(week)}."),
            _input(BLOCK_WHAT, "What ships?", text_input),
            _input(BLOCK_OWNER, "Owner", {"type": "users_select", "initial_user": item.owner if item else owner}),
            _input(
                BLOCK_STAGE,
                "Which loop stage does it strengthen?",
                _select(stages, item.stage.value if item else None),
            ),
            _input(
                BLOCK_METRIC,
                "Metric you expect to move",
                metric_input,
                optional=True,
                hint="The number you will check on Thursday, e.g. activation rate or answers rated helpful.",
            ),
        ],
        metadata,
        "Save",
    )


def build_result_modal(item: ShipItem) -> Block:
    """The modal to report (or edit) an item's measured result."""
    results = [_option(f"{RESULT_EMOJI[r]} {label}", r.value) for r, label in RESULT_LABELS.items()]
    steps = [_option(label, step.value) for step, label in NEXT_STEP_LABELS.items()]
    result_element: dict[str, Any] = {"type": "radio_buttons", "options": results}
    if item.result is not None:
        result_element["initial_option"] = next(o for o in results if o["value"] == item.result.value)
    number_element: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": True}
    if item.number is not None:
        number_element["initial_value"] = f"{item.number:g}"
    learned_element: dict[str, Any] = {"type": "plain_text_input", "multiline": True, "max_length": 1000}
    if item.learned:
        learned_element["initial_value"] = item.learned
    step_element: dict[str, Any] = {"type": "radio_buttons", "options": steps}
    if item.next_step is not None:
        step_element["initial_option"] = next(o for o in steps if o["value"] == item.next_step.value)
    metric = f" ({escape_keeping_links(item.expected_metric)})" if item.expected_metric else ""
    return _modal(
        VIEW_RESULT,
        "Report result",
        [
            section(f"{item_line(item)}\nWhat did the metric{metric} do?"),
            _input(BLOCK_RESULT, "Result", result_element),
            _input(BLOCK_NUMBER, "The number (change in the metric)", number_element, optional=True),
            _input(BLOCK_LEARNED, "What did you learn?", learned_element, optional=True),
            _input(BLOCK_NEXT, "Next step", step_element, optional=True),
        ],
        {"item": item.id},
        "Save",
    )


def build_settings_modal(*, channel_id: str, schedule: Schedule) -> Block:
    """The schedule settings: days, times, time zone, which prompts, who is asked."""
    days = [_option(name, str(int(day))) for day, name in DAY_NAMES.items()]
    blocks: list[Block] = [
        _input(
            BLOCK_TIMEZONE,
            "Time zone",
            {"type": "plain_text_input", "initial_value": schedule.timezone, "max_length": 64},
            hint="An IANA name such as Europe/Berlin or America/New_York.",
        )
    ]
    for prompt in CYCLE_ORDER:
        slot = schedule.slot(prompt)
        blocks.append(_input(day_block(prompt), f"{PROMPT_LABELS[prompt]}: day", _select(days, str(int(slot.weekday)))))
        blocks.append(
            _input(
                time_block(prompt),
                f"{PROMPT_LABELS[prompt]}: time",
                {"type": "timepicker", "initial_time": f"{slot.at:%H:%M}"},
            )
        )
    prompt_options = [_option(PROMPT_LABELS[prompt], prompt.value) for prompt in CYCLE_ORDER]
    enabled: dict[str, Any] = {"type": "checkboxes", "options": prompt_options}
    chosen = [option for option in prompt_options if Prompt(option["value"]) in schedule.enabled]
    if chosen:
        enabled["initial_options"] = chosen
    participants: dict[str, Any] = {"type": "multi_users_select"}
    if schedule.participants:
        participants["initial_users"] = list(schedule.participants)
    blocks.append(_input(BLOCK_ENABLED, "Which messages go out", enabled, optional=True))
    blocks.append(
        _input(
            BLOCK_PARTICIPANTS,
            "Who is asked",
            participants,
            optional=True,
            hint="Mentioned in the ship and measure prompts. Leave empty to ask the channel as a whole.",
        )
    )
    return _modal(VIEW_SETTINGS, "Check-in settings", blocks, {"channel": channel_id}, "Save")


def schedule_summary(schedule: Schedule) -> str:
    """The schedule in one mrkdwn line: each enabled prompt's day and time, and the time zone."""
    parts = [
        f"{PROMPT_LABELS[prompt]} {DAY_NAMES[schedule.slot(prompt).weekday][:3]} {schedule.slot(prompt).at:%H:%M}"
        for prompt in CYCLE_ORDER
        if prompt in schedule.enabled
    ]
    return f"{' · '.join(parts) or 'no messages enabled'} ({escape(schedule.timezone)})"


def build_status(
    *,
    channel_id: str,
    state: str,
    schedule: Schedule | None,
    next_due: Occurrence | None,
    digest: Digest | None,
    paused_reason: str = "",
    away: Sequence[tuple[str | None, str]] = (),
) -> list[Block]:
    """The ephemeral `/flywheel checkins status` answer."""
    if schedule is None:
        return [
            section(
                f"Check-ins are *off* in <#{channel_id}>. Turn them on with `/flywheel checkins on`: "
                "ship Tuesday, measure Thursday, iterate Friday, in your time zone."
            )
        ]
    lines = [f"Check-ins are *{state}* in <#{channel_id}>.", schedule_summary(schedule)]
    if state == "paused" and paused_reason:
        lines.append(f"Paused because {escape(paused_reason)}. Fix that, then `/flywheel checkins on`.")
    if next_due is not None and state == "on":
        when = next_due.scheduled_at.astimezone(schedule.zone)
        lines.append(f"Next: {PROMPT_LABELS[next_due.prompt].lower()} on {when:%a %b} {when.day}, {when:%H:%M}.")
    lines.append(f"Asked: {_mentions(schedule.participants) if schedule.participants else 'the whole channel'}.")
    for user_id, until in away:
        who = f"<@{user_id}>" if user_id else "The channel"
        lines.append(f"{who} skips check-ins until {escape(until)}.")
    blocks = [section("\n".join(lines))]
    if digest is not None:
        blocks.append(
            context(
                f"This week so far: {len(digest.shipped)} shipped, {len(digest.measured)} measured; "
                f"streak {digest.streak}."
            )
        )
    blocks.append(actions(button("Settings", action_id=ACTION_OPEN_SETTINGS, value=_value(channel=channel_id))))
    return blocks


CHECKINS_USAGE = (
    "`/flywheel checkins on` (start, in your time zone) · `off` · `status` · `settings` · "
    "`skip [YYYY-Www]` (the channel skips a week) · `away [YYYY-MM-DD]` (you are away until then) · "
    "`back` (you are back)"
)


WELCOME_BACK = "Welcome back: you're in the check-ins again."


def status_text(state: str) -> str:
    """The notification text of the `/flywheel checkins status` answer."""
    return f"Check-ins are {state} here."


def turned_off_text(stopped: bool) -> str:
    """The private answer to `/flywheel checkins off` (`stopped`: they were running)."""
    if stopped:
        return "Check-ins are off in this channel. Items and results stay; `/flywheel checkins on` resumes them."
    return "Check-ins were not running in this channel."


def settings_saved_text(schedule: Schedule) -> str:
    """The private confirmation of new settings."""
    return f"Saved. Check-ins here: {schedule_summary(schedule)}."


def build_turned_on(user_id: str, schedule: Schedule) -> list[Block]:
    """The channel notice that check-ins started."""
    return [
        section(f"<@{user_id}> turned on weekly check-ins here: ship, measure, iterate. {schedule_summary(schedule)}."),
        context("Change days, times or who is asked with `/flywheel checkins settings`; stop with `off`."),
    ]


def turned_on_text(user_id: str) -> str:
    """The notification text of the notice that check-ins started."""
    return f"<@{user_id}> turned on weekly check-ins in this channel"


def build_result_reported(item: ShipItem, user_id: str) -> list[Block]:
    """The thread reply confirming a result."""
    return [section(f"<@{user_id}> reported {item_line(item)}\n{result_line(item)}")]


def result_reported_text(item: ShipItem) -> str:
    """The notification text of a result confirmation (no user text)."""
    label = RESULT_LABELS[item.result] if item.result else "no result"
    return f"Result reported for {week_label(item.week)}: {label}"


def skipped_week_text(user_id: str, week: str) -> str:
    """The channel notice that a week is skipped."""
    return f"<@{user_id}> skipped check-ins for {week_label(week)}: no more prompts or reminders that week."


def away_text(first_day: str, last_day: str) -> str:
    """The private note that someone is away."""
    return (
        f"You're away from {first_day} to {last_day}: I won't ask or remind you then, and it doesn't count "
        "against the team. `/flywheel checkins back` ends it early."
    )


def build_home_section(
    statuses: Sequence[tuple[str, str, Occurrence | None, Digest | None, Schedule | None]],
) -> list[Block]:
    """The Home tab's check-ins part: each channel's state, next prompt and this week so far."""
    blocks: list[Block] = [header("Your weekly check-ins")]
    if not statuses:
        blocks.append(
            section(
                "No check-ins you run or are asked in yet. In a team channel, `/flywheel checkins on` starts "
                "the weekly rhythm: ship, measure, iterate."
            )
        )
        return blocks
    for channel_id, state, next_due, digest, schedule in statuses:
        line = f"<#{channel_id}> · *{state}*"
        if next_due is not None and schedule is not None:
            when = next_due.scheduled_at.astimezone(schedule.zone)
            line += f" · next: {PROMPT_LABELS[next_due.prompt].lower()} {when:%a %b} {when.day}, {when:%H:%M}"
        if digest is not None:
            line += (
                f"\nThis week: {len(digest.shipped)} shipped, {len(digest.measured)} measured · streak {digest.streak}"
            )
        blocks.append(section(line))
    blocks.append(context("`/flywheel checkins status` in a channel shows its schedule and who is away."))
    return blocks
