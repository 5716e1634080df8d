"""What each check-in command, button, modal and thread reply does in Slack: parse, call the service, answer."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import checkins as blocks
from bot.blocks.common import Block, escape
from bot.checkins.schedule import Prompt
from bot.checkins.service import CheckinService, ItemChange, Status
from bot.checkins.weeks import week_key, week_monday
from bot.errors import CoachError, InputError
from bot.listeners.checkins.forms import (
    action_value,
    last_day_away,
    parse_item,
    parse_result,
    parse_settings,
    text_with_mentions,
    view_metadata,
)
from bot.listeners.context import actor_of
from bot.listeners.errors import channel_unreachable
from bot.listeners.router import CommandRequest, IncomingMessage
from bot.store.models.checkins import SCHEDULE_ON

logger = logging.getLogger(__name__)

OTHER_CHANNEL = "That button belongs to another channel's check-ins: use it there."

Verb = Callable[[CommandRequest, str], Awaitable[None]]


class NotInChannel(CoachError):
    """The coach cannot post in the channel where check-ins were asked for."""

    def __init__(self) -> None:
        super().__init__(
            "I'm not a member of this channel, so I can't post check-ins here: invite me with "
            "`/invite @flywheel-coach`, then run `/flywheel checkins on` again."
        )


class CheckinsSlack:
    """The Slack side of check-ins: each method handles one command verb, button, modal or thread reply."""

    def __init__(self, checkins: CheckinService) -> None:
        self.checkins = checkins
        self.verbs: dict[str, Verb] = {
            "on": self.command_on,
            "off": self.command_off,
            "status": self.command_status,
            "settings": self.command_settings,
            "skip": self.command_skip,
            "away": self.command_away,
            "back": self.command_back,
        }

    # ---- /flywheel checkins <verb> ------------------------------------------------------------------

    async def handle_checkins_command(self, request: CommandRequest) -> None:
        """`/flywheel checkins on|off|status|settings|skip|away|back` (no verb: status)."""
        verb, _, rest = request.text.partition(" ")
        run = self.verbs.get(verb.lower() or "status", self.command_usage)
        await run(request, rest.strip())

    async def command_on(self, request: CommandRequest, _rest: str) -> None:
        """Start check-ins in the channel, announce it, and show the status privately.

        Only the request that changed the state announces it: two people turning check-ins on at once
        get one post in the channel.
        """
        current = await self.checkins.status(team_id=request.team_id, channel_id=request.channel_id)
        if current.state == SCHEDULE_ON:
            await _respond_status(request, current)
            return
        timezone = await _user_timezone(request.client, request.user_id)
        started, status = await self.checkins.turn_on(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id, timezone=timezone
        )
        if not started:
            await _respond_status(request, status)
            return
        assert status.schedule is not None
        try:
            await request.client.chat_postMessage(
                channel=request.channel_id,
                text=blocks.turned_on_text(request.user_id),
                blocks=blocks.build_turned_on(request.user_id, status.schedule),
            )
        except SlackApiError as error:
            if not channel_unreachable(error):
                raise
            await self.checkins.turn_off(team_id=request.team_id, channel_id=request.channel_id)
            raise NotInChannel() from error
        await _respond_status(request, status)

    async def command_off(self, request: CommandRequest, _rest: str) -> None:
        """Stop check-ins in the channel (items and results stay)."""
        stopped = await self.checkins.turn_off(team_id=request.team_id, channel_id=request.channel_id)
        await request.respond(text=blocks.turned_off_text(stopped), response_type="ephemeral")

    async def command_status(self, request: CommandRequest, _rest: str) -> None:
        """The channel's check-ins, privately."""
        await _respond_status(
            request, await self.checkins.status(team_id=request.team_id, channel_id=request.channel_id)
        )

    async def command_settings(self, request: CommandRequest, _rest: str) -> None:
        """The settings modal."""
        await self._open_settings(
            request.client, trigger_id=request.trigger_id or "", team_id=request.team_id, channel_id=request.channel_id
        )

    async def command_skip(self, request: CommandRequest, week: str) -> None:
        """The channel skips a week (default: this one), and says so."""
        skip = await self.checkins.skip(
            team_id=request.team_id, channel_id=request.channel_id, created_by=request.user_id, week=week or None
        )
        await request.client.chat_postMessage(
            channel=request.channel_id, text=blocks.skipped_week_text(request.user_id, week_key(skip.first_day))
        )

    async def command_away(self, request: CommandRequest, last_day: str) -> None:
        """The person is away until a day (default: the coming Sunday)."""
        skip = await self.checkins.away_until(
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            last_day=last_day_away(last_day),
        )
        await request.respond(
            text=blocks.away_text(skip.first_day.isoformat(), skip.last_day.isoformat()), response_type="ephemeral"
        )

    async def command_back(self, request: CommandRequest, _rest: str) -> None:
        """The person is back: their skips end today."""
        await self.checkins.back(team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id)
        await request.respond(text=blocks.WELCOME_BACK, response_type="ephemeral")

    async def command_usage(self, request: CommandRequest, _rest: str) -> None:
        """An unknown verb: how to write the command."""
        await request.respond(text=blocks.CHECKINS_USAGE, response_type="ephemeral")

    # ---- buttons ---------------------------------------------------------------------------------

    async def handle_add_item(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "Add a shipped item": the item modal for the prompt's week."""
        await ack()
        actor = actor_of(context, body)
        week = action_value(body).get("week", "")
        week_monday(week)  # an InputError, said to the person, when the button names no week
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.build_item_modal(channel_id=actor.channel_id, week=week, owner=actor.user_id),
        )

    async def handle_edit_item(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "Edit" on a listed item: the item modal, filled in."""
        await ack()
        actor = actor_of(context, body)
        stored = await self.checkins.stored_item(team_id=actor.team_id, item_id=action_value(body).get("item", ""))
        _require_same_channel(actor.channel_id, stored.row.channel_id)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.build_item_modal(
                channel_id=stored.row.channel_id, week=stored.item.week, owner=stored.item.owner, item=stored.item
            ),
        )

    async def handle_report_result(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "Report result": the result modal for that item."""
        await ack()
        actor = actor_of(context, body)
        stored = await self.checkins.stored_item(team_id=actor.team_id, item_id=action_value(body).get("item", ""))
        _require_same_channel(actor.channel_id, stored.row.channel_id)
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.build_result_modal(stored.item))

    async def handle_skip_week(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "Skip this week": the channel skips the prompt's week, said in the prompt's thread."""
        await ack()
        actor = actor_of(context, body)
        week = action_value(body).get("week", "")
        await self.checkins.skip(
            team_id=actor.team_id, channel_id=actor.channel_id, created_by=actor.user_id, week=week
        )
        await client.chat_postMessage(
            channel=actor.channel_id,
            thread_ts=(body.get("container") or {}).get("message_ts"),
            text=blocks.skipped_week_text(actor.user_id, week),
        )

    async def handle_away_week(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "I'm away this week": the person skips the prompt's week."""
        await ack()
        actor = actor_of(context, body)
        skip = await self.checkins.skip(
            team_id=actor.team_id,
            channel_id=actor.channel_id,
            created_by=actor.user_id,
            week=action_value(body).get("week", ""),
            person=actor.user_id,
        )
        await client.chat_postEphemeral(
            channel=actor.channel_id,
            user=actor.user_id,
            text=blocks.away_text(skip.first_day.isoformat(), skip.last_day.isoformat()),
        )

    async def handle_open_settings(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "Settings" in the status message."""
        await ack()
        actor = actor_of(context, body)
        channel_id = action_value(body).get("channel") or actor.channel_id
        _require_same_channel(actor.channel_id, channel_id)
        await self._open_settings(client, trigger_id=body["trigger_id"], team_id=actor.team_id, channel_id=channel_id)

    # ---- modals ----------------------------------------------------------------------------------

    async def handle_item_submitted(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The item modal: add the item, or save the edit, and list it in the week's thread."""
        actor = actor_of(context, body)
        form, errors = parse_item(body, default_owner=actor.user_id)
        if form is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        if form.item_id:
            change = await self.checkins.edit_item(
                team_id=actor.team_id,
                item_id=form.item_id,
                what=form.what,
                owner=form.owner,
                stage=form.stage,
                expected_metric=form.expected_metric,
            )
        else:
            change = await self.checkins.add_item(
                team_id=actor.team_id,
                channel_id=form.channel_id,
                week=form.week,
                what=form.what,
                owner=form.owner,
                stage=form.stage,
                expected_metric=form.expected_metric,
                created_by=actor.user_id,
            )
        await self._show_item(client, change, team_id=actor.team_id, user_id=actor.user_id)
        await self._refresh_week(client, team_id=actor.team_id, channel_id=change.row.channel_id, week=change.item.week)

    async def handle_result_submitted(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The result modal: record the result and update the week's messages."""
        form, errors = parse_result(body)
        if form is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        actor = actor_of(context, body)
        change = await self.checkins.report_result(
            team_id=actor.team_id,
            item_id=form.item_id,
            result=form.result,
            number=form.number,
            learned=form.learned,
            next_step=form.next_step,
        )
        await self._confirm_result(client, change, team_id=actor.team_id, user_id=actor.user_id)
        await self._refresh_week(client, team_id=actor.team_id, channel_id=change.row.channel_id, week=change.item.week)

    async def handle_settings_submitted(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The settings modal: validate, store, and confirm privately."""
        actor = actor_of(context, body)
        channel_id = view_metadata(body).get("channel", "")
        current = await self.checkins.schedule(team_id=actor.team_id, channel_id=channel_id)
        schedule, errors = parse_settings(body, current)
        if schedule is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await self.checkins.save_settings(team_id=actor.team_id, channel_id=channel_id, schedule=schedule)
        await client.chat_postEphemeral(
            channel=channel_id, user=actor.user_id, text=blocks.settings_saved_text(schedule)
        )

    # ---- thread replies and the Home tab ------------------------------------------------------------------

    async def handle_thread_reply(self, message: IncomingMessage) -> None:
        """A reply in a ship or measure prompt's thread adds (or edits) an item or a result."""
        if not message.thread_ts or not message.text or message.owner is None:
            return
        thread = await self.checkins.thread(team_id=message.team_id, ref_id=message.owner.ref_id)
        if thread is None:
            return
        try:
            if thread.prompt is Prompt.SHIP:
                await self._ship_reply(message, thread.week)
            elif thread.prompt is Prompt.MEASURE:
                await self._measure_reply(message, thread.week)
        except InputError as error:
            await message.client.chat_postEphemeral(
                channel=message.channel_id,
                user=message.user_id,
                thread_ts=message.thread_ts,
                text=escape(error.message),
            )

    async def home_section(self, team_id: str, user_id: str, client: AsyncWebClient) -> list[Block]:
        """The check-ins this person runs or is asked in."""
        statuses = await self.checkins.involving(team_id=team_id, user_id=user_id)
        return blocks.build_home_section(
            [
                (status.row.channel_id, status.state, status.next_due, status.digest, status.schedule)
                for status in statuses
                if status.row is not None
            ]
        )

    # ---- the steps the handlers share -------------------------------------------------------------------

    async def _ship_reply(self, message: IncomingMessage, week: str) -> None:
        change = await self.checkins.add_item_from_reply(
            team_id=message.team_id,
            channel_id=message.channel_id,
            week=week,
            text=text_with_mentions(message),
            user_id=message.user_id,
            ts=message.ts,
            is_edit=message.is_edit,
        )
        await self._show_item(message.client, change, team_id=message.team_id, user_id=message.user_id)
        await self._refresh_week(message.client, team_id=message.team_id, channel_id=message.channel_id, week=week)

    async def _measure_reply(self, message: IncomingMessage, week: str) -> None:
        change = await self.checkins.report_result_from_reply(
            team_id=message.team_id, channel_id=message.channel_id, week=week, text=message.text, ts=message.ts
        )
        if not message.is_edit:
            await self._confirm_result(message.client, change, team_id=message.team_id, user_id=message.user_id)
        await self._refresh_week(message.client, team_id=message.team_id, channel_id=message.channel_id, week=week)

    async def _open_settings(self, client: AsyncWebClient, *, trigger_id: str, team_id: str, channel_id: str) -> None:
        schedule = await self.checkins.schedule(team_id=team_id, channel_id=channel_id)
        await client.views_open(
            trigger_id=trigger_id, view=blocks.build_settings_modal(channel_id=channel_id, schedule=schedule)
        )

    async def _show_item(self, client: AsyncWebClient, change: ItemChange, *, team_id: str, user_id: str) -> None:
        """List a new item in its week's thread, or update its listing after an edit."""
        row, item = change.row, change.item
        if not change.created and row.reply_ts:
            await client.chat_update(
                channel=row.channel_id,
                ts=row.reply_ts,
                text=blocks.item_added_text(item),
                blocks=blocks.build_item_added(item, edited=True),
            )
            return
        thread_ts = await self.checkins.items_thread(team_id=team_id, channel_id=row.channel_id, week=item.week)
        if thread_ts is None:
            await client.chat_postEphemeral(
                channel=row.channel_id,
                user=user_id,
                text=blocks.item_saved_text(item),
                blocks=blocks.build_item_added(item),
            )
            return
        posted = await client.chat_postMessage(
            channel=row.channel_id,
            thread_ts=thread_ts,
            text=blocks.item_added_text(item),
            blocks=blocks.build_item_added(item, edited=not change.created),
        )
        await self.checkins.set_reply(team_id=team_id, item_id=item.id, reply_ts=posted["ts"])

    async def _confirm_result(self, client: AsyncWebClient, change: ItemChange, *, team_id: str, user_id: str) -> None:
        """Say in the measure prompt's thread that a result came in."""
        thread_ts = await self.checkins.results_thread(
            team_id=team_id, channel_id=change.row.channel_id, week=change.item.week
        )
        if thread_ts is None:
            return
        await client.chat_postMessage(
            channel=change.row.channel_id,
            thread_ts=thread_ts,
            text=blocks.result_reported_text(change.item),
            blocks=blocks.build_result_reported(change.item, user_id),
        )

    async def _refresh_week(self, client: AsyncWebClient, *, team_id: str, channel_id: str, week: str) -> None:
        """Bring the week's measure prompt and digest up to date after an item or result changed."""
        for posted in await self.checkins.week_messages(team_id=team_id, channel_id=channel_id, week=week):
            try:
                await client.chat_update(
                    channel=channel_id,
                    ts=posted.ts,
                    text=blocks.checkin_message_text(posted.message),
                    blocks=blocks.build_checkin_message(posted.message),
                )
            except SlackApiError as error:
                logger.warning(
                    "could not update check-in message (channel %s): %s", channel_id, error.response.get("error")
                )


def _require_same_channel(clicked_in: str, named: str) -> None:
    """A button clicked in a channel acts only on that channel's check-ins (Home's buttons name their own)."""
    if clicked_in and named != clicked_in:
        raise InputError(OTHER_CHANNEL)


async def _user_timezone(client: AsyncWebClient, user_id: str) -> str:
    """A person's IANA time zone from their Slack profile (UTC when Slack doesn't say)."""
    response = await client.users_info(user=user_id)
    return (response.get("user") or {}).get("tz") or "UTC"


async def _respond_status(request: CommandRequest, status: Status) -> None:
    built = blocks.build_status(
        channel_id=request.channel_id,
        state=status.state,
        schedule=status.schedule,
        next_due=status.next_due,
        digest=status.digest,
        paused_reason=(status.row.paused_reason or "") if status.row else "",
        away=status.away,
    )
    await request.respond(text=blocks.status_text(status.state), blocks=built, response_type="ephemeral")
