"""The local Slack's state: one workspace with its people, conversations, messages, views and files.

Pure in-memory bookkeeping with no I/O; the Web API and the human-action helpers change it, tests read it.
"""

from __future__ import annotations

import copy
import itertools
import mimetypes
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.clock import Clock

ConversationKind = Literal["channel", "group", "im", "mpim"]
ViewType = Literal["modal", "home"]

# How long a trigger_id stays usable (Slack: a few seconds, measured in real time).
TRIGGER_TTL_SECONDS = 3.0
# A response_url takes at most five answers within thirty minutes.
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60


class SlackError(Exception):
    """A business error the Web API answers as HTTP 200 `{"ok": false, "error": code, ...}`."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


# Keys under which Block Kit nests something a person reads.
_TEXT_CONTAINERS = frozenset(
    {
        "text",
        "title",
        "label",
        "placeholder",
        "fields",
        "elements",
        "options",
        "accessory",
        "element",
        "blocks",
        "hint",
        "option_groups",
        "description",
        "confirm",
        "rows",
        "cells",
    }
)


def texts_in(value: Any) -> Iterator[str]:
    """Every human-readable string in a message or view: text objects, fields, options, elements."""
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and isinstance(value.get("text"), str):
            yield value["text"]
            return
        if value.get("type") in ("text", "link") and isinstance(value.get("text"), str):
            yield value["text"]
        for key, item in value.items():
            if key in _TEXT_CONTAINERS and isinstance(item, dict | list):
                yield from texts_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_in(item)


def iter_elements(blocks: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, element) for every interactive element: accessories, actions, context actions, inputs."""
    for block in blocks:
        kind = block.get("type")
        if kind in ("actions", "context_actions"):
            for element in block.get("elements", []):
                yield block, element
        elif kind == "input" and isinstance(block.get("element"), dict):
            yield block, block["element"]
        elif kind in ("section", "context") and isinstance(block.get("accessory"), dict):
            yield block, block["accessory"]


def fill_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks with every missing block_id and action_id filled in, as Slack stores them (a copy)."""
    blocks = copy.deepcopy(blocks)
    for block in blocks:
        if isinstance(block, dict):
            block.setdefault("block_id", _short_id())
    for _block, element in iter_elements(blocks):
        if element.get("type") not in ("image", "plain_text", "mrkdwn"):
            element.setdefault("action_id", _short_id())
    return blocks


def _short_id(length: int = 5) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class User:
    """A person (or the bot's user) in the workspace."""

    id: str
    name: str
    real_name: str
    team_id: str
    tz: str = "UTC"
    email: str | None = None
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    deleted: bool = False

    def tz_offset(self, now: datetime) -> int:
        """Seconds east of UTC at `now` (Slack's `tz_offset`)."""
        offset = now.astimezone(ZoneInfo(self.tz)).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    def to_api(self, now: datetime) -> dict[str, Any]:
        """The user object as `users.info` returns it."""
        local = now.astimezone(ZoneInfo(self.tz))
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "display_name": self.name,
            "real_name_normalized": self.real_name,
            "display_name_normalized": self.name,
            "team": self.team_id,
            "image_48": "https://a.slack-edge.com/local/avatar_48.png",
        }
        if self.email:
            profile["email"] = self.email
        if self.is_bot:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = self.app_id
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": local.tzname() or self.tz,
            "tz_offset": self.tz_offset(now),
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_admin": False,
            "is_owner": False,
            "updated": int(now.timestamp()),
            "profile": profile,
        }


@dataclass
class Conversation:
    """A channel, private channel, DM or group DM."""

    id: str
    name: str
    kind: ConversationKind
    created: int
    creator: str
    members: list[str] = field(default_factory=list)
    is_archived: bool = False
    topic: str = ""
    purpose: str = ""

    @property
    def is_im(self) -> bool:
        """A direct message between one person and the bot (or another person)."""
        return self.kind == "im"

    def im_user(self, bot_user_id: str) -> str | None:
        """For a DM: the person on the other side from the bot."""
        if not self.is_im:
            return None
        others = [member for member in self.members if member != bot_user_id]
        return others[0] if others else bot_user_id

    def to_api(self, *, bot_user_id: str) -> dict[str, Any]:
        """The conversation object as `conversations.info` returns it."""
        data: dict[str, Any] = {
            "id": self.id,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_im": self.kind == "im",
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind in ("group", "im", "mpim"),
            "is_channel": self.kind == "channel",
            "is_group": self.kind == "group",
            "is_general": self.name == "general",
            "is_member": bot_user_id in self.members,
            "context_team_id": None,
        }
        if self.kind == "im":
            data["user"] = self.im_user(bot_user_id)
            data["is_open"] = True
        else:
            data.update(
                name=self.name,
                name_normalized=self.name,
                creator=self.creator,
                num_members=len(self.members),
                topic={"value": self.topic, "creator": "", "last_set": 0},
                purpose={"value": self.purpose, "creator": "", "last_set": 0},
            )
        return data


