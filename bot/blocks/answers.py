"""Block Kit for answers: the answer in a markdown block with numbered sources, the AI note, 👍/👎 feedback, sharing,
the reason modal, and the suggested prompts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.blocks.common import Block, actions, button, context, escape, plain, section, truncate
from bot.errors import InputError

ACTION_FEEDBACK = "answer_feedback"
ACTION_SHARE = "answer_share"
ACTION_SUGGESTED = "answer_suggested"
VIEW_REASON = "answer_reason"
BLOCK_REASON = "answer_reason_text"
ACTION_REASON = "answer_reason_value"
REASON_MAX_CHARS = 500
WORKING_STATUS = "is reading the material…"
LOADING_MESSAGES: tuple[str, ...] = (
    "Reading the material…",
    "Weighing the passages that fit…",
    "Picking the sentences worth quoting…",
    "Numbering the sources…",
)
MARKDOWN_LIMIT = 12_000
PROMPTS_TITLE = "Ask the coach"
AI_NOTE = ":robot_face: AI-generated from the coach's material. Check the sources before you act on it."
QUOTED_NOTE = (
    ":robot_face: Quoted from the coach's material by an automated search, which can miss context. "
    "Check the sources before you act on it."
)
CLOSEST_NOTE = (
    ":robot_face: The closest the coach's material comes, found by an automated search: it may not cover exactly "
    "what you asked. Check the sources before you act on it."
)
CLOSEST_AI_NOTE = (
    ":robot_face: AI-generated from the closest the coach's material comes: it may not cover exactly what you "
    "asked. Check the sources before you act on it."
)
DECLINED_NOTE = (
    ":robot_face: An automated search of the coach's material found no answer; it can miss one asked in other "
    "words, so try rephrasing."
)
COACH_NOTE = ":robot_face: I'm an automated coach: my answers come from my material, with sources to check."
MAX_SOURCES_SHOWN = 6


@dataclass(frozen=True, slots=True)
class SuggestedPrompt:
    """A question offered to tap: a short title, and the question it asks."""

    title: str
    message: str


SUGGESTED_PROMPTS: tuple[SuggestedPrompt, ...] = (
    SuggestedPrompt("Start with no data", "How do we start a data flywheel with no data?"),
    SuggestedPrompt("Where loops break", "Where do data flywheels usually break?"),
    SuggestedPrompt("The deletion test", "What is the deletion test?"),
    SuggestedPrompt("How fast to turn", "How fast should our loop turn?"),
)
_FEEDBACK_VALUE = re.compile(r"(up|down):([1-9][0-9]{0,8})")
UNREADABLE_FEEDBACK = "That button no longer points at an answer."
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", flags=re.MULTILINE)


class Source(Protocol):
    """What a numbered source under an answer shows: its name (`title > section`) and the file it came from."""

    @property
    def label(self) -> str: ...

    @property
    def source(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A source given by its two shown values."""

    label: str
    source: str


def to_mrkdwn(text: str) -> str:
    """Answer text (markdown from the material or a model) as safe Slack mrkdwn: no pings, links or raw tags."""
    text = _HEADING.sub(r"*\1*", text)
    return escape(_BOLD.sub(r"*\1*", text))


def to_markdown(text: str) -> str:
    """Answer text for a `markdown` block: standard markdown kept (`**bold**`), pings, links and raw tags defused.

    Entities (`&lt;`) show as the character in markdown, so the same escaping as mrkdwn keeps `<!here>`,
    `<@U123>` and `<http://…>` from the material as plain text.
    """
    return truncate(escape(text), MARKDOWN_LIMIT)


def markdown(text: str) -> Block:
    """A `markdown` block (the caller makes the text safe)."""
    return {"type": "markdown", "text": text}


def defuse(text: str) -> str:
    """Streamed markdown that cannot ping anyone or open a link: the same escaping, for chat streams."""
    return escape(text)


def _sources_block(sources: Sequence[Source]) -> Block | None:
    if not sources:
        return None
    lines = [
        f"*[{number}]* {escape(truncate(s.label, 150))} · `{escape(truncate(s.source, 80))}`"
        for number, s in enumerate(sources[:MAX_SOURCES_SHOWN], start=1)
    ]
    return context(*lines)


def feedback_value(answer_id: int, *, helpful: bool) -> str:
    """What a feedback button carries: the direction and the answer's row id."""
    return f"{'up' if helpful else 'down'}:{answer_id}"


def read_feedback(value: object) -> tuple[int, bool]:
    """(answer id, helpful) from a feedback button's value; InputError when it isn't one we wrote."""
    match = _FEEDBACK_VALUE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InputError(UNREADABLE_FEEDBACK)
    return int(match.group(2)), match.group(1) == "up"


