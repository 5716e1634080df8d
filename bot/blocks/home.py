"""The App Home tab."""

from __future__ import annotations

from bot.blocks.common import Block, context, divider, header, section
from bot.blocks.help import PRIVACY, SUBCOMMANDS_USAGE


def build_home(*, feature_blocks: list[Block]) -> dict:
    """The Home view: what the coach does, how to use it, then each feature's section."""
    commands = "\n".join(f"• `/flywheel {usage}`: {summary}" for usage, summary in SUBCOMMANDS_USAGE)
    blocks: list[Block] = [
        header("Flywheel Coach"),
        section(
            "A data flywheel is a loop where using the product produces data that makes the product "
            "better, which brings more use. I help your team build one: *answers* from a guide to data "
            "flywheels with sources, an *interview* that maps your loop and names what to fix first, and "
            "weekly *check-ins* (ship Tuesday, measure Thursday, iterate Friday)."
        ),
        section("*How to use me*\n" + commands),
        context("Ask me anything in my Messages tab, or mention me in a channel to get an answer in a thread."),
    ]
    if feature_blocks:
        blocks.append(divider())
        blocks.extend(feature_blocks[: 100 - len(blocks) - 2])
    blocks.extend([divider(), context(PRIVACY)])
    return {"type": "home", "blocks": blocks}