@dataclass
class Message:
    """A message in a conversation (top level or a thread reply)."""

    channel: str
    ts: str
    user: str
    team: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    subtype: str | None = None
    files: list[str] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edited: dict[str, str] | None = None
    client_msg_id: str | None = None
    streaming: bool = False
    deleted: bool = False
    username: str | None = None

    @property
    def is_reply(self) -> bool:
        """A reply inside a thread (not the thread's parent)."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def from_bot(self) -> bool:
        """Posted by an app's bot."""
        return self.bot_id is not None

    def all_text(self) -> str:
        """The fallback text and every text in the blocks, one per line (what `contains` searches)."""
        return "\n".join([self.text, *texts_in(self.blocks), *texts_in(self.attachments)])

    def action_elements(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(block, element) for each interactive element of the message."""
        return list(iter_elements(self.blocks))


@dataclass
class Ephemeral:
    """A message only one person sees (`chat.postEphemeral`, a command's ack, a `respond()`)."""

    channel: str
    user: str
    ts: str
    sender: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    source: str = "chat.postEphemeral"
    bot_id: str | None = None
    deleted: bool = False

    @property
    def from_bot(self) -> bool:
        """Ephemerals here always come from the app."""
        return True

    def all_text(self) -> str:
        """The fallback text and every text in the blocks."""
        return "\n".join([self.text, *texts_in(self.blocks), *texts_in(self.attachments)])

    def action_elements(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(block, element) for each interactive element."""
        return list(iter_elements(self.blocks))

    def to_api(self) -> dict[str, Any]:
        """The ephemeral as a message object."""
        data: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": self.text,
            "ts": self.ts,
            "user": self.sender,
            "bot_id": self.bot_id,
        }
        if self.blocks:
            data["blocks"] = self.blocks
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        return data


@dataclass
class ViewRecord:
    """A modal in someone's stack, or someone's Home tab."""

    id: str
    user: str
    type: ViewType
    definition: dict[str, Any]
    hash: str
    team_id: str
    app_id: str
    bot_id: str
    root_view_id: str
    previous_view_id: str | None = None
    external_id: str | None = None
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    closed: bool = False

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The view's blocks (block_ids and action_ids filled in)."""
        return self.definition.get("blocks", [])

    @property
    def title(self) -> str:
        """The modal's title text."""
        return (self.definition.get("title") or {}).get("text", "")

    @property
    def callback_id(self) -> str:
        """The callback_id the app gave the view."""
        return self.definition.get("callback_id", "")

    @property
    def private_metadata(self) -> str:
        """The private_metadata the app stored on the view."""
        return self.definition.get("private_metadata", "")

    def all_text(self) -> str:
        """Every text in the view."""
        return "\n".join(texts_in(self.definition))

    def action_elements(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(block, element) for each interactive element."""
        return list(iter_elements(self.blocks))

    def to_api(self) -> dict[str, Any]:
        """The view object as the Web API and interaction payloads carry it."""
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "type": self.type,
            "blocks": self.blocks,
            "private_metadata": self.definition.get("private_metadata", ""),
            "callback_id": self.definition.get("callback_id", ""),
            "state": {"values": self.values},
            "hash": self.hash,
            "title": self.definition.get("title"),
            "clear_on_close": bool(self.definition.get("clear_on_close", False)),
            "notify_on_close": bool(self.definition.get("notify_on_close", False)),
            "close": self.definition.get("close"),
            "submit": self.definition.get("submit"),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": self.app_id,
            "external_id": self.external_id or "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if self.type == "home":
            for key in ("title", "close", "submit", "clear_on_close", "notify_on_close", "previous_view_id"):
                data.pop(key, None)
        return data


@dataclass
class FileRecord:
    """A file uploaded through files.getUploadURLExternal / files.completeUploadExternal."""

    id: str
    name: str
    declared_length: int
    user: str
    created: int
    title: str = ""
    alt_txt: str | None = None
    upload_key: str = ""
    content: bytes | None = None
    completed: bool = False
    shares: list[tuple[str, str]] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Bytes received so far."""
        return len(self.content or b"")

    @property
    def mimetype(self) -> str:
        """A MIME type guessed from the name (what Slack reports)."""
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    @property
    def filetype(self) -> str:
        """The extension Slack reports as `filetype`."""
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "binary"

    @property
    def channels(self) -> list[str]:
        """Conversations the file is shared into."""
        return list(dict.fromkeys(channel for channel, _ in self.shares))

    def to_api(self, base_url: str) -> dict[str, Any]:
        """The file object as files.completeUploadExternal and files.info return it."""
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": self.mimetype,
            "filetype": self.filetype,
            "user": self.user,
            "size": self.size,
            "mode": "hosted",
            "is_external": False,
            "is_public": True,
            "url_private": f"{base_url}files/{self.id}/{self.name}",
            "url_private_download": f"{base_url}files/{self.id}/download/{self.name}",
            "permalink": f"{base_url}files/{self.id}/{self.name}",
            "channels": self.channels,
            "alt_txt": self.alt_txt,
        }


@dataclass
class Enterprise:
    """An Enterprise Grid organization: workspaces under one enterprise id."""

    id: str
    name: str
    domain: str
    team_ids: list[str] = field(default_factory=list)

    def to_api(self) -> dict[str, str]:
        """The `enterprise` object interaction payloads and oauth.v2.access carry."""
        return {"id": self.id, "name": self.name}


@dataclass
class Trigger:
    """A trigger_id handed to the app with an interaction: single use, short-lived."""

    id: str
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseHook:
    """A response_url handed to the app with a command or a message interaction."""

    id: str
    user: str
    channel: str
    created_at: datetime
    original_ts: str | None = None
    thread_ts: str | None = None
    uses: int = 0
    last_ephemeral_ts: str | None = None


@dataclass
class ScheduledMessage:
    """A message the app asked Slack to post later (chat.scheduleMessage)."""

    id: str
    channel: str
    post_at: int
    params: dict[str, Any]
    posted_ts: str | None = None


@dataclass
class AssistantThread:
    """Assistant side-panel state the app sets on a DM thread."""

    status: str = ""
    loading_messages: list[str] = field(default_factory=list)
    title: str = ""
    prompts: list[dict[str, Any]] = field(default_factory=list)
    prompts_title: str = ""


class IdSource:
    """Slack-style ids unique across every workspace of one Slack (`U…` never repeats between teams)."""

    def __init__(self) -> None:
        self._counters: dict[str, Iterator[int]] = {}

    def new_id(self, prefix: str) -> str:
        """A fresh id with this prefix (`T…`, `U…`, `C…`, `D…`, `V…`, `F…`, `E…`)."""
        counter = self._counters.setdefault(prefix, itertools.count(1))
        return f"{prefix}{next(counter):08d}"


class Workspace:
    """All of one workspace's state, with ids and timestamps that look and sort like Slack's."""

    def __init__(
        self,
        *,
        clock: Clock,
        team_name: str,
        team_domain: str,
        team_id: str | None = None,
        ids: IdSource | None = None,
        enterprise: Enterprise | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.clock = clock
        self.enterprise = enterprise
        self._ids = ids or IdSource()
        self._last_ts_us = 0
        self._on_change = on_change or (lambda: None)
        self.team_id = team_id or self.new_id("T")
        self.team_name = team_name
        self.team_domain = team_domain
        self.users: dict[str, User] = {}
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, ViewRecord] = {}
        self.modal_stacks: dict[str, list[ViewRecord]] = {}
        self.homes: dict[str, ViewRecord] = {}
        self.files: dict[str, FileRecord] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_hooks: dict[str, ResponseHook] = {}
        self.scheduled: dict[str, ScheduledMessage] = {}
        self.assistant_threads: dict[tuple[str, str], AssistantThread] = {}

    # ---- ids and time -------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-style id (`U…`, `C…`, `D…`, `V…`, `F…`), unique in the whole Slack."""
        return self._ids.new_id(prefix)

    def next_ts(self) -> str:
        """A unique, increasing message timestamp `<seconds>.<6 digits>` taken from the clock."""
        now_us = int(self.clock.now().timestamp() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def now_seconds(self) -> int:
        """The clock's time as Unix seconds."""
        return int(self.clock.now().timestamp())

    def changed(self) -> None:
        """Tell waiters that something changed."""
        self._on_change()

    # ---- people and conversations ----------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        tz: str = "UTC",
        real_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
        bot_id: str | None = None,
        app_id: str | None = None,
    ) -> User:
        """Create a user; `tz` is an IANA zone name."""
        ZoneInfo(tz)  # fail early on an unknown zone
        if any(user.name == name for user in self.users.values()):
            raise ValueError(f"a user named {name!r} already exists")
        user = User(
            id=self.new_id("U"),
            name=name,
            real_name=real_name or name.title(),
            team_id=self.team_id,
            tz=tz,
            email=email,
            is_bot=is_bot,
            bot_id=bot_id,
            app_id=app_id,
        )
        self.users[user.id] = user
        self.changed()
        return user

    def admit(self, user: User) -> User:
        """Let a user of the organization (an org-wide app's bot) into this workspace, same id."""
        self.users[user.id] = user
        self.changed()
        return user

    def find_user(self, ref: str) -> User:
        """A user by id or name."""
        if ref in self.users:
            return self.users[ref]
        for user in self.users.values():
            if user.name == ref.lstrip("@"):
                return user
        raise KeyError(f"no user {ref!r}")

    def add_conversation(
        self, name: str, *, kind: ConversationKind, members: Iterable[str], creator: str
    ) -> Conversation:
        """Create a channel (`channel`/`group`) or a DM (`im`/`mpim`)."""
        prefix = {"channel": "C", "group": "C", "im": "D", "mpim": "G"}[kind]
        if kind in ("channel", "group") and any(
            c.name == name for c in self.conversations.values() if c.kind in ("channel", "group")
        ):
            raise ValueError(f"a channel named #{name} already exists")
        conversation = Conversation(
            id=self.new_id(prefix),
            name=name,
            kind=kind,
            created=self.now_seconds(),
            creator=creator,
            members=list(dict.fromkeys(members)),
        )
        self.conversations[conversation.id] = conversation
        self.changed()
        return conversation

    def find_conversation(self, ref: str) -> Conversation | None:
        """A conversation by id, `#name` or name."""
        if ref in self.conversations:
            return self.conversations[ref]
        name = ref.lstrip("#")
        for conversation in self.conversations.values():
            if conversation.kind in ("channel", "group") and conversation.name == name:
                return conversation
        return None

    def im_between(self, user_a: str, user_b: str) -> Conversation | None:
        """The existing DM between two users, if any."""
        for conversation in self.conversations.values():
            if conversation.kind == "im" and set(conversation.members) == {user_a, user_b}:
                return conversation
        return None

    def ensure_im(self, user_a: str, user_b: str) -> Conversation:
        """The DM between two users, opened if needed."""
        existing = self.im_between(user_a, user_b)
        if existing is not None:
            return existing
        return self.add_conversation(f"dm-{user_a}-{user_b}", kind="im", members=[user_a, user_b], creator=user_a)

    # ---- messages -------------------------------------------------------------------------------

    def thread_root(self, channel: str, thread_ts: str | None) -> str | None:
        """The parent ts a reply belongs under (a reply's ts is mapped to its parent, like Slack does)."""
        if thread_ts is None:
            return None
        parent = self.messages.get((channel, thread_ts))
        if parent is not None and parent.thread_ts and parent.thread_ts != parent.ts:
            return parent.thread_ts
        return thread_ts

    def add_message(self, message: Message) -> Message:
        """Store a new message (its ts already assigned)."""
        self.messages[(message.channel, message.ts)] = message
        if message.thread_ts:
            parent = self.messages.get((message.channel, message.thread_ts))
            if parent is not None and parent.thread_ts is None:
                parent.thread_ts = parent.ts
        self.changed()
        return message

    def get_message(self, channel: str, ts: str) -> Message:
        """A live (not deleted) message, or `message_not_found`."""
        message = self.messages.get((channel, ts))
        if message is None or message.deleted:
            raise SlackError("message_not_found")
        return message

    def channel_messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[Message]:
        """Live messages in ts order: all of a channel (or every channel), or one thread (parent + replies)."""
        found = [
            m
            for m in self.messages.values()
            if not m.deleted
            and (channel is None or m.channel == channel)
            and (thread_ts is None or m.ts == thread_ts or m.thread_ts == thread_ts)
        ]
        return sorted(found, key=lambda m: (float(m.ts), m.channel))

    def replies_of(self, message: Message) -> list[Message]:
        """The live replies under a thread parent, oldest first."""
        return [m for m in self.channel_messages(message.channel, message.ts) if m.ts != message.ts]

    def message_to_api(self, message: Message, *, include_metadata: bool = True, base_url: str = "") -> dict[str, Any]:
        """The message object as the Web API returns it (reply counts and reactions included)."""
        data: dict[str, Any] = {
            "type": "message",
            "ts": message.ts,
            "user": message.user,
            "text": message.text,
            "team": message.team,
        }
        if message.subtype:
            data["subtype"] = message.subtype
        if message.blocks:
            data["blocks"] = message.blocks
        if message.attachments:
            data["attachments"] = message.attachments
        if message.bot_id:
            data["bot_id"] = message.bot_id
            data["app_id"] = message.app_id
            data["bot_profile"] = {
                "id": message.bot_id,
                "app_id": message.app_id,
                "name": message.username or "",
                "team_id": message.team,
                "deleted": False,
            }
        if message.client_msg_id:
            data["client_msg_id"] = message.client_msg_id
        if message.thread_ts:
            data["thread_ts"] = message.thread_ts
            if message.is_reply:
                parent = self.messages.get((message.channel, message.thread_ts))
                if parent is not None:
                    data["parent_user_id"] = parent.user
            else:
                replies = self.replies_of(message)
                data["reply_count"] = len(replies)
                data["reply_users"] = list(dict.fromkeys(r.user for r in replies))
                data["reply_users_count"] = len(data["reply_users"])
                data["latest_reply"] = replies[-1].ts if replies else message.ts
        if message.reactions:
            data["reactions"] = [
                {"name": name, "users": users, "count": len(users)}
                for name, users in message.reactions.items()
                if users
            ]
        if message.files:
            data["files"] = [self.files[f].to_api(base_url) for f in message.files if f in self.files]
            data["upload"] = False
        if message.edited:
            data["edited"] = message.edited
        if message.metadata and include_metadata:
            data["metadata"] = message.metadata
        return data

    # ---- ephemerals -----------------------------------------------------------------------------

    def add_ephemeral(self, ephemeral: Ephemeral) -> Ephemeral:
        """Store a message only `ephemeral.user` sees."""
        self.ephemerals.append(ephemeral)
        self.changed()
        return ephemeral

    def find_ephemeral(self, ts: str) -> Ephemeral | None:
        """A live ephemeral by its ts."""
        for ephemeral in self.ephemerals:
            if ephemeral.ts == ts and not ephemeral.deleted:
                return ephemeral
        return None

    # ---- views ----------------------------------------------------------------------------------

    def new_view_hash(self) -> str:
        """A fresh view hash (Slack's look: `<seconds>.<random>`)."""
        return f"{self.now_seconds()}.{secrets.token_hex(4)}"

    def modal_stack(self, user: str) -> list[ViewRecord]:
        """The modals open for a user, root first."""
        return self.modal_stacks.setdefault(user, [])

    def top_modal(self, user: str) -> ViewRecord | None:
        """The modal the user is looking at."""
        stack = self.modal_stacks.get(user) or []
        return stack[-1] if stack else None

    def find_view(self, *, view_id: str | None = None, external_id: str | None = None) -> ViewRecord:
        """An open modal or a published home view, by id or external_id."""
        for view in self.views.values():
            if view.closed:
                continue
            if (view_id and view.id == view_id) or (external_id and view.external_id == external_id):
                return view
        raise SlackError("not_found")

    def close_modal(self, user: str, *, all_views: bool = False) -> list[ViewRecord]:
        """Pop the user's top modal (or clear the stack); returns the closed views."""
        stack = self.modal_stack(user)
        closed = list(stack) if all_views else stack[-1:]
        del stack[len(stack) - len(closed) :]
        for view in closed:
            view.closed = True
        self.changed()
        return closed

    # ---- triggers and response URLs ----------------------------------------------------------------

    def issue_trigger(self, user: str) -> str:
        """A fresh trigger_id for an interaction by `user`."""
        trigger_id = f"{self.now_seconds()}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(id=trigger_id, user=user, issued_at=time.monotonic())
        return trigger_id

    def redeem_trigger(self, trigger_id: str | None, *, ttl: float = TRIGGER_TTL_SECONDS) -> Trigger:
        """Use a trigger_id once, within its lifetime (Slack's invalid/expired/exchanged errors)."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def add_response_hook(self, hook: ResponseHook) -> ResponseHook:
        """Remember a response_url handed to the app."""
        self.response_hooks[hook.id] = hook
        return hook
