"""Check-ins in Slack: `/flywheel checkins ...`, the prompts' buttons and modals, and replies in their threads."""

import json
import logging
import re
from datetime import date, time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import checkins as blocks
from bot.checkins.compose import STREAK_HISTORY_WEEKS, compose_digest, compose_measure
from bot.checkins.dispatch import THREAD_KIND
from bot.checkins.items import NextStep, Result, Stage
from bot.checkins.replies import parse_measure_reply, parse_ship_reply
from bot.checkins.schedule import CYCLE_ORDER, Prompt, Schedule, Slot, Weekday
from bot.checkins.service import CheckinService, ItemChange, Status
from bot.checkins.weeks import shift_week, week_key, week_monday
from bot.errors import CoachError, InputError
from bot.listeners.errors import channel_unreachable, reporting_errors
from bot.listeners.router import CommandRequest, IncomingMessage, Routes
from bot.services import Services
from bot.store import checkins as store
from bot.store.models.checkins import SCHEDULE_ON
from bot.store.threads import find_thread

logger = logging.getLogger(__name__)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NotInChannel(CoachError):
    """The coach cannot post in the channel where check-ins were asked for."""

    def __init__(self) -> None:
        super().__init__(
            "I'm not a member of this channel, so I can't post check-ins here: invite me with "
            "`/invite @flywheel-coach`, then run `/flywheel checkins on` again."
        )


def _value(body: dict[str, Any]) -> dict[str, str]:
    try:
        return json.loads(body["actions"][0].get("value") or "{}")
    except (KeyError, IndexError, ValueError):
        return {}


def _state(body: dict[str, Any], block_id: str) -> dict[str, Any]:
    return ((body.get("view") or {}).get("state") or {}).get("values", {}).get(block_id, {}).get(blocks.INPUT) or {}


def _selected(body: dict[str, Any], block_id: str) -> str | None:
    option = _state(body, block_id).get("selected_option")
    return option.get("value") if option else None


def _metadata(body: dict[str, Any]) -> dict[str, str]:
    try:
        return json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}


def parse_settings(body: dict[str, Any], current: Schedule) -> tuple[Schedule | None, dict[str, str]]:
    """The schedule a submitted settings modal describes, or the errors to show per block."""
    zone = (_state(body, blocks.BLOCK_TIMEZONE).get("value") or "").strip()
    slots: dict[Prompt, Slot] = {}
    errors: dict[str, str] = {}
    for prompt in CYCLE_ORDER:
        day = _selected(body, blocks.day_block(prompt))
        clock = _state(body, blocks.time_block(prompt)).get("selected_time") or ""
        if day is None:
            errors[blocks.day_block(prompt)] = "Pick a day."
            continue
        try:
            hours, minutes = clock.split(":")
            slots[prompt] = Slot(Weekday(int(day)), time(int(hours), int(minutes)))
        except ValueError:
            errors[blocks.time_block(prompt)] = "Pick a time."
    for earlier, later in zip(CYCLE_ORDER, CYCLE_ORDER[1:], strict=False):
        if earlier in slots and later in slots and slots[later] <= slots[earlier]:
            errors[blocks.time_block(later)] = (
                f"Must come after the {blocks.PROMPT_LABELS[earlier].lower()} (the week runs Monday to Sunday)."
            )
            break
    enabled = [option["value"] for option in _state(body, blocks.BLOCK_ENABLED).get("selected_options") or []]
    participants = _state(body, blocks.BLOCK_PARTICIPANTS).get("selected_users") or []
    if errors:
        return None, errors
    try:
        schedule = Schedule(
            timezone=zone,
            ship=slots[Prompt.SHIP],
            measure=slots[Prompt.MEASURE],
            reminder=slots[Prompt.REMINDER],
            digest=slots[Prompt.DIGEST],
            enabled=frozenset(Prompt(value) for value in enabled),
            participants=tuple(participants),
            skips=current.skips,
        )
    except InputError as error:
        return None, {blocks.BLOCK_TIMEZONE: error.message[:150]}
    return schedule, {}


def parse_number(text: str | None) -> float | None:
    """The modal's number field (empty: no number)."""
    if text is None or not text.strip():
        return None
    try:
        return float(text.strip().replace(",", "."))
    except ValueError as error:
        raise InputError(f"'{text[:20]}' is not a number: write it like 3.5 or -2.") from error


