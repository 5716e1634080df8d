"""Understanding typed replies: a choice by number or label, several choices, a duration, free text.

Parsing is tolerant (case, punctuation, small typos, a note after the choice) but never guesses
between two choices: an ambiguous or unknown reply raises `UnclearReply` saying what was expected.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from bot.errors import InputError
from bot.interview.script import NEVER, AnswerValue, Choice, Question, QuestionKind

MAX_NOTE_CHARS = 500
MAX_TEXT_CHARS = 2000
MAX_DAYS = 3650.0
FUZZY_CUTOFF = 0.8


class UnclearReply(InputError):
    """A reply that doesn't fit the question; `message` says what was expected."""


class Command(StrEnum):
    """Words that steer the interview instead of answering it."""

    SKIP = "skip"
    BACK = "back"
    WHY = "why"
    KEEP = "keep"
    KEEP_ALL = "keep all"


_COMMAND_WORDS: Mapping[str, Command] = MappingProxyType(
    {
        "skip": Command.SKIP,
        "pass": Command.SKIP,
        "skip it": Command.SKIP,
        "skip this": Command.SKIP,
        "back": Command.BACK,
        "go back": Command.BACK,
        "previous": Command.BACK,
        "undo": Command.BACK,
        "why": Command.WHY,
        "why are you asking": Command.WHY,
        "why are you asking this": Command.WHY,
        "why do you ask": Command.WHY,
        "keep": Command.KEEP,
        "keep it": Command.KEEP,
        "same": Command.KEEP,
        "same as before": Command.KEEP,
        "unchanged": Command.KEEP,
        "no change": Command.KEEP,
        "keep all": Command.KEEP_ALL,
        "keep the rest": Command.KEEP_ALL,
        "keep rest": Command.KEEP_ALL,
        "keep everything": Command.KEEP_ALL,
    }
)

_DONT_KNOW = frozenset({"i don't know", "don't know", "dont know", "idk", "no idea", "not sure", "dunno"})

_UNIT_DAYS: Mapping[str, float] = MappingProxyType(
    {
        **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1 / 1440),
        **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 1 / 24),
        **dict.fromkeys(("d", "day", "days"), 1.0),
        **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7.0),
        **dict.fromkeys(("mo", "mos", "month", "months"), 30.4),
        **dict.fromkeys(("q", "quarter", "quarters"), 91.0),
        **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365.0),
    }
)
_NUMBER_WORDS: Mapping[str, float] = MappingProxyType({
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "half a": 0.5, "half an": 0.5,
})  # fmt: skip
_AMOUNT = r"(\d+(?:[.,]\d+)?|half an?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_DURATION = re.compile(
    r"^(?:about|around|roughly|approximately|approx|under|less than|within|maybe|~|<)?\s*"
    + _AMOUNT
    + r"(?:\s*(?:-|–|to)\s*"
    + _AMOUNT
    + r")?\s*([a-z]+)?(?:\s+or\s+(?:so|more|less|longer))?$"
)
# "1.5", "1,3" or "2 & 4": a decimal or several numbers, where a single-choice question takes one.
_NOT_ONE_NUMBER = re.compile(r"#?\d+(?:[.,]\d|\s*(?:[,;/&+]|\band\b)\s*#?\d)")
_NUMBERED = re.compile(r"^#?(\d+)(?:\s*[-–—:.,)]\s*|\s+|$)(.*)$", re.DOTALL)
_DASH = re.compile(r"(\s+[-–—]\s+)")
_NOTE_SPLIT = re.compile(r"\s+[-–—]\s+|\s*[:;,(]\s*")
_MULTI_SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\band\b)\s*")


@dataclass(frozen=True)
class Parsed:
    """A reply understood as an answer value plus an optional free-text note."""

    value: AnswerValue
    note: str = ""


