"""People in the local Slack, and what they do: post, mention, DM, run commands, click, fill in modals."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from typing import TYPE_CHECKING, Any

from bot.emulator import events
from bot.emulator.journal import Delivery
from bot.emulator.responses import ModalOutcome, apply_command_ack, apply_view_submission_ack
from bot.emulator.workspace import Conversation, Ephemeral, Message, ResponseHook, User, ViewRecord

if TYPE_CHECKING:
    from bot.emulator.team import Team

TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})
SINGLE_OPTION = frozenset({"static_select", "radio_buttons", "external_select", "overflow"})
MULTI_OPTION = frozenset({"multi_static_select", "checkboxes", "multi_external_select"})
# Element type -> (state key, what the initial value is called, takes a list).
PICKERS = {
    "users_select": ("selected_user", "initial_user", False),
    "multi_users_select": ("selected_users", "initial_users", True),
    "conversations_select": ("selected_conversation", "initial_conversation", False),
    "multi_conversations_select": ("selected_conversations", "initial_conversations", True),
    "channels_select": ("selected_channel", "initial_channel", False),
    "multi_channels_select": ("selected_channels", "initial_channels", True),
    "datepicker": ("selected_date", "initial_date", False),
    "timepicker": ("selected_time", "initial_time", False),
    "datetimepicker": ("selected_date_time", "initial_date_time", False),
}


class HumanActionError(Exception):
    """A person can't do that in Slack (no such button, a required field left empty, no modal open...)."""


@dataclass
class SlashResult:
    """What a person saw after a slash command: the ack's message (if any), or Slack's error."""

    delivery: Delivery | None
    ack: Any
    response: Ephemeral | Message | None
    response_url: str
    trigger_id: str
    error: str | None = None

    @property
    def text(self) -> str:
        """Everything the ack showed, as text ('' when the ack was empty)."""
        return self.response.all_text() if self.response is not None else ""


@dataclass
class ActionResult:
    """A click or selection: the block_actions delivery (None when only the modal's state changed)."""

    delivery: Delivery | None
    trigger_id: str | None = None


@dataclass
class ModalResult:
    """A submitted modal: `closed`, `errors`, `update`, `push`, `clear`, or `failed` (no usable ack)."""

    action: str
    errors: dict[str, str]
    view: ViewRecord | None
    delivery: Delivery | None


@dataclass
class Control:
    """An interactive element a person can see, and where it is."""

    surface: str
    block: dict[str, Any]
    element: dict[str, Any]
    message: Message | Ephemeral | None = None
    view: ViewRecord | None = None


