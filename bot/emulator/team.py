"""`Team`: one workspace of the local Slack as a test drives it: its people, channels, state and the app there.

`LocalSlack` is itself a `Team` (its default workspace, with the app pre-installed); `slack.add_workspace(...)`
returns more. People belong to one workspace: their actions carry its team, enterprise and authorizations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.emulator.checks import Manifest
from bot.emulator.emitter import EventEmitter
from bot.emulator.humans import Human, HumanActionError
from bot.emulator.installs import BotIdentity, Installation
from bot.emulator.journal import ApiCall, Delivery
from bot.emulator.waiting import wait_until
from bot.emulator.web_api import WebApi
from bot.emulator.workspace import Conversation, Enterprise, Ephemeral, FileRecord, Message, ViewRecord, Workspace

if TYPE_CHECKING:
    from bot.emulator.server import LocalSlack

UserRef = Human | str


@dataclass
class DefaultWorkspace:
    """What `seed_default()` creates: two people and #general (the app is in it)."""

    you: Human
    ana: Human
    general: str


class Team:
    """One workspace: people, channels, what they see, and the app's bot once it is installed here."""

    def __init__(self, slack: LocalSlack, workspace: Workspace) -> None:
        self.slack = slack
        self.workspace = workspace
        self.clock: Clock = slack.clock
        self.manifest: Manifest = slack.manifest
        self.identity: BotIdentity | None = None
        self.installation: Installation | None = None
        self._api: WebApi | None = None
        self._emitter: EventEmitter | None = None

    def __repr__(self) -> str:
        return f"Team({self.name!r}, {self.team_id})"

    # ---- who and where --------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The workspace's name."""
        return self.workspace.team_name

    @property
    def team_id(self) -> str:
        """The workspace id (`T…`)."""
        return self.workspace.team_id

    @property
    def enterprise(self) -> Enterprise | None:
        """The Enterprise Grid organization this workspace belongs to, if any."""
        return self.workspace.enterprise

    @property
    def installed(self) -> bool:
        """The app is installed here (and its tokens work)."""
        return self.installation is not None and self.installation.active

    @property
    def is_enterprise_install(self) -> bool:
        """The app is here through an org-wide install of its enterprise."""
        return self.installation is not None and self.installation.is_enterprise_install

    @property
    def bot(self) -> BotIdentity:
        """The app's bot in this workspace."""
        if self.identity is None:
            raise HumanActionError(f"the app was never installed in {self.name} (consent first, or installed=True)")
        return self.identity

    @property
    def bot_token(self) -> str:
        """The current bot token (`xoxb-…`) of the app's installation here."""
        grant = self.installation.current("bot") if self.installation is not None else None
        if grant is None:
            raise HumanActionError(f"the app is not installed in {self.name}")
        return grant.token

    @property
    def bot_user_id(self) -> str:
        """The bot's user id (`U…`, `W…` for an org-wide install), as auth.test reports it."""
        return self.bot.user_id

    @property
    def bot_id(self) -> str:
        """The bot id (`B…`) on the app's messages."""
        return self.bot.bot_id

    @property
    def app_id(self) -> str:
        """The app id (`A…`), the same in every workspace."""
        return self.slack.app_id

    @property
    def base_url(self) -> str:
        """The local Slack's `http://127.0.0.1:PORT/`."""
        return self.slack.base_url

    @property
    def api(self) -> WebApi:
        """The Web API as the app's token sees this workspace."""
        if self._api is None:
            raise HumanActionError(f"the app was never installed in {self.name}")
        return self._api

    @property
    def emitter(self) -> EventEmitter:
        """Turns this workspace's changes into the app's events."""
        if self._emitter is None:
            raise HumanActionError(f"the app was never installed in {self.name}")
        return self._emitter

    def attach_bot(self, identity: BotIdentity) -> None:
        """Give the app's bot a place here (its Web API and events); tokens come with `serve`."""
        slack = self.slack
        self.identity = identity
        self._emitter = EventEmitter(
            workspace=self.workspace,
            manifest=self.manifest,
            engine=slack.engine,
            journal=slack.journal,
            bot=identity,
            spawn=slack.spawn,
        )
        self._api = WebApi(
            workspace=self.workspace,
            journal=slack.journal,
            faults=slack.faults,
            manifest=self.manifest,
            bot=identity,
            emitter=self._emitter,
            report=slack.report,
            base_url=lambda: slack.base_url,
            trigger_ttl=slack.trigger_ttl,
        )

    def serve(self, installation: Installation | None) -> None:
        """The installation whose tokens act here now (None: the app was uninstalled)."""
        self.installation = installation
        if self._api is not None and self._emitter is not None:
            self._api.installation = installation
            self._emitter.installation = installation

    # ---- people and places ----------------------------------------------------------------------------

    def add_user(self, name: str, *, tz: str = "UTC", real_name: str | None = None, email: str | None = None) -> Human:
        """A new person (with an IANA time zone) in this workspace."""
        return Human(self, self.workspace.add_user(name, tz=tz, real_name=real_name, email=email).id)

    def user(self, ref: UserRef) -> Human:
        """A person by name or id."""
        if isinstance(ref, Human):
            return ref
        return Human(self, self.workspace.find_user(ref).id)

    def _user_id(self, ref: UserRef) -> str:
        return ref.id if isinstance(ref, Human) else self.workspace.find_user(ref).id

    def add_channel(
        self, name: str, *, members: Iterable[UserRef] = (), bot_member: bool | None = None, private: bool = False
    ) -> str:
        """A new channel with these people, and the app unless `bot_member=False` (or it isn't installed)."""
        member_ids = [self._user_id(m) for m in members]
        if bot_member is None:
            bot_member = self.identity is not None
        if bot_member:
            member_ids.append(self.bot_user_id)
        creator = member_ids[0] if member_ids else (self.identity.user_id if self.identity else "USLACKBOT")
        return self.workspace.add_conversation(
            name, kind="group" if private else "channel", members=member_ids, creator=creator
        ).id

    def channel_id(self, name: str) -> str:
        """A channel's id from its name (`general` or `#general`)."""
        return self._conversation(name).id

    def _conversation(self, ref: str) -> Conversation:
        conversation = self.workspace.find_conversation(ref)
        if conversation is None:
            raise KeyError(f"no conversation {ref!r} in {self.name}")
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
        """The usual cast: `you` and `ana`, #general with both (and the app, with their DMs, once installed)."""
        you = self.add_user("you", tz=you_tz, real_name="You")
        ana = self.add_user("ana", tz=ana_tz, real_name="Ana")
        general = self.add_channel("general", members=[you, ana])
        if self.identity is not None:
            self.dm_channel(you)
            self.dm_channel(ana)
        return DefaultWorkspace(you=you, ana=ana, general=general)

    # ---- what people's actions send the app -----------------------------------------------------------

    def report(self, problem: str) -> None:
        """Record something real Slack would refuse or punish (see LocalSlack.problems)."""
        self.slack.report(problem)

    def activity_started(self) -> None:
        """A person acted: from now on wait_idle also waits for the app's new tasks."""
        self.slack.activity_started()

    async def deliver(self, kind: str, label: str, payload: dict[str, Any]) -> Delivery:
        """Deliver a command or interaction as a person's action (raises when the app can't receive it)."""
        if not self.installed:
            raise HumanActionError(f"the app is not installed in {self.name}: nothing receives {label}")
        self.slack.require_transport()
        self.activity_started()
        return await self.slack.engine.deliver(kind, label, payload)

    async def emit_all(self, planned: Sequence[tuple[dict[str, Any], Conversation | None]]) -> list[Delivery]:
        """Deliver the events the app wants among `planned`, concurrently, as Slack does (none if not installed)."""
        if not self.installed:
            return []
        wanted = [(event, conversation) for event, conversation in planned if self.emitter.wants(event, conversation)]
        if not wanted:
            return []
        self.slack.require_transport()
        results = await asyncio.gather(*(self.emitter.emit(e, c) for e, c in wanted))
        return [r for r in results if r is not None]

    async def deliver_event(self, event: dict[str, Any], channel: str | None = None) -> Delivery | None:
        """Deliver any event the app subscribed to (for events no helper produces)."""
        conversation = self._conversation(channel) if channel else None
        self.activity_started()
        deliveries = await self.emit_all([(event, conversation)])
        return deliveries[0] if deliveries else None

    # ---- reading the state ----------------------------------------------------------------------------

    def _is_bot(self, bot_id: str | None) -> bool:
        return self.identity is not None and bot_id == self.identity.bot_id

    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[Message]:
        """Messages in ts order: a channel's (all of them, replies included), one thread's, or everyone's."""
        channel_id = self._conversation(channel).id if channel else None
        return self.workspace.channel_messages(channel_id, thread_ts)

    def bot_messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[Message]:
        """The app's messages, as `messages()`."""
        return [m for m in self.messages(channel, thread_ts) if self._is_bot(m.bot_id)]

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
        """Web API calls made with a token acting in this workspace, in order."""
        return self.slack.journal.api_calls(method, team_id=self.team_id)

    def deliveries(self, kind: str | None = None) -> list[Delivery]:
        """Deliveries from this workspace; `kind` is `event`/`command`/`interactive` or a label."""
        return self.slack.journal.deliveries(kind, team_id=self.team_id)

    # ---- waiting --------------------------------------------------------------------------------------

    async def _wait(self, check: Callable[[], Any], limit: float, describe: Callable[[], str]) -> Any:
        return await wait_until(self.slack.notifier, check, limit=limit, describe=describe)

    def _problem_tail(self) -> str:
        problems = self.slack.problems
        return ("\nproblems so far:\n- " + "\n- ".join(problems)) if problems else ""

    def _name(self, user_id: str) -> str:
        user = self.workspace.users.get(user_id)
        return user.name if user else user_id

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
                and (from_bot is None or self._is_bot(m.bot_id) == from_bot)
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