def feedback_buttons(answer_id: int) -> Block:
    """Slack's native 👍/👎 under an answer (a `feedback_buttons` element in a `context_actions` block)."""
    return {
        "type": "context_actions",
        "block_id": f"answer_feedback_{answer_id}",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": ACTION_FEEDBACK,
                "positive_button": {
                    "text": plain("👍", 75),
                    "accessibility_label": "This answer helped",
                    "value": feedback_value(answer_id, helpful=True),
                },
                "negative_button": {
                    "text": plain("👎", 75),
                    "accessibility_label": "This answer didn't help",
                    "value": feedback_value(answer_id, helpful=False),
                },
            }
        ],
    }


def coaching_block(line: str, citation: str) -> Block:
    """The line that ties an answer to the channel's loop map, with the map it comes from."""
    return context(f":compass: {escape(line)} _{escape(citation)}_")


def answer_footer(
    *,
    answer_id: int,
    sources: Sequence[Source],
    grounded: bool,
    closest: bool = False,
    generated: bool = False,
    shareable: bool = False,
    coaching: Block | None = None,
) -> list[Block]:
    """What goes under an answer's text: the coaching line, sources, how it was made (and whether it is only the
    closest the material comes), 👍/👎 (and Share)."""
    blocks: list[Block] = [coaching] if coaching is not None else []
    sources_block = _sources_block(sources)
    if sources_block is not None:
        blocks.append(sources_block)
    blocks.append(context(_note(grounded=grounded, closest=closest, generated=generated)))
    blocks.append(feedback_buttons(answer_id))
    if shareable and grounded:
        share = button("Share in channel", action_id=ACTION_SHARE, value=str(answer_id), style="primary")
        blocks.append(actions(share, block_id=f"answer_share_{answer_id}"))
    return blocks


def _note(*, grounded: bool, closest: bool, generated: bool) -> str:
    if not grounded:
        return DECLINED_NOTE
    if closest:
        return CLOSEST_AI_NOTE if generated else CLOSEST_NOTE
    return AI_NOTE if generated else QUOTED_NOTE


def build_answer(
    text: str,
    *,
    answer_id: int,
    sources: Sequence[Source],
    grounded: bool,
    closest: bool = False,
    generated: bool = False,
    nearest_topics: Sequence[str] = (),
    shareable: bool = False,
    shared_by: str | None = None,
    question: str | None = None,
    coaching: Block | None = None,
) -> tuple[str, list[Block]]:
    """An answer message: (notification text, blocks); a grounded answer's text is a `markdown` block."""
    blocks: list[Block] = []
    if question:
        blocks.append(context(f"*Question:* {escape(truncate(question, 500))}"))
    if grounded:
        blocks.append(markdown(to_markdown(text)))
    else:
        refusal = text.split(" The nearest topics", 1)[0]
        body = f":mag: {escape(refusal)}"
        if nearest_topics:
            body += "\n*Nearest topics I do cover:*\n" + "\n".join(f"• {escape(t)}" for t in nearest_topics[:5])
        blocks.append(section(body))
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}>"))
    blocks.extend(
        answer_footer(
            answer_id=answer_id,
            sources=sources,
            grounded=grounded,
            closest=closest,
            generated=generated,
            shareable=shareable,
            coaching=coaching,
        )
    )
    return truncate(to_mrkdwn(text), 3000), blocks


def build_empty_question(*, prompts: Sequence[SuggestedPrompt] = SUGGESTED_PROMPTS) -> tuple[str, list[Block]]:
    """What to say to a mention or DM with no question in it (channels have no suggested prompts: buttons)."""
    text = "Ask me anything about data flywheels, for example: " + prompts[0].message
    return text, [section("Ask me anything about data flywheels. For example:"), _prompt_buttons(prompts)]


def build_introduction(
    *, greeting: bool, command: str = "/flywheel", prompts: Sequence[SuggestedPrompt] = SUGGESTED_PROMPTS
) -> tuple[str, list[Block]]:
    """The reply to "hi" or "what can you do?": what the coach does, and questions to tap (none in a private reply
    to `/flywheel ask`, where a tapped prompt would be asked in the channel for all to see: an example instead)."""
    hello = "Hi! " if greeting else ""
    text = f"{hello}I'm Flywheel Coach: ask me about data flywheels and I answer from my material, with sources."
    about = section(
        f"{hello}I'm *Flywheel Coach*. Ask me anything about data flywheels: I answer from my guide, with "
        "numbered sources, and you can reply in the answer's thread to follow up.\n"
        f"In a channel, `{command} interview` maps your team's loop and what to fix first, and "
        f"`{command} checkins on` starts the weekly rhythm: ship Tuesday, measure Thursday, iterate Friday. "
        f"`{command} help` lists everything."
    )
    if not prompts:
        return text, [about, section(f"For example: `{command} ask {SUGGESTED_PROMPTS[0].message}`")]
    return text, [about, section("Try one of these:"), _prompt_buttons(prompts)]


