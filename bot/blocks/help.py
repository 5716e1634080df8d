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
    ]


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