class Human:
    """A person in one workspace of the local Slack; every action produces the deliveries Slack would send the app.

    `slack` is the person's workspace (`LocalSlack` itself for its default workspace).
    """

    def __init__(self, slack: Team, user_id: str) -> None:
        self.slack = slack
        self.id = user_id

    def __repr__(self) -> str:
        return f"Human({self.name!r}, {self.id})"

    @property
    def name(self) -> str:
        """The person's handle."""
        return self.slack.workspace.users[self.id].name

    @property
    def tz(self) -> str:
        """The person's IANA time zone."""
        return self.slack.workspace.users[self.id].tz

    @property
    def dm_channel(self) -> str:
        """The id of this person's DM with the app (opened if needed)."""
        return self.slack.workspace.ensure_im(self.slack.bot_user_id, self.id).id

    @property
    def modal(self) -> ViewRecord | None:
        """The modal this person is looking at."""
        return self.slack.workspace.top_modal(self.id)

    @property
    def home(self) -> ViewRecord | None:
        """This person's App Home view."""
        return self.slack.workspace.homes.get(self.id)

    # ---- messages -------------------------------------------------------------------------------------

    def _conversation(self, channel: str) -> Conversation:
        conversation = self.slack.workspace.find_conversation(channel)
        if conversation is None:
            raise HumanActionError(f"no conversation {channel!r}")
        if self.id not in conversation.members:
            raise HumanActionError(f"{self.name} is not a member of {channel!r}")
        if conversation.is_archived:
            raise HumanActionError(f"{channel!r} is archived: nobody can post there")
        return conversation

    async def post(self, channel: str, text: str, thread_ts: str | None = None) -> str:
        """Post a message (in a thread when `thread_ts` is given); returns its ts once the app acked."""
        conversation = self._conversation(channel)
        ws = self.slack.workspace
        message = Message(
            channel=conversation.id,
            ts=ws.next_ts(),
            user=self.id,
            team=ws.team_id,
            text=text,
            blocks=events.rich_text_blocks(text),
            thread_ts=ws.thread_root(conversation.id, thread_ts),
            client_msg_id=str(uuid.uuid4()),
        )
        self.slack.activity_started()
        ws.add_message(message)
        api = ws.message_to_api(message, base_url=self.slack.base_url)
        planned = [(events.message_event(api, conversation), conversation)]
        if f"<@{self.slack.bot_user_id}>" in text and conversation.kind != "im":
            planned.append((events.app_mention_event(message), conversation))
        await self.slack.emit_all(planned)
        return message.ts

    async def mention(self, channel: str, text: str, thread_ts: str | None = None) -> str:
        """Post `@app text` in a channel."""
        return await self.post(channel, f"<@{self.slack.bot_user_id}> {text}", thread_ts=thread_ts)

    async def dm(self, text: str, thread_ts: str | None = None) -> str:
        """Write to the app in its Messages tab (the DM)."""
        return await self.post(self.dm_channel, text, thread_ts=thread_ts)

    async def edit(self, channel: str, ts: str, text: str) -> None:
        """Edit one of this person's messages (a `message_changed` event)."""
        conversation = self._conversation(channel)
        ws = self.slack.workspace
        message = ws.messages.get((conversation.id, ts))
        if message is None or message.deleted or message.user != self.id:
            raise HumanActionError(f"{self.name} has no message {ts} in {channel!r}")
        previous = ws.message_to_api(message, base_url=self.slack.base_url)
        message.text = text
        message.blocks = events.rich_text_blocks(text)
        message.edited = {"user": self.id, "ts": ws.next_ts()}
        ws.changed()
        self.slack.activity_started()
        event = events.message_changed_event(
            conversation=conversation,
            previous=previous,
            new=ws.message_to_api(message, base_url=self.slack.base_url),
            event_ts=ws.next_ts(),
        )
        await self.slack.emit_all([(event, conversation)])

    async def react(self, channel: str, ts: str, name: str) -> None:
        """Add an emoji reaction to a message."""
        conversation = self._conversation(channel)
        ws = self.slack.workspace
        message = ws.get_message(conversation.id, ts)
        users = message.reactions.setdefault(name.strip(":"), [])
        if self.id not in users:
            users.append(self.id)
        ws.changed()
        self.slack.activity_started()
        event = events.reaction_event(
            added=True, user=self.id, reaction=name.strip(":"), message=message, event_ts=ws.next_ts()
        )
        await self.slack.emit_all([(event, conversation)])

    # ---- the command ----------------------------------------------------------------------------------

    async def slash(self, command: str, text: str = "", *, channel: str | None = None) -> SlashResult:
        """Run a slash command (in the DM with the app unless `channel` is given)."""
        slack = self.slack
        if slack.manifest.commands is not None and command not in slack.manifest.commands:
            raise HumanActionError(
                f"{command} is not a command of this app (manifest has {sorted(slack.manifest.commands)})"
            )
        conversation = self._conversation(channel) if channel else slack.workspace.conversations[self.dm_channel]
        hook = self._new_hook(conversation.id)
        response_url = f"{slack.base_url}response/{hook.id}"
        trigger_id = slack.workspace.issue_trigger(self.id)
        payload = events.slash_command(
            team_id=slack.team_id,
            team_domain=slack.workspace.team_domain,
            app_id=slack.app_id,
            conversation=conversation,
            user=self._user(),
            command=command,
            text=text,
            response_url=response_url,
            trigger_id=trigger_id,
            enterprise=slack.enterprise,
            is_enterprise_install=slack.is_enterprise_install,
        )
        delivery = await slack.deliver("command", command, payload)
        if not delivery.acked:
            error = "operation_timeout" if delivery.error == "timeout" else "dispatch_failed"
            return SlashResult(delivery, delivery.ack, None, response_url, trigger_id, error=error)
        shown = apply_command_ack(slack.api, user=self.id, conversation=conversation, command=command, ack=delivery.ack)
        if isinstance(shown, Ephemeral):
            hook.last_ephemeral_ts = shown.ts
        return SlashResult(delivery, delivery.ack, shown, response_url, trigger_id)

    def _new_hook(self, channel: str, *, original: Message | Ephemeral | None = None) -> ResponseHook:
        hook = ResponseHook(
            id=secrets.token_hex(12),
            user=self.id,
            channel=channel,
            created_at=self.slack.clock.now(),
            original_ts=original.ts if original is not None else None,
            thread_ts=original.thread_ts if original is not None else None,
        )
        return self.slack.workspace.add_response_hook(hook)

    def _user(self) -> User:
        return self.slack.workspace.users[self.id]

    # ---- buttons and selects --------------------------------------------------------------------------

    def controls(self) -> list[Control]:
        """Every interactive element this person can see: open modal first, then newest messages, then Home."""
        ws = self.slack.workspace
        found: list[Control] = []
        modal = ws.top_modal(self.id)
        if modal is not None:
            found += [Control("modal", b, e, view=modal) for b, e in modal.action_elements()]
        visible: list[Message | Ephemeral] = [
            m for m in ws.channel_messages() if self.id in ws.conversations[m.channel].members
        ]
        visible += [e for e in ws.ephemerals if e.user == self.id and not e.deleted]
        visible.sort(key=lambda m: float(m.ts), reverse=True)
        for message in visible:
            found += [Control("message", b, e, message=message) for b, e in message.action_elements()]
        home = ws.homes.get(self.id)
        if home is not None:
            found += [Control("home", b, e, view=home) for b, e in home.action_elements()]
        return found

    def find_control(
        self,
        action_id: str,
        *,
        message: Message | Ephemeral | str | None = None,
        value: str | None = None,
        surface: str | None = None,
    ) -> Control:
        """The element a person would use: by action_id, optionally in one message/surface, with a value."""
        message_ts = message if isinstance(message, str) else (message.ts if message is not None else None)
        for control in self.controls():
            if control.element.get("action_id") != action_id:
                continue
            if surface is not None and control.surface != surface:
                continue
            if message_ts is not None and (control.message is None or control.message.ts != message_ts):
                continue
            if value is not None and control.element.get("type") == "button" and control.element.get("value") != value:
                continue
            return control
        where = f" in message {message_ts}" if message_ts else ""
        seen = sorted({c.element.get("action_id", "?") for c in self.controls()})
        raise HumanActionError(f"{self.name} sees no element {action_id!r}{where} (visible: {seen})")

    async def click(
        self,
        action_id: str,
        *,
        message: Message | Ephemeral | str | None = None,
        value: str | None = None,
        surface: str | None = None,
    ) -> ActionResult:
        """Click a button (by default the newest one with this action_id that the person can see)."""
        control = self.find_control(action_id, message=message, value=value, surface=surface)
        element = control.element
        if element.get("type") not in ("button", "workflow_button"):
            raise HumanActionError(f"{action_id!r} is a {element.get('type')}, not a button: use select()")
        action: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "block_id": control.block["block_id"],
            "text": element.get("text"),
            "action_ts": f"{time.time():.6f}",
        }
        for key in ("value", "style", "url"):
            if key in element:
                action[key] = element[key]
        return await self._act(control, action)

    async def give_feedback(self, *, positive: bool, message: Message | Ephemeral | str | None = None) -> ActionResult:
        """Click 👍 (`positive`) or 👎 of the feedback buttons under a message (by default the newest one)."""
        control = self._feedback_control(message)
        button = control.element["positive_button" if positive else "negative_button"]
        action: dict[str, Any] = {
            "type": "feedback_buttons",
            "action_id": control.element["action_id"],
            "block_id": control.block["block_id"],
            "text": button.get("text"),
            "value": button.get("value"),
            "action_ts": f"{time.time():.6f}",
        }
        return await self._act(control, action)

    def _feedback_control(self, message: Message | Ephemeral | str | None) -> Control:
        message_ts = message if isinstance(message, str) else (message.ts if message is not None else None)
        for control in self.controls():
            if control.element.get("type") != "feedback_buttons":
                continue
            if message_ts is None or (control.message is not None and control.message.ts == message_ts):
                return control
        where = f" in message {message_ts}" if message_ts else ""
        raise HumanActionError(f"{self.name} sees no feedback buttons{where}")

    async def select(
        self,
        action_id: str,
        option_value: Any,
        *,
        message: Message | Ephemeral | str | None = None,
        surface: str | None = None,
    ) -> ActionResult:
        """Choose in a select menu, radio group, checkboxes, date/time or user/channel picker."""
        control = self.find_control(action_id, message=message, surface=surface)
        state = element_state(control.element, option_value, self.slack)
        block_id = control.block["block_id"]
        if control.view is not None:
            control.view.values.setdefault(block_id, {})[action_id] = state
            self.slack.workspace.changed()
        dispatches = control.block.get("type") != "input" or control.block.get("dispatch_action")
        if not dispatches:
            return ActionResult(None)
        action = {"action_id": action_id, "block_id": block_id, "action_ts": f"{time.time():.6f}", **state}
        if "placeholder" in control.element:
            action["placeholder"] = control.element["placeholder"]
        return await self._act(control, action, state={block_id: {action_id: state}})

    async def _act(
        self, control: Control, action: dict[str, Any], state: dict[str, dict[str, Any]] | None = None
    ) -> ActionResult:
        slack = self.slack
        if not slack.manifest.interactivity:
            slack.report(f"interactivity is off in the manifest, yet {self.name} could use {action['action_id']!r}")
        trigger_id = slack.workspace.issue_trigger(self.id)
        common: dict[str, Any] = dict(
            team_id=slack.team_id,
            team_domain=slack.workspace.team_domain,
            app_id=slack.app_id,
            user=self._user(),
            action=action,
            trigger_id=trigger_id,
            enterprise=slack.enterprise,
            is_enterprise_install=slack.is_enterprise_install,
        )
        if control.view is not None:
            view = control.view
            payload = events.block_actions(
                **common,
                container={"type": "view", "view_id": view.id},
                view=view.to_api(),
                state={"values": view.values},
            )
        else:
            message = control.message
            assert message is not None
            conversation = slack.workspace.conversations[message.channel]
            is_ephemeral = isinstance(message, Ephemeral)
            container: dict[str, Any] = {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": is_ephemeral,
            }
            if message.thread_ts:
                container["thread_ts"] = message.thread_ts
            hook = self._new_hook(message.channel, original=message)
            payload = events.block_actions(
                **common,
                container=container,
                channel=conversation,
                message=(
                    None
                    if isinstance(message, Ephemeral)
                    else slack.workspace.message_to_api(message, base_url=slack.base_url)
                ),
                response_url=f"{slack.base_url}response/{hook.id}",
                state={"values": state or {}},
            )
        delivery = await slack.deliver("interactive", "block_actions", payload)
        return ActionResult(delivery, trigger_id)

    # ---- modals and Home ------------------------------------------------------------------------------

    async def submit_modal(self, values: dict[str, Any] | None = None) -> ModalResult:
        """Fill in the open modal (keys: action_id, block_id, or block_id/action_id) and press Submit."""
        slack = self.slack
        record = slack.workspace.top_modal(self.id)
        if record is None:
            raise HumanActionError(f"{self.name} has no modal open")
        if not record.definition.get("submit"):
            raise HumanActionError(f"modal {record.title!r} has no submit button")
        record.values = build_state(record, values or {}, slack)
        record.errors = {}
        payload = events.view_submission(
            team_id=slack.team_id,
            team_domain=slack.workspace.team_domain,
            app_id=slack.app_id,
            user=self._user(),
            view=record.to_api(),
            trigger_id=slack.workspace.issue_trigger(self.id),
            enterprise=slack.enterprise,
            is_enterprise_install=slack.is_enterprise_install,
        )
        delivery = await slack.deliver("interactive", "view_submission", payload)
        if not delivery.acked:
            outcome = ModalOutcome("failed", view=record)
        else:
            outcome = apply_view_submission_ack(slack.api, record=record, ack=delivery.ack)
        return ModalResult(outcome.action, outcome.errors, slack.workspace.top_modal(self.id), delivery)

    async def close_modal(self) -> Delivery | None:
        """Press Cancel (a `view_closed` goes to the app only when the view asked with notify_on_close)."""
        slack = self.slack
        record = slack.workspace.top_modal(self.id)
        if record is None:
            raise HumanActionError(f"{self.name} has no modal open")
        cleared = bool(record.definition.get("clear_on_close"))
        slack.workspace.close_modal(self.id, all_views=cleared)
        if not record.definition.get("notify_on_close"):
            return None
        payload = events.view_closed(
            team_id=slack.team_id,
            team_domain=slack.workspace.team_domain,
            app_id=slack.app_id,
            user=self._user(),
            view=record.to_api(),
            is_cleared=cleared,
            enterprise=slack.enterprise,
            is_enterprise_install=slack.is_enterprise_install,
        )
        return await slack.deliver("interactive", "view_closed", payload)

    async def open_home(self) -> Delivery | None:
        """Open the app's Home tab (`app_home_opened`, tab `home`)."""
        return await self._open_tab("home")

    async def open_messages_tab(self) -> Delivery | None:
        """Open the app's Messages tab (`app_home_opened`, tab `messages`)."""
        return await self._open_tab("messages")

    async def start_assistant_thread(self, *, from_channel: str | None = None) -> str:
        """Open a new thread with the app in its agent view (`assistant_thread_started`); returns its thread_ts.

        `from_channel` is the channel the person was looking at, which Slack passes on as the thread's context.
        """
        ws = self.slack.workspace
        thread_ts = ws.next_ts()
        event = events.assistant_thread_started_event(
            user=self.id,
            channel=self.dm_channel,
            thread_ts=thread_ts,
            team_id=self.slack.team_id,
            context_channel=from_channel,
            event_ts=ws.next_ts(),
        )
        self.slack.activity_started()
        await self.slack.emit_all([(event, None)])
        return thread_ts

    async def _open_tab(self, tab: str) -> Delivery | None:
        ws = self.slack.workspace
        event = events.app_home_opened_event(
            user=self.id, channel=self.dm_channel, tab=tab, event_ts=ws.next_ts(), view=ws.homes.get(self.id)
        )
        self.slack.activity_started()
        deliveries = await self.slack.emit_all([(event, None)])
        return deliveries[0] if deliveries else None


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _option(element: dict[str, Any], choice: Any) -> dict[str, Any]:
    options = _options(element)
    for option in options:
        if option.get("value") == str(choice):
            return option
    for option in options:
        if (option.get("text") or {}).get("text") == str(choice):
            return option
    known = [o.get("value") for o in options]
    raise HumanActionError(f"{element.get('action_id')!r} has no option {choice!r} (options: {known})")