def build_thanks_reply() -> str:
    """The reply to "thanks" or "got it": glad, and how a vote helps."""
    return (
        "Glad to help! A :+1: under an answer that worked ranks it higher for every team, and a :-1: puts the "
        "question on my list of gaps to fill."
    )


def build_suggested_prompts(*, prompts: Sequence[SuggestedPrompt] = SUGGESTED_PROMPTS) -> list[dict[str, str]]:
    """The prompts for `assistant.threads.setSuggestedPrompts` (Slack shows four at most)."""
    return [{"title": truncate(p.title, 75), "message": p.message} for p in prompts[:4]]


def build_greeting() -> tuple[str, list[Block]]:
    """The first message in the Messages tab: what the coach does (the prompts to tap come from Slack's own UI)."""
    text = "Hi! I answer questions about data flywheels from my material, with sources."
    blocks = [
        section(
            "Hi! I answer questions about *data flywheels* from my material, with numbered sources. "
            "Type a question here or tap a suggested prompt; reply in an answer's thread to follow up."
        ),
        context(COACH_NOTE),
    ]
    return text, blocks


def _prompt_buttons(prompts: Sequence[SuggestedPrompt]) -> Block:
    return actions(
        *[
            button(truncate(p.message, 75), action_id=f"{ACTION_SUGGESTED}_{n}", value=p.message)
            for n, p in enumerate(prompts[:5])
        ],
        block_id="answer_suggested_prompts",
    )


def build_usage() -> str:
    """How `/flywheel ask` is used."""
    return "Usage: `/flywheel ask QUESTION`, for example `/flywheel ask how do we start with no data?`"


def build_vote_thanks(*, helpful: bool) -> str:
    """The private acknowledgement of a vote."""
    if helpful:
        return "Thanks! Helpful answers rank higher for everyone."
    return "Thanks for telling me. Unhelpful answers rank lower, and the question goes on the list of gaps to fill."


def reason_metadata(answer_id: int, channel_id: str, thread_ts: str | None) -> str:
    """What the reason modal carries back: which answer, and where to say thanks."""
    return json.dumps({"a": answer_id, "c": channel_id, "t": thread_ts}, separators=(",", ":"))


UNREADABLE_REASON = "I couldn't tell which answer that was about: vote on the answer again."


def read_reason_metadata(raw: object) -> tuple[int, str, str | None]:
    """(answer id, channel id, thread ts) from the reason modal's metadata; InputError when it isn't ours."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError as error:
        raise InputError(UNREADABLE_REASON) from error
    answer_id = data.get("a") if isinstance(data, dict) else None
    if type(answer_id) is not int or not 0 < answer_id < 2**31 or not isinstance(data, dict):
        raise InputError(UNREADABLE_REASON)
    channel_id, thread_ts = data.get("c"), data.get("t")
    return (
        answer_id,
        channel_id if isinstance(channel_id, str) else "",
        thread_ts if isinstance(thread_ts, str) else None,
    )


def build_reason_modal(*, answer_id: int, channel_id: str, thread_ts: str | None) -> dict[str, Any]:
    """The optional "what was wrong?" modal after a thumbs-down."""
    return {
        "type": "modal",
        "callback_id": VIEW_REASON,
        "private_metadata": reason_metadata(answer_id, channel_id, thread_ts),
        "title": plain("What was wrong?", 24),
        "submit": plain("Send", 24),
        "close": plain("Skip", 24),
        "blocks": [
            section("Your thumbs-down is recorded. A word on what was missing or wrong helps fill the gap."),
            {
                "type": "input",
                "block_id": BLOCK_REASON,
                "optional": True,
                "label": plain("What was wrong or missing? (optional)", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ACTION_REASON,
                    "multiline": True,
                    "max_length": REASON_MAX_CHARS,
                },
            },
        ],
    }


def read_reason(view: dict[str, Any]) -> str:
    """The reason typed into the modal (empty when skipped)."""
    values = _mapping(_mapping(view.get("state")).get("values"))
    reason = _mapping(_mapping(values.get(BLOCK_REASON)).get(ACTION_REASON)).get("value")
    return reason.strip() if isinstance(reason, str) else ""


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def build_home_section(*, answered: int, gaps: Sequence[str]) -> list[Block]:
    """The Home tab's answers part: how to ask, and the questions the material still answers badly."""
    blocks: list[Block] = [
        section(
            "*Answers*\nMention me in a channel, write to me in my Messages tab, or use `/flywheel ask`. "
            f"This workspace has asked {answered} question{'s' if answered != 1 else ''} so far."
        )
    ]
    if gaps:
        lines = "\n".join(f"• {escape(truncate(question, 150))}" for question in gaps[:5])
        blocks.append(section(f"*Not answered well yet* (your votes put them here):\n{lines}"))
        blocks.append(
            context(
                "Each thumbs-down, each unanswered question and each answer that was only the closest match shows "
                "where the material needs to grow."
            )
        )
    return blocks
