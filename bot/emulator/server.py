"""`LocalSlack`: the local Slack stand-in, served on 127.0.0.1 with a free port.

async with LocalSlack(manifest=build_manifest()) as slack:
    ana = slack.add_user("ana", tz="Europe/Berlin")
    ...  # connect the app (see bot.emulator.harness), then act as ana and wait on the state
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.emulator import api_chat, api_files
from bot.emulator.checks import Manifest
from bot.emulator.delivery import ACK_DEADLINE_SECONDS, DeliveryEngine, sign
from bot.emulator.emitter import EventEmitter
from bot.emulator.faults import Faults
from bot.emulator.humans import Human, HumanActionError
from bot.emulator.journal import ApiCall, Delivery, Journal
from bot.emulator.responses import answer_response_url, read_response_body
from bot.emulator.socket_hub import SocketHub
from bot.emulator.waiting import Notifier, WaitTimeout, wait_until
from bot.emulator.web_api import BotIdentity, WebApi
from bot.emulator.workspace import (
    TRIGGER_TTL_SECONDS,
    Conversation,
    Ephemeral,
    FileRecord,
    Message,
    ViewRecord,
    Workspace,
)

logger = logging.getLogger("bot.emulator")

# How often scheduled messages are checked against the (movable) clock.
SCHEDULER_TICK_SECONDS = 0.1
# Coroutines that live as long as a connection or the process, not a piece of work: wait_idle doesn't wait
# for them (aiohttp's connection loops and WebSocket handlers, the Socket Mode client's loops, our ticker).
_CONNECTION_TASKS = frozenset(
    {
        "RequestHandler.start",
        "RequestHandler._handle_request",
        "SocketModeClient.monitor_current_session",
        "SocketModeClient.receive_messages",
        "AsyncBaseSocketModeClient.process_messages",
        "LocalSlack._ticker",
    }
)

UserRef = Human | str
DEFAULT_BOT_NAME = "coach"


@dataclass
class DefaultWorkspace:
    """What `seed_default()` creates: two people and #general (the app is in it)."""

    you: Human
    ana: Human
    general: str