def _picked(choice: Any, slack: Team, kind: str) -> str:
    if isinstance(choice, Human):
        return choice.id
    text = str(choice)
    if kind.endswith("user") or kind.endswith("users"):
        try:
            return slack.workspace.find_user(text).id
        except KeyError as exc:
            raise HumanActionError(f"no user {text!r}") from exc
    conversation = slack.workspace.find_conversation(text)
    if conversation is None:
        raise HumanActionError(f"no conversation {text!r}")
    return conversation.id


def element_state(element: dict[str, Any], choice: Any, slack: Team) -> dict[str, Any]:
    """The `state.values` entry Slack reports for an element set to `choice`."""
    kind = element.get("type", "")
    if kind in TEXT_INPUTS:
        text = None if choice in (None, "") else str(choice)
        _check_text(element, text)
        return {"type": kind, "value": text}
    if kind in SINGLE_OPTION:
        return {"type": kind, "selected_option": None if choice is None else _option(element, choice)}
    if kind in MULTI_OPTION:
        choices = choice if isinstance(choice, list | tuple | set) else [choice]
        return {"type": kind, "selected_options": [_option(element, c) for c in choices]}
    if kind in PICKERS:
        key, _, many = PICKERS[kind]
        if kind == "datepicker":
            value: Any = choice.isoformat() if isinstance(choice, date) else choice
        elif kind == "timepicker":
            value = choice.strftime("%H:%M") if isinstance(choice, clock_time) else choice
        elif kind == "datetimepicker":
            value = int(choice.timestamp()) if isinstance(choice, datetime) else int(choice)
        elif many:
            items = choice if isinstance(choice, list | tuple | set) else [choice]
            value = [_picked(c, slack, key) for c in items]
        else:
            value = None if choice is None else _picked(choice, slack, key)
        return {"type": kind, key: value}
    if kind == "rich_text_input":
        text = str(choice or "")
        return {
            "type": kind,
            "rich_text_value": {
                "type": "rich_text",
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            },
        }
    raise HumanActionError(f"the local Slack can't fill in a {kind!r} element")