class CheckinsSlack:
    """The Slack side of check-ins: what each command, button, modal and thread reply does."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.checkins: CheckinService = services.checkins

    async def user_timezone(self, client: AsyncWebClient, user_id: str) -> str:
        """A person's IANA time zone from their Slack profile (UTC when Slack doesn't say)."""
        response = await client.users_info(user=user_id)
        return (response.get("user") or {}).get("tz") or "UTC"

    async def turn_on(self, request: CommandRequest) -> None:
        """Start check-ins in the channel, announce it, and show the status privately."""
        current = await self.checkins.status(team_id=request.team_id, channel_id=request.channel_id)
        if current.state == SCHEDULE_ON:
            await self._respond_status(request, current)
            return
        timezone = await self.user_timezone(request.client, request.user_id)
        status = await self.checkins.turn_on(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id, timezone=timezone
        )
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
        await self._respond_status(request, status)

    async def show_status(self, request: CommandRequest) -> None:
        """The channel's check-ins, privately."""
        await self._respond_status(
            request, await self.checkins.status(team_id=request.team_id, channel_id=request.channel_id)
        )

    async def _respond_status(self, request: CommandRequest, status: Status) -> None:
        built = blocks.build_status(
            channel_id=request.channel_id,
            state=status.state,
            schedule=status.schedule,
            next_due=status.next_due,
            digest=status.digest,
            paused_reason=(status.row.paused_reason or "") if status.row else "",
            away=status.away,
        )
        await request.respond(text=f"Check-ins are {status.state} here.", blocks=built, response_type="ephemeral")

    async def open_settings(self, client: AsyncWebClient, *, trigger_id: str, team_id: str, channel_id: str) -> None:
        """The settings modal for a channel's check-ins."""
        schedule = await self.checkins.schedule(team_id=team_id, channel_id=channel_id)
        await client.views_open(
            trigger_id=trigger_id, view=blocks.build_settings_modal(channel_id=channel_id, schedule=schedule)
        )

    async def refresh_week(self, client: AsyncWebClient, *, team_id: str, channel_id: str, week: str) -> None:
        """Bring the week's measure prompt and digest up to date after an item or result changed."""
        async with self.services.db.session() as session:
            loaded = await store.load_schedule(session, team_id=team_id, channel_id=channel_id)
            measure = await store.find_dispatch(
                session, team_id=team_id, channel_id=channel_id, week=week, prompt=Prompt.MEASURE
            )
            digest = await store.find_dispatch(
                session, team_id=team_id, channel_id=channel_id, week=week, prompt=Prompt.DIGEST
            )
            rows = await store.channel_items(
                session, team_id=team_id, channel_id=channel_id, since_week=shift_week(week, 1 - STREAK_HISTORY_WEEKS)
            )
        if loaded is None:
            return
        schedule = loaded[1]
        items = [store.ship_item(row) for row in rows]
        updates = []
        if measure is not None and measure.message_ts and measure.posted_at:
            of_week = [item for item in items if item.week == week]
            updates.append((measure.message_ts, compose_measure(schedule, measure, of_week, sent_at=measure.posted_at)))
        if digest is not None and digest.message_ts and digest.posted_at:
            composed, _ = compose_digest(schedule, digest, items, sent_at=digest.posted_at)
            updates.append((digest.message_ts, composed))
        for ts, composed in updates:
            try:
                await client.chat_update(channel=channel_id, ts=ts, text=composed.text, blocks=composed.blocks)
            except SlackApiError as error:
                logger.warning(
                    "could not update check-in message (channel %s): %s", channel_id, error.response.get("error")
                )

    async def prompt_thread(self, *, team_id: str, channel_id: str, week: str) -> str | None:
        """Where a week's items are listed: the ship prompt's thread, else the measure prompt's."""
        async with self.services.db.session() as session:
            for prompt in (Prompt.SHIP, Prompt.MEASURE):
                dispatch = await store.find_dispatch(
                    session, team_id=team_id, channel_id=channel_id, week=week, prompt=prompt
                )
                if dispatch is not None and dispatch.message_ts:
                    return dispatch.message_ts
        return None

    async def show_item(self, client: AsyncWebClient, change: ItemChange, *, team_id: str, user_id: str) -> None:
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
        thread_ts = await self.prompt_thread(team_id=team_id, channel_id=row.channel_id, week=item.week)
        if thread_ts is None:
            await client.chat_postEphemeral(
                channel=row.channel_id,
                user=user_id,
                text=f"Saved for {blocks.week_label(item.week)}.",
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

    async def confirm_result(self, client: AsyncWebClient, change: ItemChange, *, team_id: str, user_id: str) -> None:
        """Say in the measure prompt's thread that a result came in."""
        async with self.services.db.session() as session:
            measure = await store.find_dispatch(
                session, team_id=team_id, channel_id=change.row.channel_id, week=change.item.week, prompt=Prompt.MEASURE
            )
        if measure is None or not measure.message_ts:
            return
        await client.chat_postMessage(
            channel=change.row.channel_id,
            thread_ts=measure.message_ts,
            text=blocks.result_reported_text(change.item),
            blocks=blocks.build_result_reported(change.item, user_id),
        )

    async def on_reply(self, message: IncomingMessage) -> None:
        """A reply in a ship or measure prompt's thread adds (or edits) an item or a result."""
        if not message.thread_ts or not message.text:
            return
        async with self.services.db.session() as session:
            owner = await find_thread(
                session, team_id=message.team_id, channel_id=message.channel_id, thread_ts=message.thread_ts
            )
            dispatch = (
                await store.get_dispatch(session, team_id=message.team_id, dispatch_id=int(owner.ref_id))
                if owner is not None and owner.ref_id and owner.ref_id.isdigit()
                else None
            )
        if dispatch is None:
            return
        try:
            if dispatch.prompt == Prompt.SHIP.value:
                await self._ship_reply(message, dispatch.week)
            elif dispatch.prompt == Prompt.MEASURE.value:
                await self._measure_reply(message, dispatch.week)
        except InputError as error:
            await message.client.chat_postEphemeral(
                channel=message.channel_id, user=message.user_id, thread_ts=message.thread_ts, text=error.message
            )

    async def _ship_reply(self, message: IncomingMessage, week: str) -> None:
        reply = parse_ship_reply(_raw_text(message))
        existing = (
            await self.checkins.item_by_reply(
                team_id=message.team_id, channel_id=message.channel_id, ts=message.ts, field="source_ts"
            )
            if message.is_edit
            else None
        )
        if existing is not None:
            change = await self.checkins.edit_item(
                team_id=message.team_id,
                item_id=existing.id,
                what=reply.what,
                owner=reply.owner or existing.owner,
                stage=reply.stage,
                expected_metric=reply.expected_metric,
            )
        else:
            change = await self.checkins.add_item(
                team_id=message.team_id,
                channel_id=message.channel_id,
                week=week,
                what=reply.what,
                owner=reply.owner or message.user_id,
                stage=reply.stage,
                expected_metric=reply.expected_metric,
                created_by=message.user_id,
                source_ts=message.ts,
            )
        await self.show_item(message.client, change, team_id=message.team_id, user_id=message.user_id)
        await self.refresh_week(message.client, team_id=message.team_id, channel_id=message.channel_id, week=week)

    async def _measure_reply(self, message: IncomingMessage, week: str) -> None:
        reply = parse_measure_reply(message.text)
        items = await self.checkins.week_items(team_id=message.team_id, channel_id=message.channel_id, week=week)
        if not 1 <= reply.item_number <= len(items):
            raise InputError(
                f"There is no item #{reply.item_number} in {blocks.week_label(week)}: "
                f"the measure prompt lists {len(items)}."
            )
        change = await self.checkins.report_result(
            team_id=message.team_id,
            item_id=items[reply.item_number - 1].id,
            result=reply.result,
            number=reply.number,
            learned=reply.learned,
            next_step=reply.next_step,
            result_ts=message.ts,
        )
        if not message.is_edit:
            await self.confirm_result(message.client, change, team_id=message.team_id, user_id=message.user_id)
        await self.refresh_week(message.client, team_id=message.team_id, channel_id=message.channel_id, week=week)


def _raw_text(message: IncomingMessage) -> str:
    """The reply's text with its mentions of people (the router strips them), minus the coach's own."""
    event = message.body.get("event") or {}
    text = (event.get("message") or {}).get("text") if message.is_edit else event.get("text")
    coach = next((a.get("user_id") for a in message.body.get("authorizations") or [] if a.get("user_id")), None)
    if not text:
        return message.text
    return text.replace(f"<@{coach}>", " ").strip() if coach else text


def _last_day_away(text: str) -> date | None:
    """The last day away someone wrote as YYYY-MM-DD, or None when they wrote none."""
    text = text.strip()
    if not text:
        return None
    if not _DATE.match(text):
        raise InputError(f"'{text[:20]}' is not a date: write the last day you are away as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InputError(f"{text} is not a real date: write it as YYYY-MM-DD.") from error


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """`/flywheel checkins ...`, the check-in buttons and modals, and replies in check-in threads."""
    flow = CheckinsSlack(services)
    checkins = services.checkins

    async def handle_checkins_command(request: CommandRequest) -> None:
        """`/flywheel checkins on|off|status|settings|skip|away|back`."""
        verb, _, rest = request.text.partition(" ")
        verb, rest = verb.lower() or "status", rest.strip()
        if verb == "on":
            await flow.turn_on(request)
        elif verb == "off":
            stopped = await checkins.turn_off(team_id=request.team_id, channel_id=request.channel_id)
            text = (
                "Check-ins are off in this channel. Items and results stay; `/flywheel checkins on` resumes them."
                if stopped
                else "Check-ins were not running in this channel."
            )
            await request.respond(text=text, response_type="ephemeral")
        elif verb == "status":
            await flow.show_status(request)
        elif verb == "settings":
            await flow.open_settings(
                request.client,
                trigger_id=request.trigger_id or "",
                team_id=request.team_id,
                channel_id=request.channel_id,
            )
        elif verb == "skip":
            if rest:
                week_monday(rest)  # validates, with a clear message
            skip = await checkins.skip(
                team_id=request.team_id, channel_id=request.channel_id, created_by=request.user_id, week=rest or None
            )
            await request.client.chat_postMessage(
                channel=request.channel_id, text=blocks.skipped_week_text(request.user_id, week_key(skip.first_day))
            )
        elif verb == "away":
            skip = await checkins.away_until(
                team_id=request.team_id,
                channel_id=request.channel_id,
                user_id=request.user_id,
                last_day=_last_day_away(rest),
            )
            await request.respond(
                text=blocks.away_text(skip.first_day.isoformat(), skip.last_day.isoformat()), response_type="ephemeral"
            )
        elif verb == "back":
            await checkins.back(team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id)
            await request.respond(text="Welcome back: you're in the check-ins again.", response_type="ephemeral")
        else:
            await request.respond(text=blocks.CHECKINS_USAGE, response_type="ephemeral")

    async def handle_add_item(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        """ "Add a shipped item": the item modal for the prompt's week."""
        await ack()
        week = _value(body).get("week", "")
        channel_id = context.channel_id or (body.get("container") or {}).get("channel_id", "")
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.build_item_modal(channel_id=channel_id, week=week, owner=context.user_id or ""),
        )

    async def handle_edit_item(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        """ "Edit" on a listed item: the item modal, filled in."""
        await ack()
        row = await checkins.item_row(team_id=context.team_id or "", item_id=_value(body).get("item", ""))
        item = store.ship_item(row)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.build_item_modal(channel_id=row.channel_id, week=row.week, owner=item.owner, item=item),
        )

    async def handle_report_result(
        ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "Report result": the result modal for that item."""
        await ack()
        item = await checkins.item(team_id=context.team_id or "", item_id=_value(body).get("item", ""))
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.build_result_modal(item))

    async def handle_skip_week(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        """ "Skip this week": the channel skips the prompt's week."""
        await ack()
        week = _value(body).get("week", "")
        channel_id = context.channel_id or ""
        await checkins.skip(
            team_id=context.team_id or "", channel_id=channel_id, created_by=context.user_id or "", week=week
        )
        thread_ts = (body.get("container") or {}).get("message_ts")
        await client.chat_postMessage(
            channel=channel_id,
            thread_ts=thread_ts,
            text=blocks.skipped_week_text(context.user_id or "", week),
        )

    async def handle_away_week(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        """ "I'm away this week": the person skips the prompt's week."""
        await ack()
        week = _value(body).get("week", "")
        skip = await checkins.skip(
            team_id=context.team_id or "",
            channel_id=context.channel_id or "",
            created_by=context.user_id or "",
            week=week,
            person=context.user_id,
        )
        await client.chat_postEphemeral(
            channel=context.channel_id or "",
            user=context.user_id or "",
            text=blocks.away_text(skip.first_day.isoformat(), skip.last_day.isoformat()),
        )

    async def handle_open_settings(
        ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "Settings" in the status message."""
        await ack()
        channel_id = _value(body).get("channel") or context.channel_id or ""
        await flow.open_settings(
            client, trigger_id=body["trigger_id"], team_id=context.team_id or "", channel_id=channel_id
        )

    async def handle_item_submitted(
        ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The item modal: add the item, or save the edit, and list it in the week's thread."""
        what = (_state(body, blocks.BLOCK_WHAT).get("value") or "").strip()
        stage = _selected(body, blocks.BLOCK_STAGE)
        owner = _state(body, blocks.BLOCK_OWNER).get("selected_user") or context.user_id or ""
        errors = {}
        if not what:
            errors[blocks.BLOCK_WHAT] = "Say what ships."
        if stage is None:
            errors[blocks.BLOCK_STAGE] = "Pick the loop stage it strengthens."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        metadata = _metadata(body)
        team_id, user_id = context.team_id or "", context.user_id or ""
        metric = _state(body, blocks.BLOCK_METRIC).get("value") or ""
        if metadata.get("item"):
            change = await checkins.edit_item(
                team_id=team_id,
                item_id=metadata["item"],
                what=what,
                owner=owner,
                stage=Stage(stage),
                expected_metric=metric,
            )
        else:
            change = await checkins.add_item(
                team_id=team_id,
                channel_id=metadata.get("channel", ""),
                week=metadata.get("week", ""),
                what=what,
                owner=owner,
                stage=Stage(stage),
                expected_metric=metric,
                created_by=user_id,
            )
        await flow.show_item(client, change, team_id=team_id, user_id=user_id)
        await flow.refresh_week(client, team_id=team_id, channel_id=change.row.channel_id, week=change.item.week)

    async def handle_result_submitted(
        ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The result modal: record the result and update the week's messages."""
        result = _selected(body, blocks.BLOCK_RESULT)
        try:
            number = parse_number(_state(body, blocks.BLOCK_NUMBER).get("value"))
        except InputError as error:
            await ack(response_action="errors", errors={blocks.BLOCK_NUMBER: error.message})
            return
        if result is None:
            await ack(response_action="errors", errors={blocks.BLOCK_RESULT: "Pick what the metric did."})
            return
        await ack()
        team_id, user_id = context.team_id or "", context.user_id or ""
        next_step = _selected(body, blocks.BLOCK_NEXT)
        change = await checkins.report_result(
            team_id=team_id,
            item_id=_metadata(body).get("item", ""),
            result=Result(result),
            number=number,
            learned=_state(body, blocks.BLOCK_LEARNED).get("value") or "",
            next_step=NextStep(next_step) if next_step else None,
        )
        await flow.confirm_result(client, change, team_id=team_id, user_id=user_id)
        await flow.refresh_week(client, team_id=team_id, channel_id=change.row.channel_id, week=change.item.week)

    async def handle_settings_submitted(
        ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The settings modal: validate, store, and confirm privately."""
        team_id, user_id = context.team_id or "", context.user_id or ""
        channel_id = _metadata(body).get("channel", "")
        current = await checkins.schedule(team_id=team_id, channel_id=channel_id)
        schedule, errors = parse_settings(body, current)
        if schedule is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await checkins.save_settings(team_id=team_id, channel_id=channel_id, schedule=schedule)
        await client.chat_postEphemeral(
            channel=channel_id,
            user=user_id,
            text=f"Saved. Check-ins here: {blocks.schedule_summary(schedule)}.",
        )

    async def home_section(team_id: str, user_id: str, client: AsyncWebClient) -> list[dict[str, Any]]:
        """The check-ins this person runs or is asked in."""
        statuses = await checkins.involving(team_id=team_id, user_id=user_id)
        return blocks.build_home_section(
            [
                (status.row.channel_id, status.state, status.next_due, status.digest, status.schedule)
                for status in statuses
                if status.row is not None
            ]
        )

    routes.add_subcommand("checkins", handle_checkins_command, usage="checkins on|off|status|settings|skip|away|back")
    routes.add_thread_kind(THREAD_KIND, flow.on_reply)
    routes.home_sections.append(home_section)
    app.action(blocks.ACTION_ADD_ITEM)(reporting_errors(handle_add_item))
    app.action(blocks.ACTION_EDIT_ITEM)(reporting_errors(handle_edit_item))
    app.action(blocks.ACTION_REPORT_RESULT)(reporting_errors(handle_report_result))
    app.action(blocks.ACTION_SKIP_WEEK)(reporting_errors(handle_skip_week))
    app.action(blocks.ACTION_AWAY_WEEK)(reporting_errors(handle_away_week))
    app.action(blocks.ACTION_OPEN_SETTINGS)(reporting_errors(handle_open_settings))
    app.view(blocks.VIEW_ITEM)(reporting_errors(handle_item_submitted))
    app.view(blocks.VIEW_RESULT)(reporting_errors(handle_result_submitted))
    app.view(blocks.VIEW_SETTINGS)(reporting_errors(handle_settings_submitted))
