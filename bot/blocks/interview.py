"""Block Kit for the loop interview: the intro, one question at a time, answers, re-asks and the note modal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.blocks.common import (
    Block,
    actions,
    button,
    context,
    escape,
    from_plain_input,
    plain,
    section,
    to_plain_input,
    truncate,
)
from bot.errors import InputError
from bot.interview.engine import AnswerRecord
from bot.interview.script import Question, QuestionKind

ACTION_CHOICE = "interview_choice"
ACTION_BACK = "interview_back"
ACTION_SKIP = "interview_skip"
ACTION_WHY = "interview_why"
ACTION_KEEP = "interview_keep"
ACTION_KEEP_ALL = "interview_keep_all"
ACTION_NOTE = "interview_note"
ACTION_START = "interview_start"
VIEW_ANSWER = "interview_answer"
CONTROL_WORDS = {
    ACTION_BACK: "back",
    ACTION_SKIP: "skip",
    ACTION_WHY: "why",
    ACTION_KEEP: "keep",
    ACTION_KEEP_ALL: "keep all",
}
"""Buttons that send a steering word instead of a choice, and the word each sends."""

# Input block and action ids inside the answer modal.
BLOCK_PICK = "interview_pick"
ACTION_PICK = "interview_pick_value"
BLOCK_NOTE = "interview_note_text"
ACTION_NOTE_TEXT = "interview_note_value"
NOTE_MAX_CHARS = 500


def button_value(interview_id: int, question_id: str, value: str = "") -> str:
    """What a question button carries: which interview, which question, which choice."""
    return json.dumps({"i": interview_id, "q": question_id, "v": value}, separators=(",", ":"))


UNREADABLE_BUTTON = "I couldn't read that button: run `/flywheel interview` to get a fresh question."


def read_button_value(raw: object) -> tuple[int, str, str]:
    """(interview id, question id, choice value) from a button's value; InputError when it isn't one of ours."""
    return _interview_reference(raw, choice_key="v")[:3]


def _interview_reference(raw: object, *, choice_key: str) -> tuple[int, str, str]:
    """The interview id, question id and one more string field of a value we wrote as JSON."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
        if not isinstance(data, dict) or not isinstance(data.get("q"), str) or not _row_id(data.get("i")):
            raise InputError(UNREADABLE_BUTTON)
        extra = data.get(choice_key, "")
        return data["i"], data["q"], extra if isinstance(extra, str) else ""
    except ValueError as error:
        raise InputError(UNREADABLE_BUTTON) from error


def build_intro(*, started_by: str, total: int, base_version: int | None) -> tuple[str, list[Block]]:
    """The thread's first message: what is about to happen and how to answer."""
    rerun = (
        f" It starts from version {base_version} of this channel's map: tap *Keep* (or reply `keep`) "
        "for anything that hasn't changed, or `keep all` to keep every remaining answer."
        if base_version
        else ""
    )
    text = f"Loop interview started by <@{started_by}>: {total} short questions, about five minutes."
    blocks = [
        section(
            f":compass: *{text}*\nWe'll map your five stages, find where the loop breaks and what to fix first.{rerun}"
        ),
        context(
            "Answer in this thread: tap a button, or reply with the choice's number or name. "
            "Anyone in the channel can answer. Reply `back`, `skip` or `why` at any time."
        ),
    ]
    return text, blocks