def _check_text(element: dict[str, Any], value: str | None) -> None:
    if value is None:
        return
    if element.get("type") == "number_input":
        try:
            number = float(value)
        except ValueError as exc:
            raise HumanActionError(f"{element.get('action_id')!r} takes a number, not {value!r}") from exc
        if not element.get("is_decimal_allowed") and not number.is_integer():
            raise HumanActionError(f"{element.get('action_id')!r} takes a whole number")
        for bound, broken in (
            ("min_value", number < float(element.get("min_value", number))),
            ("max_value", number > float(element.get("max_value", number))),
        ):
            if broken:
                raise HumanActionError(f"{element.get('action_id')!r}: {value} is outside {bound}")
        return
    if len(value) > int(element.get("max_length", 3000)):
        raise HumanActionError(
            f"{element.get('action_id')!r} takes at most {element.get('max_length', 3000)} characters"
        )
    if len(value) < int(element.get("min_length", 0)):
        raise HumanActionError(f"{element.get('action_id')!r} needs at least {element['min_length']} characters")


def initial_state(element: dict[str, Any], slack: Team) -> dict[str, Any]:
    """The state an element starts in (its initial_* value, or empty)."""
    kind = element.get("type", "")
    if kind in TEXT_INPUTS:
        initial = element.get("initial_value")
        return {"type": kind, "value": None if initial in (None, "") else str(initial)}
    if kind in SINGLE_OPTION:
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind in MULTI_OPTION:
        return {"type": kind, "selected_options": list(element.get("initial_options") or [])}
    if kind in PICKERS:
        key, initial_key, many = PICKERS[kind]
        return {"type": kind, key: element.get(initial_key, [] if many else None)}
    if kind == "rich_text_input":
        return {"type": kind, "rich_text_value": element.get("initial_value")}
    return {"type": kind}


