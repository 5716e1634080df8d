"""A local, stateful Slack stand-in for end-to-end tests and the terminal demo.

`LocalSlack` serves the Web API on 127.0.0.1 (free port), delivers signed HTTP requests or Socket Mode
envelopes, keeps a journal, injects faults and lists what real Slack would refuse in `problems`.
`bot.emulator.harness` connects a Bolt app over either transport; `bot.emulator.demo` is the terminal demo.

    async with LocalSlack(manifest=build_manifest(), clock=ManualClock()) as slack:
        people = slack.seed_default()                       # you, ana, #general (with the app), their DMs
        async with connected(slack, app, "http"):            # or "socket"
            ts = await people.ana.mention("general", "what is a data flywheel?")
            reply = await slack.wait_for_message(channel="general", thread_ts=ts)
            await slack.wait_idle()
        assert slack.problems == []
"""

from bot.emulator.humans import ActionResult, Human, HumanActionError, ModalResult, SlashResult
from bot.emulator.journal import ApiCall, Delivery
from bot.emulator.server import LocalSlack
from bot.emulator.team import DefaultWorkspace, Team
from bot.emulator.waiting import WaitTimeout
from bot.emulator.workspace import Ephemeral, FileRecord, Message, ViewRecord

__all__ = [
    "ActionResult",
    "ApiCall",
    "DefaultWorkspace",
    "Delivery",
    "Ephemeral",
    "FileRecord",
    "Human",
    "HumanActionError",
    "LocalSlack",
    "Message",
    "ModalResult",
    "SlashResult",
    "Team",
    "ViewRecord",
    "WaitTimeout",
]