class LocalSlack:
    """A stateful Slack stand-in: Web API, signed HTTP delivery, Socket Mode, journal, checks, faults."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        signing_secret: str | None = None,
        manifest: dict[str, Any] | None = None,
        journal_path: Path | str | None = None,
        team_name: str = "Flywheel Local",
        team_domain: str = "flywheel-local",
        team_id: str | None = None,
        ack_deadline: float = ACK_DEADLINE_SECONDS,
        event_retries: int = 0,
        trigger_ttl: float = TRIGGER_TTL_SECONDS,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.signing_secret = signing_secret or secrets.token_hex(16)
        self._notifier = Notifier()
        self._problems: list[str] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._task_baseline: set[asyncio.Task[Any]] | None = None
        self._hooks_in_flight = 0
        self._runner: web.AppRunner | None = None
        self._ticker_task: asyncio.Task[None] | None = None
        self._port: int | None = None
        self.journal = Journal(path=journal_path, on_change=self._notifier.notify)
        self.workspace = Workspace(
            clock=self.clock,
            team_name=team_name,
            team_domain=team_domain,
            team_id=team_id,
            on_change=self._notifier.notify,
        )
        self.manifest = Manifest(manifest)
        bot_user = self.workspace.add_user(
            self.manifest.bot_name or DEFAULT_BOT_NAME, is_bot=True, real_name=self.manifest.bot_name
        )
        bot_user.bot_id = self.workspace.new_id("B")
        bot_user.app_id = self.workspace.new_id("A")
        self.bot = BotIdentity(
            user_id=bot_user.id,
            bot_id=bot_user.bot_id,
            app_id=bot_user.app_id,
            name=bot_user.name,
            bot_token=f"xoxb-{self.workspace.team_id}-{bot_user.id}-{secrets.token_hex(12)}",
            app_token=f"xapp-1-{bot_user.app_id}-{secrets.token_hex(12)}",
        )
        self.faults = Faults()
        self.hub = SocketHub(app_id=self.bot.app_id, on_change=self._notifier.notify)
        self.engine = DeliveryEngine(
            signing_secret=self.signing_secret,
            journal=self.journal,
            hub=self.hub,
            faults=self.faults,
            clock=self.clock,
            report=self.report,
            ack_deadline=ack_deadline,
            event_retries=event_retries,
        )
        self.emitter = EventEmitter(
            workspace=self.workspace,
            manifest=self.manifest,
            engine=self.engine,
            journal=self.journal,
            bot=self.bot,
            spawn=self._spawn,
        )
        self.api = WebApi(
            workspace=self.workspace,
            journal=self.journal,
            faults=self.faults,
            manifest=self.manifest,
            bot=self.bot,
            emitter=self.emitter,
            report=self.report,
            base_url=lambda: self.base_url,
            issue_socket_url=self._issue_socket_url,
        )
        self.api.trigger_ttl = trigger_ttl
        for problem in self.manifest.problems():
            self.report(problem)

    # ---- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> LocalSlack:
        """Listen on 127.0.0.1 (a free port) and start delivering."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self.api.handle)
        app.router.add_post("/upload/v1/{key}", self._upload)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        app.router.add_get("/files/{file_id}/download/{name}", self._download)
        app.router.add_post("/response/{hook}", self._response_url)
        app.router.add_get("/link", self.hub.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        await self.engine.start()
        self._ticker_task = asyncio.get_running_loop().create_task(self._ticker())
        logger.debug("local Slack listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Stop everything: background deliveries, Socket Mode connections, the HTTP server."""
        if self._ticker_task is not None:
            self._ticker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker_task
            self._ticker_task = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.hub.close()
        await self.engine.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalSlack:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- addresses and identity -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/`."""
        if self._port is None:
            raise RuntimeError("the local Slack is not started (await slack.start())")
        return f"http://127.0.0.1:{self._port}/"

    @property
    def api_url(self) -> str:
        """The Web API base URL to give AsyncWebClient(base_url=...)."""
        return f"{self.base_url}api/"

    @property
    def bot_token(self) -> str:
        """The app's bot token (`xoxb-…`)."""
        return self.bot.bot_token

    @property
    def app_token(self) -> str:
        """The app-level token for Socket Mode (`xapp-…`)."""
        return self.bot.app_token

    @property
    def team_id(self) -> str:
        """The workspace id (`T…`)."""
        return self.workspace.team_id

    @property
    def bot_user_id(self) -> str:
        """The bot's user id (`U…`), as auth.test reports it."""
        return self.bot.user_id

    @property
    def bot_id(self) -> str:
        """The bot id (`B…`) on the app's messages."""
        return self.bot.bot_id

    @property
    def app_id(self) -> str:
        """The app id (`A…`)."""
        return self.bot.app_id

    def coach_settings(self, settings: Settings, **overrides: Any) -> Settings:
        """`settings` aimed at this local Slack (its tokens, signing secret and Web API), then `overrides`."""
        return settings.model_copy(
            update={
                "slack_bot_token": self.bot_token,
                "slack_signing_secret": self.signing_secret,
                "slack_app_token": self.app_token,
                "slack_api_url": self.api_url,
                **overrides,
            }
        )

    def set_request_url(self, url: str | None) -> None:
        """Deliver over HTTP to `url` (None: over Socket Mode when a client is connected)."""
        self.engine.request_url = url

    def _issue_socket_url(self) -> str:
        return self.hub.issue_url(f"ws://127.0.0.1:{self._port}/")

    # ---- people and places ----------------------------------------------------------------------------

    def add_user(self, name: str, *, tz: str = "UTC", real_name: str | None = None, email: str | None = None) -> Human:
        """A new person (with an IANA time zone)."""
        return Human(self, self.workspace.add_user(name, tz=tz, real_name=real_name, email=email).id)

    def user(self, ref: UserRef) -> Human:
        """A person by name or id."""
        if isinstance(ref, Human):
            return ref
        return Human(self, self.workspace.find_user(ref).id)

    def _user_id(self, ref: UserRef) -> str:
        return ref.id if isinstance(ref, Human) else self.workspace.find_user(ref).id

    def add_channel(
        self, name: str, *, members: Iterable[UserRef] = (), bot_member: bool = True, private: bool = False
    ) -> str:
        """A new channel with these people (and the app, unless `bot_member=False`); returns its id."""
        member_ids = [self._user_id(m) for m in members]
        if bot_member:
            member_ids.append(self.bot_user_id)
        creator = member_ids[0] if member_ids else self.bot_user_id
        return self.workspace.add_conversation(
            name, kind="group" if private else "channel", members=member_ids, creator=creator
        ).id

    def channel_id(self, name: str) -> str:
        """A channel's id from its name (`general` or `#general`)."""
        return self._conversation(name).id

    def _conversation(self, ref: str) -> Conversation:
        conversation = self.workspace.find_conversation(ref)
        if conversation is None:
            raise KeyError(f"no conversation {ref!r}")
        return conversation

    def dm_channel(self, user: UserRef) -> str:
        """The id of a person's DM with the app (opened if needed)."""
        return self.workspace.ensure_im(self.bot_user_id, self._user_id(user)).id

    def join(self, channel: str, user: UserRef) -> None:
        """Add a person to a channel."""
        conversation = self._conversation(channel)
        user_id = self._user_id(user)
        if user_id not in conversation.members:
            conversation.members.append(user_id)
            self.workspace.changed()

    def archive_channel(self, channel: str) -> None:
        """Archive a channel (posting there fails with `is_archived`)."""
        self._conversation(channel).is_archived = True
        self.workspace.changed()

    def remove_bot_from(self, channel: str) -> None:
        """Take the app out of a channel (posting there fails with `not_in_channel`)."""
        conversation = self._conversation(channel)
        if self.bot_user_id in conversation.members:
            conversation.members.remove(self.bot_user_id)
            self.workspace.changed()

    def add_bot_to(self, channel: str) -> None:
        """Invite the app into a channel."""
        self.join(channel, self.bot_user_id)

    def seed_default(self, *, you_tz: str = "UTC", ana_tz: str = "Europe/Berlin") -> DefaultWorkspace:
        """The usual cast: `you` and `ana`, #general with both and the app, and their DMs with the app."""
        you = self.add_user("you", tz=you_tz, real_name="You")
        ana = self.add_user("ana", tz=ana_tz, real_name="Ana")
        general = self.add_channel("general", members=[you, ana])
        self.dm_channel(you)
        self.dm_channel(ana)
        return DefaultWorkspace(you=you, ana=ana, general=general)

    # ---- the clock ------------------------------------------------------------------------------------

    def advance(self, delta: timedelta) -> datetime:
        """Move a ManualClock forward and post scheduled messages that became due; returns the new time."""
        move = getattr(self.clock, "advance", None)
        if move is None:
            raise TypeError("advance() needs a clock that can move (bot.clock.ManualClock)")
        self.activity_started()
        moved = move(delta)
        self._post_due()
        self._notifier.notify()
        return moved

    def _post_due(self) -> None:
        api_chat.post_due_scheduled(self.api)

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(SCHEDULER_TICK_SECONDS)
            self._post_due()

    # ---- problems -------------------------------------------------------------------------------------

    def report(self, problem: str) -> None:
        """Record something real Slack would refuse or punish (tests fail on `problems`)."""
        self._problems.append(problem)
        self.journal.note("problem", problem, self.clock.now())
        logger.warning("local Slack problem: %s", problem)

    @property
    def problems(self) -> list[str]:
        """Everything found so far that would go wrong in real Slack."""
        return list(self._problems)

    def assert_no_problems(self) -> None:
        """Fail (AssertionError) listing the problems found, if any."""
        if self._problems:
            raise AssertionError("the local Slack found problems:\n- " + "\n- ".join(self._problems))

    def clear_problems(self) -> list[str]:
        """Forget the problems found so far (after a test that provokes them on purpose); returns them."""
        found, self._problems = self._problems, []
        return found

    # ---- deliveries -----------------------------------------------------------------------------------

    def activity_started(self) -> None:
        """A person acted (or time moved): from now on wait_idle also waits for the app's new tasks."""
        if self._task_baseline is None:
            with contextlib.suppress(RuntimeError):
                self._task_baseline = set(asyncio.all_tasks())

    def _require_transport(self) -> None:
        if self.engine.transport() is None:
            raise HumanActionError(
                "no app is connected: call set_request_url(...) for HTTP, or connect an "
                "AsyncSocketModeHandler and await wait_for_socket_connection()"
            )

    async def deliver(self, kind: str, label: str, payload: dict[str, Any]) -> Delivery:
        """Deliver a command or interaction as a person's action (raises when no app is connected)."""
        self._require_transport()
        self.activity_started()
        return await self.engine.deliver(kind, label, payload)

    async def emit_all(self, planned: Sequence[tuple[dict[str, Any], Conversation | None]]) -> list[Delivery]:
        """Deliver the events the app wants among `planned`, concurrently, as Slack does."""
        wanted = [(event, conversation) for event, conversation in planned if self.emitter.wants(event, conversation)]
        if not wanted:
            return []
        self._require_transport()
        results = await asyncio.gather(*(self.emitter.emit(e, c) for e, c in wanted))
        return [r for r in results if r is not None]

    async def deliver_event(self, event: dict[str, Any], channel: str | None = None) -> Delivery | None:
        """Deliver any event the app subscribed to (for events no helper produces)."""
        conversation = self._conversation(channel) if channel else None
        self.activity_started()
        deliveries = await self.emit_all([(event, conversation)])
        return deliveries[0] if deliveries else None

    async def redeliver(self, event_id: str, retry_num: int = 1, reason: str = "http_timeout") -> Delivery:
        """Deliver a past event again (same event_id), as Slack's retry number `retry_num`."""
        original = next((d for d in self.journal.deliveries("event") if d.event_id == event_id), None)
        if original is None:
            raise KeyError(f"no event {event_id!r} was delivered")
        self._require_transport()
        self.activity_started()
        return await self.engine.deliver(
            "event", original.label, original.payload, retry_num=retry_num, retry_reason=reason
        )

    async def deliver_raw(self, body: bytes, headers: dict[str, str]) -> Delivery:
        """POST exactly these bytes and headers to the request URL (malformed bodies, forged signatures)."""
        self.activity_started()
        return await self.engine.deliver_raw(body, headers)

    def sign(self, body: bytes, timestamp: int | str | None = None, secret: str | None = None) -> dict[str, str]:
        """Signature headers for `body` (now, with the app's secret, unless told otherwise)."""
        return sign(body, secret=secret or self.signing_secret, timestamp=timestamp)

    async def disconnect_socket(self, reason: str = "refresh_requested") -> None:
        """Send Socket Mode clients a `disconnect` frame (they should reconnect)."""
        await self.hub.disconnect(reason)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)

        def finished(done: asyncio.Task[Any]) -> None:
            self._tasks.discard(done)
            if not done.cancelled() and done.exception() is not None:
                logger.error("local Slack background delivery failed", exc_info=done.exception())
            self._notifier.notify()

        task.add_done_callback(finished)
        return task

    async def _upload(self, request: web.Request) -> web.Response:
        return await api_files.receive_upload(self.workspace, request)

    async def _download(self, request: web.Request) -> web.Response:
        return await api_files.serve_file(self.workspace, request)

    async def _response_url(self, request: web.Request) -> web.Response:
        hook = self.workspace.response_hooks.get(request.match_info["hook"])
        body = await read_response_body(request)
        call = ApiCall(
            seq=self.journal.next_seq(),
            method="response_url",
            params=body,
            token=None,
            http_method="POST",
            at=self.clock.now(),
        )
        self.journal.add(call)
        self._hooks_in_flight += 1
        try:
            if hook is None:
                status, text = 404, "no_such_url"
            else:
                status, text = await answer_response_url(self.api, hook, body)
        finally:
            self._hooks_in_flight -= 1
        call.status, call.response = status, {"ok": status == 200, **({} if status == 200 else {"error": text})}
        self.journal.finish(call)
        return web.Response(status=status, text=text)

    # ---- reading the state ----------------------------------------------------------------------------

    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[Message]:
        """Messages in ts order: a channel's (all of them, replies included), one thread's, or everyone's."""
        channel_id = self._conversation(channel).id if channel else None
        return self.workspace.channel_messages(channel_id, thread_ts)

    def bot_messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[Message]:
        """The app's messages, as `messages()`."""
        return [m for m in self.messages(channel, thread_ts) if m.bot_id == self.bot_id]

    def ephemerals(self, user: UserRef, channel: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages a person was shown (still visible), oldest first."""
        user_id = self._user_id(user)
        channel_id = self._conversation(channel).id if channel else None
        return [
            e
            for e in self.workspace.ephemerals
            if e.user == user_id and not e.deleted and (channel_id is None or e.channel == channel_id)
        ]

    def open_modal(self, user: UserRef) -> ViewRecord | None:
        """The modal a person is looking at (top of the stack)."""
        return self.workspace.top_modal(self._user_id(user))

    def modal_stack(self, user: UserRef) -> list[ViewRecord]:
        """A person's open modals, root first."""
        return list(self.workspace.modal_stack(self._user_id(user)))

    def home_view(self, user: UserRef) -> ViewRecord | None:
        """A person's published Home tab."""
        return self.workspace.homes.get(self._user_id(user))

    def files(self, channel: str | None = None) -> list[FileRecord]:
        """Completed uploads (with their bytes), optionally only those shared into `channel`."""
        channel_id = self._conversation(channel).id if channel else None
        return [
            f for f in self.workspace.files.values() if f.completed and (channel_id is None or channel_id in f.channels)
        ]

    def api_calls(self, method: str | None = None) -> list[ApiCall]:
        """Web API calls made so far (and `response_url` answers), in order."""
        return self.journal.api_calls(method)

    def deliveries(self, kind: str | None = None) -> list[Delivery]:
        """Deliveries so far; `kind` is `event`/`command`/`interactive`/`raw` or a label (`app_mention`)."""
        return self.journal.deliveries(kind)

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode connections were ever made."""
        return self.hub.connections_made

    # ---- waiting --------------------------------------------------------------------------------------

    async def _wait(self, check: Callable[[], Any], limit: float, describe: Callable[[], str]) -> Any:
        return await wait_until(self._notifier, check, limit=limit, describe=describe)

    async def wait_for_message(
        self,
        predicate: Callable[[Message], bool] | None = None,
        *,
        channel: str | None = None,
        thread_ts: str | None = None,
        from_bot: bool | None = True,
        contains: str | None = None,
        count: int = 1,
        since: str | None = None,
        timeout: float = 10,
    ) -> Message:
        """The `count`-th finished message matching everything given (the app's, by default)."""

        def matching() -> list[Message]:
            return [
                m
                for m in self.messages(channel, thread_ts)
                if not m.streaming
                and (from_bot is None or (m.bot_id == self.bot_id) == from_bot)
                and (contains is None or contains.lower() in m.all_text().lower())
                and (since is None or float(m.ts) > float(since))
                and (predicate is None or predicate(m))
            ]

        def describe() -> str:
            found = self.messages(channel, thread_ts)[-6:]
            lines = "\n".join(f"  {m.ts} {self._name(m.user)}: {m.all_text()[:120]!r}" for m in found)
            return (
                f"message #{count} (channel={channel}, thread_ts={thread_ts}, contains={contains!r}, "
                f"from_bot={from_bot}); latest messages there:\n{lines or '  (none)'}{self._problem_tail()}"
            )

        return await self._wait(lambda: next(iter(matching()[count - 1 : count]), None), timeout, describe)

    async def wait_for_call(
        self,
        method: str | None,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 10,
    ) -> ApiCall:
        """The `count`-th answered call of `method` (None: of any method) matching the predicate."""

        def check() -> ApiCall | None:
            calls = [c for c in self.api_calls(method) if c.status and (predicate is None or predicate(c))]
            return calls[count - 1] if len(calls) >= count else None

        def describe() -> str:
            recent = ", ".join(c.method for c in self.api_calls()[-10:])
            return f"call #{count} of {method or 'any method'}; recent calls: {recent or 'none'}{self._problem_tail()}"

        return await self._wait(check, timeout, describe)

    async def wait_for_ephemeral(
        self,
        user: UserRef,
        predicate: Callable[[Ephemeral], bool] | None = None,
        *,
        contains: str | None = None,
        channel: str | None = None,
        count: int = 1,
        timeout: float = 10,
    ) -> Ephemeral:
        """The `count`-th ephemeral message shown to a person matching everything given."""

        def check() -> Ephemeral | None:
            found = [
                e
                for e in self.ephemerals(user, channel)
                if (contains is None or contains.lower() in e.all_text().lower())
                and (predicate is None or predicate(e))
            ]
            return found[count - 1] if len(found) >= count else None

        def describe() -> str:
            shown = "\n".join(f"  {e.all_text()[:120]!r}" for e in self.ephemerals(user)[-5:])
            return (
                f"ephemeral #{count} for {user} (contains={contains!r}); shown:\n{shown or '  (none)'}"
                f"{self._problem_tail()}"
            )

        return await self._wait(check, timeout, describe)

    async def wait_for_modal(
        self,
        user: UserRef,
        predicate: Callable[[ViewRecord], bool] | None = None,
        *,
        callback_id: str | None = None,
        timeout: float = 10,
    ) -> ViewRecord:
        """The modal a person sees, once one matching is open."""

        def check() -> ViewRecord | None:
            view = self.open_modal(user)
            if view is None or (callback_id is not None and view.callback_id != callback_id):
                return None
            return view if predicate is None or predicate(view) else None

        def describe() -> str:
            view = self.open_modal(user)
            seen = f"{view.callback_id!r} ({view.title!r})" if view else "none"
            return f"a modal for {user} (callback_id={callback_id!r}); open: {seen}{self._problem_tail()}"

        return await self._wait(check, timeout, describe)

    async def wait_for_home(
        self,
        user: UserRef,
        predicate: Callable[[ViewRecord], bool] | None = None,
        *,
        contains: str | None = None,
        timeout: float = 10,
    ) -> ViewRecord:
        """A person's Home tab, once published (and matching)."""

        def check() -> ViewRecord | None:
            view = self.home_view(user)
            if view is None or (contains is not None and contains.lower() not in view.all_text().lower()):
                return None
            return view if predicate is None or predicate(view) else None

        return await self._wait(
            check, timeout, lambda: f"a Home tab for {user} (contains={contains!r}){self._problem_tail()}"
        )

    async def wait_for_file(
        self,
        predicate: Callable[[FileRecord], bool] | None = None,
        *,
        channel: str | None = None,
        name: str | None = None,
        timeout: float = 10,
    ) -> FileRecord:
        """A completed upload (shared into `channel`, named `name`, matching the predicate)."""

        def check() -> FileRecord | None:
            for record in self.files(channel):
                if (name is None or record.name == name) and (predicate is None or predicate(record)):
                    return record
            return None

        return await self._wait(
            check, timeout, lambda: f"a file (channel={channel}, name={name}){self._problem_tail()}"
        )

    async def wait_for_delivery(
        self,
        kind: str | None = None,
        predicate: Callable[[Delivery], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 10,
    ) -> Delivery:
        """The `count`-th finished delivery of `kind` (or label) matching the predicate."""

        def check() -> Delivery | None:
            found = [d for d in self.deliveries(kind) if d.done and (predicate is None or predicate(d))]
            return found[count - 1] if len(found) >= count else None

        return await self._wait(check, timeout, lambda: f"delivery #{count} of {kind}{self._problem_tail()}")

    async def wait_for_socket_connection(self, count: int = 1, timeout: float = 10) -> None:
        """Until `count` Socket Mode connections were made and one is open (the hello was sent)."""
        await self._wait(
            lambda: self.hub.connections_made >= count and self.hub.active() is not None,
            timeout,
            lambda: f"Socket Mode connection #{count} (made: {self.hub.connections_made})",
        )

    async def wait_idle(self, *, quiet: float = 0.1, timeout: float = 10) -> None:
        """Until nothing is in flight (deliveries, API calls, the app's new tasks) for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while True:
            busy = self._busy()
            now = time.monotonic()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= quiet:
                self._task_baseline = None
                return
            if now > deadline:
                raise WaitTimeout(f"not idle after {timeout:g} s: {busy or 'activity kept restarting'}")
            await self._notifier.wait(min(0.05, quiet))

    def _busy(self) -> str:
        reasons = []
        if self.api.in_flight:
            reasons.append(f"{self.api.in_flight} API call(s) in flight")
        if self.engine.in_flight:
            reasons.append(f"{self.engine.in_flight} delivery(ies) awaiting an ack")
        if self._hooks_in_flight:
            reasons.append("a response_url answer in flight")
        if self._tasks:
            reasons.append(f"{len(self._tasks)} background delivery(ies)")
        pending = self._pending_app_tasks()
        if pending:
            reasons.append("app tasks still running: " + ", ".join(sorted(pending))[:300])
        return "; ".join(reasons)

    def _pending_app_tasks(self) -> list[str]:
        if self._task_baseline is None:
            return []
        current = asyncio.current_task()
        names = []
        for task in asyncio.all_tasks():
            if task is current or task in self._task_baseline or task.done():
                continue
            coroutine = task.get_coro()
            name = getattr(coroutine, "__qualname__", repr(coroutine))
            if name in _CONNECTION_TASKS:
                continue
            names.append(name)
        return names

    def _name(self, user_id: str) -> str:
        user = self.workspace.users.get(user_id)
        return user.name if user else user_id

    def _problem_tail(self) -> str:
        return ("\nproblems so far:\n- " + "\n- ".join(self._problems)) if self._problems else ""