def _is_empty(state: dict[str, Any]) -> bool:
    return all(value in (None, "", [], {}) for key, value in state.items() if key != "type")


def build_state(record: ViewRecord, values: dict[str, Any], slack: Team) -> dict[str, dict[str, Any]]:
    """`view.state.values` for a submission: given values, earlier selections, else initial values."""
    state: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for block, element in record.action_elements():
        block_id, action_id = block["block_id"], element.get("action_id", "")
        if block.get("type") != "input" and block_id not in record.values:
            continue
        key = next((k for k in (f"{block_id}/{action_id}", action_id, block_id) if k in values), None)
        if key is not None:
            used.add(key)
            entry = element_state(element, values[key], slack)
        elif action_id in record.values.get(block_id, {}):
            entry = record.values[block_id][action_id]
        else:
            entry = initial_state(element, slack)
        if block.get("type") == "input" and not block.get("optional") and _is_empty(entry):
            label = (block.get("label") or {}).get("text", block_id)
            raise HumanActionError(f"{label!r} is required (Slack won't submit the modal without it)")
        state.setdefault(block_id, {})[action_id] = entry
    unknown = sorted(set(values) - used)
    if unknown:
        inputs = [
            f"{b['block_id']}/{e.get('action_id')}" for b, e in record.action_elements() if b.get("type") == "input"
        ]
        raise HumanActionError(f"the modal has no input {unknown} (inputs: {inputs})")
    return state
