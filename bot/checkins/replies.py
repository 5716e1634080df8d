"""Understanding thread replies to the ship and measure prompts (pure text parsing, no Slack).

Ship replies name one change: `what | stage | metric`, or labelled parts in any order
(`what: ... stage: ... metric: ...`); a stage word anywhere counts when no stage is labelled, and a
mentioned person (`<@U123>`) owns the item instead of the author.

Measure replies report one item by its number in the measure message: `#2 moved +3.5 learned: ... next: scale`.
"""

import re
from dataclasses import dataclass

from bot.checkins.items import NextStep, Result
from bot.errors import InputError
from bot.stages import Stage

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LABEL = re.compile(r"\b(what|stage|metric|owner|learned|next(?:\s+step)?|result|number)\s*:", re.I)
_STAGE_WORDS = {
    Stage.COLLECTION: ("collection", "collect", "capture", "logging"),
    Stage.STORAGE: ("storage", "store", "warehouse"),
    Stage.ANALYSIS: ("analysis", "analyse", "analyze", "analytics"),
    Stage.APPLICATION: ("application", "apply", "product change"),
    Stage.FEEDBACK: ("feedback",),
}
_RESULT_WORDS = (
    (Result.NOT_YET, ("not measured yet", "not measured", "not yet", "pending", "unknown")),
    (
        Result.NO_CHANGE,
        ("no change", "did not move", "didn't move", "unchanged", "flat", "no effect", "same", "neutral"),
    ),
    (Result.WORSE, ("worse", "dropped", "down", "regressed", "declined")),
    (Result.MOVED, ("moved", "improved", "better", "up", "increased", "won")),
)
_NUMBER = re.compile(r"(?<![\w.])([-+−]?\d+(?:[.,]\d+)?)")
# A `|` between fields, not the one inside a link as Slack sends it (`<http://x.example|x.example>`).
_FIELD_SEPARATOR = re.compile(r"\s*\|\s*(?![^<]*>)")
_ITEM_NUMBER = re.compile(r"^\s*(?:#|item\s*)?(\d{1,3})\s*[.:)\-]?\s+", re.I)

SHIP_FORMAT_HINT = "Reply with `what | stage | metric`, e.g. `Smarter retry emails | application | reactivation rate`."
MEASURE_FORMAT_HINT = (
    "Reply with `#N result number learned: ... next: iterate|scale|stop`, e.g. `#1 moved +4 next: scale`."
)


@dataclass(frozen=True)
class ShipReply:
    """A shipped item as a thread reply described it."""

    what: str
    stage: Stage
    expected_metric: str
    owner: str | None


@dataclass(frozen=True)
class MeasureReply:
    """A result as a thread reply reported it, for the item numbered `item_number` in the prompt."""

    item_number: int
    result: Result
    number: float | None
    learned: str
    next_step: NextStep | None


def _labelled(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    matches = list(_LABEL.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        label = match.group(1).lower().split()[0]
        parts[label] = text[match.end() : end].strip(" ;,|\n")
    if matches:
        parts.setdefault("", text[: matches[0].start()].strip(" ;,|\n"))
    return parts


def parse_stage(text: str) -> Stage | None:
    """The loop stage a text names (by name or a close word), if exactly one."""
    lowered = text.lower()
    found = {
        stage
        for stage, words in _STAGE_WORDS.items()
        if any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words)
    }
    return found.pop() if len(found) == 1 else None


def parse_result(text: str) -> Result | None:
    """The result a text names (moved, no change, worse, not measured yet), if any."""
    lowered = text.lower()
    for result, words in _RESULT_WORDS:
        if any(re.search(rf"(?<![\w-]){re.escape(word)}\b", lowered) for word in words):
            return result
    return None


def parse_number(text: str) -> float | None:
    """The first number in a text ("+3.5%", "-2", "0,8", "1,200" all count), if any."""
    match = _NUMBER.search(text)
    if match is None:
        return None
    digits = match.group(1).replace("−", "-")
    # "1,200" groups thousands; "0,8" is a decimal comma.
    digits = re.sub(r",(\d{3})$", r"\1", digits).replace(",", ".")
    return float(digits)


def parse_next_step(text: str) -> NextStep | None:
    """The next step a text names (iterate, scale, stop), if exactly one."""
    lowered = text.lower()
    found = [step for step in NextStep if re.search(rf"\b{step.value}\b", lowered)]
    return found[0] if len(found) == 1 else None


def parse_ship_reply(text: str) -> ShipReply:
    """A shipped item from a thread reply, or an InputError that shows the expected format."""
    mention = _MENTION.search(text)
    owner = mention.group(1) if mention else None
    clean = _MENTION.sub("", text).strip()
    labelled = _labelled(clean)
    if labelled:
        what = labelled.get("what") or labelled.get("", "")
        stage = parse_stage(labelled.get("stage", "")) or parse_stage(clean)
        metric = labelled.get("metric", "")
    else:
        pieces = [piece.strip() for piece in _FIELD_SEPARATOR.split(clean)]
        what = pieces[0]
        stage = parse_stage(pieces[1]) if len(pieces) > 1 else parse_stage(clean)
        metric = pieces[2] if len(pieces) > 2 else ""
    if not what:
        raise InputError(f"I could not tell what shipped. {SHIP_FORMAT_HINT}")
    if stage is None:
        raise InputError(
            "Which loop stage does it strengthen: collection, storage, analysis, application or feedback? "
            + SHIP_FORMAT_HINT
        )
    return ShipReply(what=what[:300], stage=stage, expected_metric=metric[:200], owner=owner)


def parse_measure_reply(text: str) -> MeasureReply:
    """A result from a thread reply, or an InputError that shows the expected format."""
    match = _ITEM_NUMBER.match(text)
    if match is None:
        raise InputError(f"Which item is this about? Start with its number. {MEASURE_FORMAT_HINT}")
    rest = text[match.end() :]
    labelled = _labelled(rest)
    head = labelled.get("", rest) if labelled else rest
    result = parse_result(labelled.get("result", "") or head)
    if result is None:
        raise InputError(
            f"Did the metric move, not change, get worse, or is it not measured yet? {MEASURE_FORMAT_HINT}"
        )
    number_text = labelled.get("number") or head
    next_text = labelled.get("next") or head
    return MeasureReply(
        item_number=int(match.group(1)),
        result=result,
        number=parse_number(number_text) if result.is_measured else None,
        learned=labelled.get("learned", "")[:1000],
        next_step=parse_next_step(next_text) if result.is_measured else None,
    )