def build_question(
    question: Question,
    *,
    interview_id: int,
    position: int,
    total: int,
    existing: AnswerRecord | None = None,
    has_previous: bool = False,
) -> tuple[str, list[Block]]:
    """One question with its choices as buttons, the steering buttons, and how to answer by typing."""
    stage = f" · {question.stage_name}" if question.stage_name else ""
    text = f"Question {position} of {total}{stage}: {_plain_prompt(question)}"
    blocks: list[Block] = [section(f"*Question {position} of {total}{stage}*\n{question.prompt}")]
    if question.kind is not QuestionKind.MULTI:
        blocks.append(_choices_text(question))
    else:
        blocks.append(section(_numbered(question)))
    if existing is not None:
        current = question.describe(existing.value)
        note = f" ({escape(truncate(existing.note, 200))})" if existing.note else ""
        blocks.append(context(f"Current answer: *{escape(current)}*{note}. Tap *Keep* or choose again."))
    if question.kind in (QuestionKind.SINGLE, QuestionKind.NUMBER):
        choice_buttons = [
            button(_button_label(question, index), action_id=f"{ACTION_CHOICE}_{index}",
                   value=button_value(interview_id, question.id, choice.value))
            for index, choice in enumerate(question.choices, start=1)
        ]  # fmt: skip
        blocks.append(actions(*choice_buttons, block_id="interview_choices"))
    controls = []
    if existing is not None:
        controls.append(
            button("Keep", action_id=ACTION_KEEP, value=button_value(interview_id, question.id), style="primary")
        )
    if has_previous:
        controls.append(
            button("Keep all the rest", action_id=ACTION_KEEP_ALL, value=button_value(interview_id, question.id))
        )
    pick_label = "Choose…" if question.kind is QuestionKind.MULTI else "Answer with a note…"
    pick_style = "primary" if question.kind is QuestionKind.MULTI and existing is None else None
    controls.append(
        button(pick_label, action_id=ACTION_NOTE, value=button_value(interview_id, question.id), style=pick_style)
    )
    controls.append(button("Why are you asking?", action_id=ACTION_WHY, value=button_value(interview_id, question.id)))
    if position > 1:
        controls.append(button("Back", action_id=ACTION_BACK, value=button_value(interview_id, question.id)))
    controls.append(button("Skip", action_id=ACTION_SKIP, value=button_value(interview_id, question.id)))
    blocks.append(actions(*controls, block_id="interview_controls"))
    blocks.append(context(_typing_hint(question)))
    return text, blocks


def build_answered(
    question: Question, record: AnswerRecord, *, position: int, total: int, kept: bool = False
) -> tuple[str, list[Block]]:
    """What a question message becomes once answered: the answer and who gave it, no buttons."""
    who = f"<@{record.user_id}>" if record.user_id else "someone"
    answer = "_skipped_" if record.skipped else f"*{escape(question.describe(record.value))}*"
    note = f"\n> {escape(truncate(record.note, 300))}" if record.note else ""
    verb = "kept" if kept else "answered"
    stage = f" · {question.stage_name}" if question.stage_name else ""
    text = f"Question {position} of {total}{stage}: {escape(question.describe(record.value))}"
    blocks = [
        section(f":white_check_mark: *Q{position}{stage}*: {_plain_prompt(question)}\n{answer}{note}"),
        context(f"{verb.capitalize()} by {who}"),
    ]
    return text, blocks


def build_went_back(question: Question, *, position: int, total: int) -> tuple[str, list[Block]]:
    """A question message left behind when someone went back."""
    text = f"Question {position} of {total}: went back"
    return text, [context(f":leftwards_arrow_with_hook: Went back from: {_plain_prompt(question)}")]


def build_reask(message: str) -> tuple[str, list[Block]]:
    """A reply the interview couldn't understand: what it expected, ask again."""
    text = f"Sorry, I didn't get that. {escape(message)}"
    return text, [section(f":thinking_face: {escape(message)}")]


def build_stale(answered_by: str | None) -> str:
    """Someone answered a question that had already moved on."""
    if answered_by:
        return f"That question was already answered by <@{answered_by}>, so your answer wasn't recorded."
    return "That question was already answered, so your answer wasn't recorded."


def build_why(question: Question, passages: Sequence[Any]) -> tuple[str, list[Block]]:
    """Why a question is asked, with the passage of the material it comes from when there is one."""
    text = f"Why I'm asking: {question.why}"
    blocks = [section(f":bulb: *Why I'm asking:* {question.why}")]
    for passage in passages[:1]:
        excerpt = escape(truncate(" ".join(str(getattr(passage, "text", "")).split()), 500))
        where = " › ".join(part for part in (getattr(passage, "title", ""), getattr(passage, "section", "")) if part)
        blocks.append(section(f"> {excerpt}"))
        blocks.append(context(f"From _{escape(where)}_ ({escape(str(getattr(passage, 'source', '')))})"))
    return text, blocks