def normalise(text: str) -> str:
    """Lower-case, straighten quotes, collapse spaces and trim punctuation at the ends."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"\s+", " ", text.strip().lower())
    return text.strip(" .!?\"'`*_")


def parse_command(text: str) -> Command | None:
    """The steering command this reply is, if it is one."""
    return _COMMAND_WORDS.get(normalise(text))


def is_dont_know(text: str) -> bool:
    """Whether the reply says "I don't know" (treated as skip when no choice means that)."""
    return normalise(text) in _DONT_KNOW


def parse_reply(question: Question, reply: str | list[str]) -> Parsed:
    """Turn a typed reply or a picked value (a list for multi-selects) into an answer value."""
    if question.kind is QuestionKind.MULTI:
        return _parse_multi(question, reply)
    if isinstance(reply, list):
        if len(reply) != 1:
            raise UnclearReply(f"Expected a single answer. {expected(question)}")
        reply = reply[0]
    if question.kind is QuestionKind.SINGLE:
        return _parse_single(question, reply)
    if question.kind is QuestionKind.NUMBER:
        return _parse_duration(question, reply)
    text = reply.strip()
    if not text:
        raise UnclearReply(f"The answer was empty. {expected(question)}")
    return Parsed(value=text[:MAX_TEXT_CHARS])


def expected(question: Question) -> str:
    """One sentence saying what kind of reply this question takes."""
    count = len(question.choices)
    if question.kind is QuestionKind.SINGLE:
        return (
            f"Reply with a number from 1 to {count} or the choice's name"
            + (", optionally followed by ` - ` and a note" if question.note_hint else "")
            + ", or `skip`, `back` or `why`."
        )
    if question.kind is QuestionKind.MULTI:
        return (
            f"Reply with one or more numbers from 1 to {count} (like `1,3`) or the choices' names "
            "separated by commas, or `skip`, `back` or `why`."
        )
    if question.kind is QuestionKind.NUMBER:
        never = " or `never`" if question.allow_never else ""
        return (
            "Reply with a duration like `15 min`, `3 days`, `2 weeks` or `9 months`"
            f"{never}, or `skip`, `back` or `why`."
        )
    return "Reply with a few words, or `skip`, `back` or `why`."


def _parse_single(question: Question, reply: str) -> Parsed:
    text = reply.strip()
    if _NOT_ONE_NUMBER.match(text):
        raise UnclearReply(f"This question takes one choice, not “{_quote(text)}”. {expected(question)}")
    numbered = _NUMBERED.match(text)
    if numbered:
        return Parsed(_choice_by_number(question, numbered.group(1)).value, _note(numbered.group(2)))
    whole = _match_choice(question, text)
    if whole:
        return Parsed(whole.value)
    head_and_note = _split_note(question, text)
    if head_and_note:
        choice, note = head_and_note
        if question.note_hint is None:
            _refuse_conflicting_note(question, choice, note, text)
        return Parsed(choice.value, _note(note))
    loose = _match_loosely(question, text)
    if loose:
        return Parsed(loose.value)
    raise UnclearReply(f"I couldn't match “{_quote(text)}” to a choice. {expected(question)}")


def _parse_multi(question: Question, reply: str | list[str]) -> Parsed:
    if isinstance(reply, list):
        values = []
        for item in reply:
            choice = question.choice(item) or _match_choice(question, item)
            if choice is None:
                raise UnclearReply(f"“{_quote(item)}” is not one of the choices. {expected(question)}")
            values.append(choice.value)
        return Parsed(_ordered_values(question, values))
    text, note = _split_dash(reply)
    if not text.strip():
        raise UnclearReply(f"The answer was empty. {expected(question)}")
    whole = _match_choice(question, text)
    if whole:
        return Parsed(_ordered_values(question, [whole.value]), _note(note))
    if re.fullmatch(r"[\d\s,;/&+]+|[\d\s,;/&+]*(?:\band\b[\d\s,;/&+]*)+", text):
        values = [_choice_by_number(question, number).value for number in re.findall(r"\d+", text)]
        return Parsed(_ordered_values(question, values), _note(note))
    values = []
    for token in filter(None, _MULTI_SPLIT.split(text)):
        choice = _choice_by_number(question, token) if token.isdigit() else _match_choice(question, token)
        choice = choice or _match_loosely(question, token)
        if choice is None:
            raise UnclearReply(f"I couldn't match “{_quote(token)}” to a choice. {expected(question)}")
        values.append(choice.value)
    return Parsed(_ordered_values(question, values), _note(note))


def _parse_duration(question: Question, reply: str) -> Parsed:
    text, note = _split_dash(reply)
    preset = _match_choice(question, text)
    if preset:
        return Parsed(_preset_value(preset), _note(note))
    days = _duration_days(normalise(text))
    if days is not None:
        if not 0 < days <= MAX_DAYS:
            raise UnclearReply(f"That duration is out of range (up to ten years). {expected(question)}")
        return Parsed(round(days, 4), _note(note))
    loose = _match_loosely(question, text)
    if loose:
        return Parsed(_preset_value(loose), _note(note))
    raise UnclearReply(f"I couldn't read “{_quote(text)}” as a duration. {expected(question)}")


def _split_dash(reply: str) -> tuple[str, str]:
    """The reply before a spaced dash, and the note after it."""
    parts = _DASH.split(reply.strip(), maxsplit=1)
    if len(parts) == 3:
        return parts[0].strip(), parts[2]
    return reply.strip(), ""


def _preset_value(choice: Choice) -> AnswerValue:
    return NEVER if choice.days is None else choice.days


def _duration_days(text: str) -> float | None:
    match = _DURATION.match(text)
    if not match:
        return None
    low, high, unit = match.groups()
    if unit is None:
        scale = 1.0
    elif unit in _UNIT_DAYS:
        scale = _UNIT_DAYS[unit]
    else:
        return None
    amounts = [_amount(part) for part in (low, high) if part is not None]
    return sum(amounts) / len(amounts) * scale


def _amount(text: str) -> float:
    return _NUMBER_WORDS.get(text) or float(text.replace(",", "."))


def _choice_by_number(question: Question, number: str) -> Choice:
    index = int(number)
    if not 1 <= index <= len(question.choices):
        raise UnclearReply(f"There is no choice {index}. {expected(question)}")
    return question.choices[index - 1]


def _ordered_values(question: Question, values: list[str]) -> list[str]:
    chosen = set(values)
    exclusive = chosen & set(question.exclusive)
    if exclusive and len(chosen) > 1:
        label = question.describe(sorted(exclusive)[0])
        raise UnclearReply(f"“{label}” can't be combined with other choices. {expected(question)}")
    return [choice.value for choice in question.choices if choice.value in chosen]


def _names(choice: Choice) -> list[str]:
    return [normalise(choice.value), normalise(choice.label), *(normalise(alias) for alias in choice.aliases)]


def _match_choice(question: Question, text: str) -> Choice | None:
    """An exact match on value, label or alias, else a unique prefix of a label (3+ characters)."""
    wanted = normalise(text)
    if not wanted:
        return None
    exact = [choice for choice in question.choices if wanted in _names(choice)]
    if exact:
        return _unique(exact, text, question)
    if len(wanted) >= 3:
        prefixed = [choice for choice in question.choices if normalise(choice.label).startswith(wanted)]
        if prefixed:
            return _unique(prefixed, text, question)
    return None


def _split_note(question: Question, text: str) -> tuple[Choice, str] | None:
    """A choice at the start of the reply followed by a note (after a separator or a name)."""
    parts = _NOTE_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2:
        head = _match_choice(question, parts[0]) or _match_loosely(question, parts[0])
        if head:
            return head, parts[1]
    wanted = normalise(text)
    starts = [
        (len(name), choice)
        for choice in question.choices
        for name in _names(choice)
        if len(name) >= 3 and re.match(re.escape(name) + r"\b", wanted)
    ]
    if not starts:
        return None
    longest = max(length for length, _ in starts)
    choice = _unique([c for length, c in starts if length == longest], text, question)
    return choice, text.strip()[longest:]


def _refuse_conflicting_note(question: Question, choice: Choice, note: str, text: str) -> None:
    """Refuse "yes, but by hand" style replies whose note names a different choice than their start."""
    others = [other for other in _contained_choices(question, note) if other.value != choice.value]
    if others:
        _unique([choice, *others], text, question)


def _contained_choices(question: Question, text: str) -> list[Choice]:
    wanted = normalise(text)
    return [
        choice
        for choice in question.choices
        if any(len(name) >= 4 and re.search(r"\b" + re.escape(name) + r"\b", wanted) for name in _names(choice)[2:])
    ]


def _match_loosely(question: Question, text: str) -> Choice | None:
    """A unique alias (4+ characters) contained as whole words, else a unique close spelling."""
    contained = _contained_choices(question, text)
    if len(contained) == 1:
        return contained[0]
    wanted = normalise(text)
    by_name = {name: choice for choice in question.choices for name in _names(choice) if len(name) >= 3}
    close = difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=FUZZY_CUTOFF)
    matched = {by_name[name].value: by_name[name] for name in close}
    return next(iter(matched.values())) if len(matched) == 1 else None


def _unique(choices: list[Choice], text: str, question: Question) -> Choice:
    distinct = {choice.value: choice for choice in choices}
    if len(distinct) > 1:
        labels = " or ".join(f"“{choice.label}”" for choice in distinct.values())
        raise UnclearReply(f"“{_quote(text)}” could mean {labels}. {expected(question)}")
    return next(iter(distinct.values()))


def _note(text: str) -> str:
    return text.strip().strip("-–—:;, ")[:MAX_NOTE_CHARS]


def _quote(text: str) -> str:
    """A short, single-line excerpt of the user's reply for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:39] + "…"
