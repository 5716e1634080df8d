"""`flywheel-coach demo`: chat with the real coach in the terminal, through the local Slack.

The local Slack and the coach run in one process on 127.0.0.1 (no tokens, no network). Plain text is a DM to
the coach, `@coach ...` mentions it in #general, `/flywheel ...` runs the command, numbers click buttons,
modals become a series of prompts. When standard input is not a terminal the lines are a script: each one is
sent, the demo waits until the coach is done answering, prints everything, and exits at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from bot.clock import Clock, ManualClock
from bot.emulator.humans import Human, HumanActionError
from bot.emulator.render import SELECTS, Choice, Line, Renderer, plain
from bot.emulator.server import LocalSlack
from bot.emulator.waiting import WaitTimeout
from bot.emulator.workspace import Ephemeral, Message, ViewRecord

COMMAND = "/flywheel"
# How long to wait for the coach to finish answering one line before moving on.
SETTLE_SECONDS = 180.0
# After the clock moves, how long to give the coach's scheduler to notice and start posting.
TICK_NOTICE_SECONDS = 2.0
QUIET_SECONDS = 0.3
_DURATION = re.compile(r"(\d+)\s*([wdhm])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
HELP = """\
  text          a DM to the coach (or a reply in the thread it just answered in)
  @coach text   mention the coach in #general
  /flywheel ... run the command (in the DM, or in #general after ':channel general')
  1, 2, ...     click the numbered button or option
  :home         open the Home tab          :tick 1d / :tick 3h   move the clock forward
  :new          start a fresh conversation  :channel general|dm  where commands run
  :close        close an open modal         :help  this list      :quit  leave"""
STYLES = {
    "header": "bold",
    "bold": "bold",
    "context": "dim",
    "dim": "dim",
    "choice": "cyan",
    "error": "red",
    "coach": "bold magenta",
    "you": "bold green",
    "note": "italic dim",
}


class Screen:
    """Writes lines: styled with rich on a terminal, plain text when piped."""

    def __init__(self, stdout: IO[str]) -> None:
        self._stdout = stdout
        self._console: Any = None
        if _isatty(stdout):
            from rich.console import Console

            self._console = Console(file=stdout, highlight=False, markup=False, emoji=False)

    def line(self, text: str = "", style: str | None = None) -> None:
        """One line of output."""
        if self._console is not None:
            from rich.emoji import Emoji
            from rich.text import Text

            self._console.print(Text(Emoji.replace(text), style=STYLES.get(style or "", "")))
        else:
            self._stdout.write(text + "\n")
            self._stdout.flush()

    def lines(self, lines: list[Line], indent: str = "  ") -> None:
        """Rendered lines, indented."""
        for line in lines:
            self.line(indent + line.text, line.style)

    def prompt(self, text: str) -> None:
        """A prompt, without a newline."""
        if self._console is not None:
            from rich.text import Text

            self._console.print(Text(text, style=STYLES["you"]), end="")
        else:
            self._stdout.write(text)
            self._stdout.flush()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def parse_duration(text: str) -> timedelta:
    """`1d`, `3h`, `2w`, `90m`, `1d12h` as a timedelta (ValueError otherwise)."""
    compact = text.replace(" ", "").lower()
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration like 1d, 3h, 2w or 30m")
    return timedelta(**{_UNITS[unit]: sum(int(n) for n, u in parts if u == unit) for _, unit in parts})


@dataclass
class Place:
    """Where plain text goes: the DM, or the thread the coach last answered in."""

    channel: str
    thread_ts: str | None = None


@dataclass
class Seen:
    """What has already been printed."""

    messages: dict[tuple[str, str], str] = field(default_factory=dict)
    ephemerals: dict[str, str] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    problems: int = 0
    modal: tuple[str, str] | None = None


class Demo:
    """The read–send–settle–print loop between a person at the terminal and the local Slack."""

    def __init__(
        self,
        slack: LocalSlack,
        you: Human,
        general: str,
        screen: Screen,
        read: Callable[[], Awaitable[str | None]],
        *,
        interactive: bool,
        files_dir: Path,
        quiet: float = QUIET_SECONDS,
        tick_notice: float = TICK_NOTICE_SECONDS,
    ) -> None:
        self.slack = slack
        self.you = you
        self.general = general
        self.screen = screen
        self._read = read
        self.interactive = interactive
        self.files_dir = files_dir
        self.quiet = quiet
        self.tick_notice = tick_notice
        self.seen = Seen()
        self.here = Place(you.dm_channel)
        self.command_channel = you.dm_channel
        self.choices: dict[int, Choice] = {}
        self._numbering: dict[int, Choice] = {}
        self.renderer = Renderer(user_name=self._user_name, channel_name=self._channel_name)

    # ---- the loop -------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Read lines until :quit or the end of input."""
        while True:
            line = await self.ask(self._prompt())
            if line is None or line.strip() in (":quit", ":q", ":exit"):
                return
            await self.handle(line.strip())

    async def open_messages_tab(self) -> None:
        """Open the DM with the coach, as a person does first (the coach may greet)."""
        await self.you.open_messages_tab()
        await self.settle()

    async def ask(self, prompt: str) -> str | None:
        """Show a prompt and read one line (echoed when it comes from a script)."""
        if self.interactive:
            self.screen.prompt(prompt)
        line = await self._read()
        if line is None:
            if self.interactive:
                self.screen.line()
            return None
        if not self.interactive:
            self.screen.prompt(prompt)
            self.screen.line(line, "you")
        return line

    def _prompt(self) -> str:
        if self.here.thread_ts:
            where = "DM" if self.here.channel == self.you.dm_channel else f"#{self._channel_name(self.here.channel)}"
            return f"you (thread in {where}; :new to start fresh) > "
        return "you > "

    async def handle(self, line: str) -> None:
        """Act on one line of input."""
        if not line:
            return
        try:
            if line.startswith(":"):
                await self._meta(line)
            elif line.isdigit():
                await self._choose(int(line))
            elif line.startswith("/"):
                await self._command(line)
            elif re.match(r"@(coach|flywheel-coach)\b", line, re.IGNORECASE):
                text = line.split(maxsplit=1)[1] if " " in line else ""
                ts = await self.you.mention(self.general, text)
                self.here = Place(self.general, ts)
            else:
                await self.you.post(self.here.channel, line, thread_ts=self.here.thread_ts)
        except HumanActionError as error:
            self.screen.line(f"! {error}", "error")
            return
        await self.settle()

    async def _meta(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == ":help":
            self.screen.line(HELP, "note")
        elif word == ":home":
            await self.you.open_home()
            await self.settle(show=False)
            self.show_home()
            self.show_new()
        elif word == ":tick":
            try:
                delta = parse_duration(rest or "1d")
                moved = self.slack.advance(delta)
            except (ValueError, TypeError) as error:
                self.screen.line(f"! {error}", "error")
                return
            self.screen.line(f"(the clock now reads {moved:%a %d %b %Y %H:%M} UTC)", "note")
            await self._give_the_scheduler_a_chance()
        elif word == ":new":
            self.here = Place(self.you.dm_channel)
            self.screen.line("(a fresh conversation: plain text is a new DM)", "note")
        elif word == ":channel":
            target = rest.strip().lstrip("#") or "dm"
            self.command_channel = self.you.dm_channel if target == "dm" else self.slack.channel_id(target)
            self.screen.line(f"(commands now run in {'the DM' if target == 'dm' else '#' + target})", "note")
        elif word == ":close":
            if self.slack.open_modal(self.you) is None:
                self.screen.line("(no modal is open)", "note")
                return
            await self.you.close_modal()
            self.screen.line("(modal closed)", "note")
        else:
            self.screen.line(f"! unknown {word}; :help lists what you can type", "error")

    async def _give_the_scheduler_a_chance(self) -> None:
        """Wait (briefly) for the coach's first call after a clock move: its scheduler polls the clock."""
        last = max((call.seq for call in self.slack.api_calls()), default=0)
        with contextlib.suppress(WaitTimeout):
            await self.slack.wait_for_call(None, lambda call: call.seq > last, timeout=self.tick_notice)

    async def _command(self, line: str) -> None:
        command, _, text = line.partition(" ")
        channel = (
            self.here.channel if self.here.thread_ts and self.here.channel == self.general else self.command_channel
        )
        result = await self.you.slash(command, text.strip(), channel=channel)
        if result.error:
            self.screen.line(f'! {command} failed with the error "{result.error}"', "error")

    async def _choose(self, number: int) -> None:
        choice = self.choices.get(number)
        if choice is None:
            self.screen.line(f"! there is no choice [{number}] on screen", "error")
            return
        if choice.kind == "button":
            await self.you.click(
                choice.action_id, message=choice.message_ts, value=choice.value, surface=choice.surface
            )
        elif choice.kind == "feedback":
            await self.you.give_feedback(positive=choice.value == "positive", message=choice.message_ts)
        elif choice.kind == "option":
            await self.you.select(choice.action_id, choice.value, message=choice.message_ts, surface=choice.surface)
        else:
            answer = await self.ask(f"  {choice.label} > ")
            if answer:
                await self.you.select(
                    choice.action_id, answer.strip(), message=choice.message_ts, surface=choice.surface
                )

    # ---- waiting and printing ---------------------------------------------------------------------------

    async def settle(self, *, show: bool = True) -> None:
        """Wait until the coach is done, then print what is new (and walk through a modal if one opened)."""
        try:
            await self.slack.wait_idle(quiet=self.quiet, timeout=SETTLE_SECONDS)
        except WaitTimeout:
            self.screen.line("(the coach is still working; its answer will show after your next line)", "note")
        if show:
            self.show_new()
            await self.fill_modal()

    def _register(self, choice: Choice) -> int:
        number = len(self._numbering) + 1
        self._numbering[number] = choice
        return number

    def _start_numbering(self) -> None:
        self._numbering = {}

    def _finish_numbering(self) -> None:
        if self._numbering:
            self.choices = self._numbering

    def show_new(self) -> None:
        """Print messages, ephemerals, files and problems that appeared since the last look."""
        self._start_numbering()
        threaded: Place | None = None
        answered = False
        for message in self.slack.messages():
            conversation = self.slack.workspace.conversations[message.channel]
            if self.you.id not in conversation.members or message.user == self.you.id:
                continue
            key, digest = (message.channel, message.ts), _digest(message)
            if self.seen.messages.get(key) == digest or message.streaming:
                continue
            edited = key in self.seen.messages
            self.seen.messages[key] = digest
            self._print_message(message, edited=edited)
            if message.bot_id and message.channel in (self.you.dm_channel, self.general):
                answered = True
                root = message.thread_ts
                threaded = Place(message.channel, root) if root else None
        for ephemeral in self.slack.ephemerals(self.you):
            digest = _digest(ephemeral)
            if self.seen.ephemerals.get(ephemeral.ts) == digest:
                continue
            self.seen.ephemerals[ephemeral.ts] = digest
            self._print_ephemeral(ephemeral)
        self._finish_numbering()
        if answered:
            self.here = threaded or Place(self.you.dm_channel)
        self._save_files()
        problems = self.slack.problems
        for problem in problems[self.seen.problems :]:
            self.screen.line(f"! local Slack: {problem}", "error")
        self.seen.problems = len(problems)

    def _print_message(self, message: Message, *, edited: bool) -> None:
        where = self._where(message.channel, message.thread_ts)
        author = self._user_name(message.user)
        self.screen.line(f"{author}{where}{' (edited)' if edited else ''}:", "coach" if message.bot_id else "bold")
        self._print_content(message.text, message.blocks, message_ts=message.ts)

    def _print_ephemeral(self, ephemeral: Ephemeral) -> None:
        where = self._where(ephemeral.channel, ephemeral.thread_ts)
        self.screen.line(f"{self._user_name(ephemeral.sender)}{where} (only you can see this):", "coach")
        self._print_content(ephemeral.text, ephemeral.blocks, message_ts=ephemeral.ts)

    def _print_content(self, text: str, blocks: list[dict[str, Any]], *, message_ts: str) -> None:
        if blocks:
            self.screen.lines(self.renderer.blocks(blocks, self._register, message_ts=message_ts, surface="message"))
        else:
            self.screen.lines([Line(part) for part in self.renderer.mrkdwn(text).splitlines()])

    def _where(self, channel: str, thread_ts: str | None) -> str:
        place = "" if channel == self.you.dm_channel else f" in #{self._channel_name(channel)}"
        return place + (" (thread)" if thread_ts else "")

    def _save_files(self) -> None:
        for record in self.slack.files():
            if record.id in self.seen.files or record.content is None:
                continue
            if not any(self.you.id in self.slack.workspace.conversations[c].members for c in record.channels):
                continue
            self.seen.files.add(record.id)
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / f"{record.id}-{Path(record.name).name}"
            path.write_bytes(record.content)
            self.screen.line(f"  [file] {record.title or record.name}: saved to {path}", "note")

    def show_home(self) -> None:
        """Print the Home tab."""
        home = self.slack.home_view(self.you)
        if home is None:
            self.screen.line("(the coach has not published a Home tab)", "note")
            return
        self._start_numbering()
        self.screen.line("Home tab:", "header")
        self.screen.lines(self.renderer.blocks(home.blocks, self._register, surface="home"))
        self._finish_numbering()

    # ---- modals -----------------------------------------------------------------------------------------

    async def fill_modal(self) -> None:
        """Walk through the open modal: one prompt per input, then submit; repeat while one stays open."""
        while True:
            view = self.slack.open_modal(self.you)
            if view is None:
                self.seen.modal = None
                return
            key = (view.id, view.hash)
            if key == self.seen.modal:
                return
            self.seen.modal = key
            inputs = self._show_modal(view)
            if not inputs:
                self.screen.line("  (type a number to click, :close to close the modal)", "note")
                return
            values: dict[str, Any] = {}
            for block in inputs:
                answer = await self._ask_input(block, view.errors.get(block["block_id"]))
                if answer is _CANCEL:
                    await self.you.close_modal()
                    self.screen.line("(modal closed)", "note")
                    return
                if answer is not None:
                    values[f"{block['block_id']}/{block['element'].get('action_id')}"] = answer
            try:
                result = await self.you.submit_modal(values)
            except HumanActionError as error:
                self.screen.line(f"! {error}", "error")
                self.seen.modal = None
                continue
            await self.settle(show=False)
            self.show_new()
            if result.action == "errors":
                self.seen.modal = None
            elif result.action == "failed":
                self.screen.line("! Slack could not submit the modal (the coach did not answer in time)", "error")
                return

    def _show_modal(self, view: ViewRecord) -> list[dict[str, Any]]:
        self._start_numbering()
        self.screen.line(f"[modal] {view.title}", "header")
        inputs = []
        for block in view.blocks:
            if block.get("type") == "input":
                inputs.append(block)
                continue
            self.screen.lines(self.renderer.block(block, self._register, surface="modal"))
        self._finish_numbering()
        for block_id, error in view.errors.items():
            label = next((plain(b.get("label")) for b in inputs if b.get("block_id") == block_id), block_id)
            self.screen.line(f"  ! {label}: {error}", "error")
        return inputs

    async def _ask_input(self, block: dict[str, Any], error: str | None) -> Any:
        element = block.get("element", {})
        kind = element.get("type", "")
        label = plain(block.get("label"))
        hint = " (optional)" if block.get("optional") and "optional" not in label.lower() else ""
        options = [(plain(o.get("text")), o.get("value")) for o in _options(element)]
        if options:
            listing = "  ".join(f"{n}) {text}" for n, (text, _) in enumerate(options, start=1))
            self.screen.line(f"  {label}: {listing}", "dim")
        if error:
            self.screen.line(f"  ! {error}", "error")
        multi = kind in ("checkboxes", "multi_static_select")
        suffix = {"datepicker": " (YYYY-MM-DD)", "timepicker": " (HH:MM)"}.get(kind, "")
        if multi:
            suffix = " (numbers, comma-separated)"
        answer = await self.ask(f"  {label}{hint}{suffix} > ")
        if answer is None or answer.strip() == ":cancel":
            return _CANCEL
        answer = answer.strip()
        if not answer:
            return None
        if options:
            picks = [part.strip() for part in answer.split(",")] if multi else [answer]
            chosen = [options[int(p) - 1][1] if p.isdigit() and 0 < int(p) <= len(options) else p for p in picks]
            return chosen if multi else chosen[0]
        return answer

    # ---- names --------------------------------------------------------------------------------------------

    def _user_name(self, user_id: str) -> str:
        user = self.slack.workspace.users.get(user_id)
        if user is None:
            return user_id
        return "coach" if user.id == self.slack.bot_user_id else user.name

    def _channel_name(self, channel_id: str) -> str:
        conversation = self.slack.workspace.conversations.get(channel_id)
        if conversation is None:
            return channel_id
        return "DM" if conversation.is_im else conversation.name


_CANCEL = object()


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    if element.get("type") not in SELECTS:
        return []
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _digest(message: Message | Ephemeral) -> str:
    content = json.dumps([message.text, message.blocks, getattr(message, "files", [])], sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def _line_reader(stdin: IO[str]) -> Callable[[], Awaitable[str | None]]:
    """Lines from stdin, read by a daemon thread (so Ctrl-C never waits for a pending read); None at the end."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def hand_over(line: str | None) -> bool:
        try:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        except RuntimeError:  # the demo already ended
            return False
        return True

    def pump() -> None:
        for line in iter(stdin.readline, ""):
            if not hand_over(line.rstrip("\r\n")):
                return
        hand_over(None)

    threading.Thread(target=pump, name="demo-stdin", daemon=True).start()

    async def read() -> str | None:
        return await lines.get()

    return read


async def run_demo(settings: Any, *, stdin: IO[str], stdout: IO[str], clock: Clock | None = None) -> None:
    """Start the local Slack and the coach in this process, then chat over stdin/stdout until the end."""
    from bot.manifest import build_manifest
    from bot.runtime import open_coach, serving_http

    clock = clock or ManualClock()
    screen = Screen(stdout)
    interactive = _isatty(stdin)
    if interactive:
        screen.line("Starting the local Slack and the coach (the first start indexes the bundled guide)...", "note")
    team_id = "T" + secrets.token_hex(4).upper()
    async with LocalSlack(clock=clock, manifest=build_manifest(), team_id=team_id) as slack:
        seeded = slack.seed_default()
        demo_settings = slack.coach_settings(settings)
        async with (
            open_coach(demo_settings, clock=clock) as coach,
            serving_http(coach, host="127.0.0.1", port=0) as port,
        ):
            slack.set_request_url(f"http://127.0.0.1:{port}/slack/events")
            files_dir = settings.data_dir.resolve() / "demo-files"
            demo = Demo(
                slack,
                seeded.you,
                seeded.general,
                screen,
                _line_reader(stdin),
                interactive=interactive,
                files_dir=files_dir,
            )
            screen.line("Flywheel Coach demo: a local Slack with you, #general and a DM with the coach.", "note")
            if interactive:
                screen.line(HELP, "note")
            await demo.open_messages_tab()
            await demo.run()
            await slack.wait_idle(quiet=QUIET_SECONDS, timeout=SETTLE_SECONDS)
            slack.set_request_url(None)