def build_answer_modal(
    question: Question, *, interview_id: int, channel_id: str, existing: AnswerRecord | None = None
) -> dict[str, Any]:
    """A modal to answer the current question with a pick and an optional note."""
    options = [_option(question, choice.value) for choice in question.choices]
    element: dict[str, Any]
    if question.kind is QuestionKind.MULTI:
        element = {"type": "checkboxes", "action_id": ACTION_PICK, "options": options}
        if existing and isinstance(existing.value, list):
            element["initial_options"] = [_option(question, value) for value in existing.value]
    else:
        element = {"type": "radio_buttons", "action_id": ACTION_PICK, "options": options}
        if existing and isinstance(existing.value, str) and question.choice(existing.value):
            element["initial_option"] = _option(question, existing.value)
    note_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ACTION_NOTE_TEXT,
        "multiline": True,
        "max_length": NOTE_MAX_CHARS,
    }
    if existing and existing.note:
        note_element["initial_value"] = to_plain_input(existing.note)[:NOTE_MAX_CHARS]
    hint = question.note_hint or "Anything worth remembering about this answer."
    return {
        "type": "modal",
        "callback_id": VIEW_ANSWER,
        "private_metadata": json.dumps({"i": interview_id, "q": question.id, "c": channel_id}),
        "title": plain(question.stage_name or "Loop interview", 24),
        "submit": plain("Answer", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(question.prompt),
            {"type": "input", "block_id": BLOCK_PICK, "label": plain("Your answer", 2000), "element": element},
            {
                "type": "input",
                "block_id": BLOCK_NOTE,
                "optional": True,
                "label": plain("Note (optional)", 2000),
                "hint": plain(truncate(hint.replace("`", ""), 2000)),
                "element": note_element,
            },
        ],
    }


def read_answer_modal(view: dict[str, Any]) -> tuple[int, str, str, list[str], str]:
    """(interview id, question id, channel id, picked values, note) from a submitted answer modal.

    InputError when the modal's metadata isn't ours; fields of the wrong type read as empty.
    """
    interview_id, question_id, channel_id = _interview_reference(view.get("private_metadata"), choice_key="c")
    values = _mapping(_mapping(view.get("state")).get("values"))
    pick = _mapping(_mapping(values.get(BLOCK_PICK)).get(ACTION_PICK))
    single, several = pick.get("selected_option"), pick.get("selected_options")
    options = [single] if isinstance(single, dict) else several if isinstance(several, list) else []
    picked = [
        option["value"] for option in options if isinstance(option, dict) and isinstance(option.get("value"), str)
    ]
    note = _mapping(_mapping(values.get(BLOCK_NOTE)).get(ACTION_NOTE_TEXT)).get("value")
    return (
        interview_id,
        question_id,
        channel_id,
        picked,
        from_plain_input(note.strip()) if isinstance(note, str) else "",
    )


def _row_id(value: object) -> bool:
    """Whether `value` can be a row id (a positive int that fits the database's integer column)."""
    return type(value) is int and 0 < value < 2**31


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _option(question: Question, value: str) -> dict[str, Any]:
    return {"text": plain(truncate(question.describe(value), 75)), "value": value}


def _choices_text(question: Question) -> Block:
    if question.kind is QuestionKind.NUMBER:
        presets = " · ".join(choice.label for choice in question.choices)
        return context(f"Quick picks: {presets}")
    return section(_numbered(question))


def _numbered(question: Question) -> str:
    return "\n".join(f"`{index}` {choice.label}" for index, choice in enumerate(question.choices, start=1))


def _button_label(question: Question, index: int) -> str:
    label = question.choices[index - 1].label
    return label if question.kind is QuestionKind.NUMBER else f"{index}. {label}"


def _typing_hint(question: Question) -> str:
    if question.kind is QuestionKind.MULTI:
        how = "reply with numbers like `1,3` or the names, separated by commas"
    elif question.kind is QuestionKind.NUMBER:
        how = "reply with a duration like `15 min`, `3 days`, `2 weeks` or `9 months`"
        if question.allow_never:
            how += " (or `never`)"
    else:
        how = "reply with the number or the name"
        if question.note_hint:
            how += " (add ` - ` and a note: what you do, owner, how often, metric)"
    return f"Or type it in this thread: {how}. `back` · `skip` · `why`"


def _plain_prompt(question: Question) -> str:
    prompt = question.prompt.replace("*", "")
    if question.stage_name and prompt.startswith(f"{question.stage_name}: "):
        prompt = prompt.removeprefix(f"{question.stage_name}: ")
        prompt = prompt[:1].upper() + prompt[1:]
    return prompt
