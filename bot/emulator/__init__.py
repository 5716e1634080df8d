"""A local, stateful Slack stand-in for end-to-end tests and the terminal demo.

`LocalSlack` serves the Web API, delivers signed HTTP requests or Socket Mode envelopes, keeps a journal,
injects faults and flags what real Slack would refuse (`problems`). `bot.emulator.harness` connects a
Bolt app to it over either transport; `bot.emulator.demo` is the terminal front end.
"""

from bot.emulator.humans import ActionResult, Human, HumanActionError, ModalResult, SlashResult
from bot.emulator.journal import ApiCall, Delivery
from bot.emulator.server import DefaultWorkspace, LocalSlack
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
    "ViewRecord",
    "WaitTimeout",
]
