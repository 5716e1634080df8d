"""What the coach says about itself: `/flywheel help` and the short notices of the command router."""

from __future__ import annotations

from bot.blocks.common import Block, context, divider, escape, header, section

SUBCOMMANDS_USAGE = (
    ("ask QUESTION", "get a cited answer from the flywheel material (only you see it; share if useful)"),
    ("interview", "map this channel's data loop, one question at a time, and get what to fix first"),
    ("map", "post this channel's current loop map and its diagnosis"),
    ("checkins on|off|status", "weekly rhythm: ship Tuesday, measure Thursday, iterate Friday"),
    ("help", "this message"),
)

PRIVACY = (
    "*What I keep, and how to delete it.* I store the questions asked and answers given (with your 👍/👎 and "
    "reasons), interview answers and loop maps, check-in schedules and the items you report, and any "
    "material your workspace indexed: all kept per workspace, never shown to another. Only anonymous vote "
    "counts per passage of the shared guide are pooled across workspaces, to rank answers for everyone. "
    "Answers are quoted from the material; only if whoever runs me set a language model (LLM_MODEL) are "
    "your question and the passages sent to that model's provider to word the answer. I log no message "
    "text and no tokens, and no model is trained on your data. Removing the app from "
    "the workspace (or `flywheel-coach workspace delete` by whoever runs the coach) deletes all of it at once."
)
"""The privacy notice shown in `/flywheel help` and on the Home tab."""


def build_help(*, command: str = "/flywheel") -> list[Block]:
    """The help message: what the coach does and every subcommand."""
    lines = "\n".join(f"`{command} {usage}`: {summary}" for usage, summary in SUBCOMMANDS_USAGE)
    return [
        header("Flywheel Coach"),
        section(
            "I coach your team in building a *data flywheel*: a loop where every use of your product "
            "makes it better. I answer questions from a guide to data flywheels (with sources), "
            "interview your team to map its loop (Collection, Storage, Analysis, Application, Feedback) "
            "and find where it breaks, and run weekly check-ins so the loop keeps turning."
        ),
        divider(),
        section(lines),
        context(
            "Mention me in a channel (`@Flywheel Coach …`) to ask in a thread, or write to me in my "
            "Messages tab. Answers are generated from the indexed material and can be wrong: check the sources."
        ),
        divider(),
        context(PRIVACY),
    ]


def build_welcome(*, command: str = "/flywheel") -> list[Block]:
    """The DM the person who installed the coach gets: how to start, then the help message."""
    return [
        section(
            "Thanks for installing me! To start: invite me to a channel (`/invite @flywheel-coach`) and mention "
            f"me with a question, run `{command} interview` there to map your team's data loop, or "
            f"`{command} checkins on` for the weekly rhythm."
        ),
        *build_help(command=command),
    ]


def welcome_text(*, command: str = "/flywheel") -> str:
    """The plain-text fallback of the welcome DM."""
    return f"Thanks for installing Flywheel Coach! Invite me to a channel and try {command} help."


def help_text(*, command: str = "/flywheel") -> str:
    """The plain-text fallback of the help message."""
    return "Flywheel Coach: " + "; ".join(f"{command} {usage}" for usage, _ in SUBCOMMANDS_USAGE)


def build_unknown_subcommand(name: str, known: list[str], *, command: str = "/flywheel") -> str:
    """The notice for a subcommand the coach doesn't know, with what it does know."""
    options = ", ".join(f"`{item}`" for item in known)
    return f"I don't know `{escape(name[:40])}`. Try {options}, or `{command} help`."


def build_too_long(length: int, limit: int) -> str:
    """The notice for input over the size the coach accepts."""
    return (
        f"That message is {length:,} characters long; I read up to {limit:,}. "
        "Send a shorter question, or split it into parts."
    )
