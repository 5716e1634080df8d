"""`/flywheel help`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks.help import build_help, help_text
from bot.listeners.router import CommandRequest, Routes
from bot.manifest import COMMAND
from bot.services import Services


async def handle_help(request: CommandRequest) -> None:
    """Explain the coach, privately."""
    await request.respond(
        text=help_text(command=COMMAND), blocks=build_help(command=COMMAND), response_type="ephemeral"
    )


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """Add the help subcommand."""
    routes.add_subcommand("help", handle_help, usage="help")
