"""Check-ins as the rest of the coach uses them: schedules, skips, items and results, thread replies, the passes."""

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.checkins import records
from bot.checkins.compose import STREAK_HISTORY_WEEKS, CheckinMessage, compose_digest, compose_measure, skipped_weeks
from bot.checkins.digest import Digest, build_digest
from bot.checkins.dispatch import Dispatcher, PassReport
from bot.checkins.items import NextStep, Result, ShipItem, record_result
from bot.checkins.posting import CheckinPoster
from bot.checkins.replies import parse_measure_reply, parse_ship_reply
from bot.checkins.schedule import Occurrence, Prompt, Schedule, Skip, next_occurrence, skip_week
from bot.checkins.weeks import shift_week, week_key, week_label, week_monday
from bot.clock import Clock
from bot.errors import InputError, NotFoundError
from bot.interview.diagnosis import TeamSearch
from bot.stages import Stage
from bot.store import checkins as store
from bot.store.db import Database
from bot.store.models.checkins import SCHEDULE_OFF, SCHEDULE_ON, CheckinItem, CheckinSchedule

NOT_SET_UP = "Check-ins are not set up in this channel: turn them on with `/flywheel checkins on`."
ITEM_GONE = "That item no longer exists (it may belong to another workspace or have been removed)."


@dataclass(frozen=True)
class Status:
    """A channel's check-ins as `/flywheel checkins status` shows them."""

    state: str
    row: CheckinSchedule | None
    schedule: Schedule | None
    next_due: Occurrence | None
    digest: Digest | None
    away: list[tuple[str | None, str]]


@dataclass(frozen=True)
class StoredItem:
    """An item, and its row: the channel it belongs to and the Slack messages that describe it."""

    item: ShipItem
    row: CheckinItem


@dataclass(frozen=True)
class ItemChange(StoredItem):
    """An item after a change, and whether it is new."""

    created: bool


@dataclass(frozen=True)
class CheckinThread:
    """The prompt (ship or measure) whose thread a reply is in, and its week."""

    prompt: Prompt
    week: str


@dataclass(frozen=True)
class PostedMessage:
    """A check-in message already in the channel (`ts`), and what it should say now."""

    ts: str
    message: CheckinMessage


class CheckinService:
    """Schedules, skips, items and results in storage, and the dispatcher that posts the prompts."""

    def __init__(self, db: Database, clock: Clock, *, search: TeamSearch | None = None) -> None:
        self.db = db
        self.clock = clock
        self.dispatcher = Dispatcher(db, search=search)
        self.changed = asyncio.Event()
        """Set when a schedule changes, so the scheduler re-reads when the next prompt is due."""

    async def run_pass(
        self, poster: CheckinPoster, now: datetime | None = None, *, dry_run: bool = False
    ) -> PassReport:
        """Post everything due at `now` (default: the clock)."""
        return await self.dispatcher.run_pass(poster, now or self.clock.now(), dry_run=dry_run)

    async def next_due_at(self) -> datetime | None:
        """When the next prompt of any workspace's running schedules is due (the scheduler sleeps until then)."""
        async with self.db.session() as session:
            return await store.earliest_due(session)

    # ---- schedules ---------------------------------------------------------------------------------

    async def turn_on(self, *, team_id: str, channel_id: str, user_id: str, timezone: str) -> tuple[bool, Status]:
        """Start (or resume) check-ins in a channel; a new schedule takes the defaults in `timezone`.

        Returns whether this request turned them on (of several at once, exactly one did), and the status.
        """
        async with self.db.session() as session:
            started = await records.turn_on(
                session,
                team_id=team_id,
                channel_id=channel_id,
                default=Schedule(timezone=timezone),
                user_id=user_id,
                now=self.clock.now(),
            )
        self.changed.set()
        return started, await self.status(team_id=team_id, channel_id=channel_id)

    async def turn_off(self, *, team_id: str, channel_id: str) -> bool:
        """Stop check-ins in a channel; False when they were not running."""
        async with self.db.session() as session:
            stopped = await store.turn_off(session, team_id=team_id, channel_id=channel_id, now=self.clock.now())
        self.changed.set()
        return stopped

    async def status(self, *, team_id: str, channel_id: str) -> Status:
        """Where a channel's check-ins stand, with this week's figures so far."""
        now = self.clock.now()
        async with self.db.session() as session:
            loaded = await records.load_schedule(session, team_id=team_id, channel_id=channel_id)
            if loaded is None:
                return Status(SCHEDULE_OFF, None, None, None, None, [])
            row, schedule = loaded
            week = week_key(now.astimezone(schedule.zone).date())
            rows = await store.channel_items(
                session, team_id=team_id, channel_id=channel_id, since_week=shift_week(week, 1 - STREAK_HISTORY_WEEKS)
            )
        items = [records.ship_item(item) for item in rows]
        digest = build_digest(items, week, skipped_weeks=skipped_weeks(schedule, week))
        today = now.astimezone(schedule.zone).date()
        away = [(skip.user_id, skip.last_day.isoformat()) for skip in schedule.skips if skip.last_day >= today]
        upcoming = next_occurrence(schedule, now) if row.state == SCHEDULE_ON else None
        return Status(row.state, row, schedule, upcoming, digest, away)

    async def involving(self, *, team_id: str, user_id: str, limit: int = 10) -> list[Status]:
        """The running or paused check-ins a person set up or is asked in (for the Home tab)."""
        async with self.db.session() as session:
            rows = await store.team_schedules(session, team_id=team_id)
        mine = [row for row in rows if row.set_up_by == user_id or user_id in row.participants][:limit]
        return [await self.status(team_id=team_id, channel_id=row.channel_id) for row in mine]

    async def schedule(self, *, team_id: str, channel_id: str) -> Schedule:
        """A channel's current schedule (NotFoundError when check-ins were never set up there)."""
        async with self.db.session() as session:
            loaded = await records.load_schedule(session, team_id=team_id, channel_id=channel_id)
        if loaded is None:
            raise NotFoundError(NOT_SET_UP)
        return loaded.schedule

    async def save_settings(self, *, team_id: str, channel_id: str, schedule: Schedule) -> None:
        """Store new settings for a channel's check-ins."""
        async with self.db.session() as session:
            saved = await records.save_settings(
                session, team_id=team_id, channel_id=channel_id, schedule=schedule, now=self.clock.now()
            )
        if saved is None:
            raise NotFoundError(NOT_SET_UP)
        self.changed.set()

    # ---- skips ---------------------------------------------------------------------------------------

    async def local_today(self, *, team_id: str, channel_id: str) -> date:
        """Today in the channel's time zone."""
        schedule = await self.schedule(team_id=team_id, channel_id=channel_id)
        return self.clock.now().astimezone(schedule.zone).date()

    async def skip(
        self, *, team_id: str, channel_id: str, created_by: str, week: str | None = None, person: str | None = None
    ) -> Skip:
        """Skip a week (default: this one) for the channel, or for one person."""
        if week:
            week_monday(week)  # a mistyped week is the first thing to hear about
        schedule = await self.schedule(team_id=team_id, channel_id=channel_id)
        week = week or week_key(self.clock.now().astimezone(schedule.zone).date())
        return await self._add_skip(team_id, channel_id, skip_week(week, person), created_by)

    async def away_until(self, *, team_id: str, channel_id: str, user_id: str, last_day: date | None = None) -> Skip:
        """A person is away from today up to and including `last_day` (by default the coming Sunday)."""
        today = await self.local_today(team_id=team_id, channel_id=channel_id)
        if last_day is None:
            last_day = today + timedelta(days=6 - today.weekday())
        if last_day < today:
            raise InputError(f"{last_day.isoformat()} has already passed: give the last day you are away.")
        if last_day > today + timedelta(days=366):
            raise InputError("That is more than a year away: give a date within the next twelve months.")
        return await self._add_skip(team_id, channel_id, Skip(today, last_day, user_id), user_id)

    async def back(self, *, team_id: str, channel_id: str, user_id: str | None) -> int:
        """End a person's (or with None, the channel's) skips from today on."""
        today = await self.local_today(team_id=team_id, channel_id=channel_id)
        async with self.db.session() as session:
            changed = await store.end_skips(
                session, team_id=team_id, channel_id=channel_id, user_id=user_id, today=today
            )
            await records.refresh_next_due(session, team_id=team_id, channel_id=channel_id, now=self.clock.now())
        self.changed.set()
        return changed

    async def _add_skip(self, team_id: str, channel_id: str, skip: Skip, created_by: str) -> Skip:
        async with self.db.session() as session:
            await store.add_skip(
                session,
                team_id=team_id,
                channel_id=channel_id,
                user_id=skip.user_id,
                first_day=skip.first_day,
                last_day=skip.last_day,
                created_by=created_by,
            )
            await records.refresh_next_due(session, team_id=team_id, channel_id=channel_id, now=self.clock.now())
        self.changed.set()
        return skip

    # ---- items and results -------------------------------------------------------------------------------

    async def add_item(
        self,
        *,
        team_id: str,
        channel_id: str,
        week: str,
        what: str,
        owner: str,
        stage: Stage,
        expected_metric: str,
        created_by: str,
        source_ts: str | None = None,
    ) -> ItemChange:
        """Record a shipped item for `week` (a late one still belongs to its week)."""
        what = what.strip()
        if not what:
            raise InputError("Say what shipped: the item needs a short description.")
        item = ShipItem(
            id=store.new_item_id(),
            week=week,
            what=what,
            owner=owner,
            stage=stage,
            expected_metric=expected_metric.strip(),
            shipped_at=self.clock.now(),
        )
        async with self.db.session() as session:
            row = await store.add_item(
                session,
                team_id=team_id,
                channel_id=channel_id,
                item_id=item.id,
                week=item.week,
                shipped_at=item.shipped_at,
                columns=records.item_columns(item),
                created_by=created_by,
                source_ts=source_ts,
            )
        return ItemChange(item, row, created=True)

    async def edit_item(
        self, *, team_id: str, item_id: str, what: str, owner: str, stage: Stage, expected_metric: str
    ) -> ItemChange:
        """Change an item's description (its result and week stay)."""
        if not what.strip():
            raise InputError("Say what shipped: the item needs a short description.")
        current = await self.item(team_id=team_id, item_id=item_id)
        changed = replace(current, what=what.strip(), owner=owner, stage=stage, expected_metric=expected_metric.strip())
        return await self._save(team_id, changed)

    async def report_result(
        self,
        *,
        team_id: str,
        item_id: str,
        result: Result,
        number: float | None,
        learned: str,
        next_step: NextStep | None,
        result_ts: str | None = None,
    ) -> ItemChange:
        """Record (or correct) an item's measured result, whenever it arrives."""
        current = await self.item(team_id=team_id, item_id=item_id)
        measured = record_result(
            current, result, at=self.clock.now(), number=number, learned=learned, next_step=next_step
        )
        tracking = {"result_ts": result_ts} if result_ts else {}
        return await self._save(team_id, measured, **tracking)

    async def set_reply(self, *, team_id: str, item_id: str, reply_ts: str) -> None:
        """Remember the coach's reply that lists an item (to update it when the item changes)."""
        current = await self.item(team_id=team_id, item_id=item_id)
        await self._save(team_id, current, reply_ts=reply_ts)

    async def item(self, *, team_id: str, item_id: str) -> ShipItem:
        """An item of this workspace (NotFoundError otherwise)."""
        return (await self.stored_item(team_id=team_id, item_id=item_id)).item

    async def stored_item(self, *, team_id: str, item_id: str) -> StoredItem:
        """An item of this workspace with its row (NotFoundError otherwise)."""
        async with self.db.session() as session:
            row = await store.get_item(session, team_id=team_id, item_id=item_id)
        if row is None:
            raise NotFoundError(ITEM_GONE)
        return StoredItem(records.ship_item(row), row)

    async def _save(self, team_id: str, item: ShipItem, **tracking: str) -> ItemChange:
        async with self.db.session() as session:
            row = await store.save_item(
                session,
                team_id=team_id,
                item_id=item.id,
                columns=records.item_columns(item),
                now=self.clock.now(),
                **tracking,
            )
        if row is None:
            raise NotFoundError(ITEM_GONE)
        return ItemChange(item, row, created=False)

    # ---- replies in the prompts' threads ------------------------------------------------------------------

    async def thread(self, *, team_id: str, ref_id: str | None) -> CheckinThread | None:
        """The prompt and week of a check-in thread (`ref_id`: its dispatch, as the thread's owner records it)."""
        if not ref_id or not ref_id.isdigit():
            return None
        async with self.db.session() as session:
            dispatch = await store.get_dispatch(session, team_id=team_id, dispatch_id=int(ref_id))
        return CheckinThread(Prompt(dispatch.prompt), dispatch.week) if dispatch is not None else None

    async def add_item_from_reply(
        self, *, team_id: str, channel_id: str, week: str, text: str, user_id: str, ts: str, is_edit: bool
    ) -> ItemChange:
        """A reply in the ship prompt's thread adds an item to `week`; an edit of that reply changes the item."""
        reply = parse_ship_reply(text)
        async with self.db.session() as session:
            existing = (
                await store.item_by_reply(session, team_id=team_id, channel_id=channel_id, ts=ts, field="source_ts")
                if is_edit
                else None
            )
        if existing is not None:
            return await self.edit_item(
                team_id=team_id,
                item_id=existing.id,
                what=reply.what,
                owner=reply.owner or existing.owner,
                stage=reply.stage,
                expected_metric=reply.expected_metric,
            )
        return await self.add_item(
            team_id=team_id,
            channel_id=channel_id,
            week=week,
            what=reply.what,
            owner=reply.owner or user_id,
            stage=reply.stage,
            expected_metric=reply.expected_metric,
            created_by=user_id,
            source_ts=ts,
        )

    async def report_result_from_reply(
        self, *, team_id: str, channel_id: str, week: str, text: str, ts: str
    ) -> ItemChange:
        """A reply in the measure prompt's thread reports the result of the item it numbers (`#2 moved +3`)."""
        reply = parse_measure_reply(text)
        items = await self._week_items(team_id=team_id, channel_id=channel_id, week=week)
        if not 1 <= reply.item_number <= len(items):
            raise InputError(
                f"There is no item #{reply.item_number} in {week_label(week)}: the measure prompt lists {len(items)}."
            )
        return await self.report_result(
            team_id=team_id,
            item_id=items[reply.item_number - 1].id,
            result=reply.result,
            number=reply.number,
            learned=reply.learned,
            next_step=reply.next_step,
            result_ts=ts,
        )

    async def _week_items(self, *, team_id: str, channel_id: str, week: str) -> list[ShipItem]:
        """A week's items, numbered as the measure prompt lists them."""
        async with self.db.session() as session:
            rows = await store.week_items(session, team_id=team_id, channel_id=channel_id, week=week)
        return [records.ship_item(row) for row in rows]

    # ---- the posted prompts ----------------------------------------------------------------------------

    async def items_thread(self, *, team_id: str, channel_id: str, week: str) -> str | None:
        """Where a week's items are listed: the ship prompt's thread, else the measure prompt's (None: neither)."""
        async with self.db.session() as session:
            for prompt in (Prompt.SHIP, Prompt.MEASURE):
                dispatch = await store.find_dispatch(
                    session, team_id=team_id, channel_id=channel_id, week=week, prompt=prompt.value
                )
                if dispatch is not None and dispatch.message_ts:
                    return dispatch.message_ts
        return None

    async def results_thread(self, *, team_id: str, channel_id: str, week: str) -> str | None:
        """Where a week's results are confirmed: the measure prompt's thread (None: not posted)."""
        async with self.db.session() as session:
            measure = await store.find_dispatch(
                session, team_id=team_id, channel_id=channel_id, week=week, prompt=Prompt.MEASURE.value
            )
        return measure.message_ts if measure is not None else None

    async def week_messages(self, *, team_id: str, channel_id: str, week: str) -> list[PostedMessage]:
        """The week's posted measure prompt and digest as they should read now (after an item or result changed)."""
        async with self.db.session() as session:
            loaded = await records.load_schedule(session, team_id=team_id, channel_id=channel_id)
            measure = await store.find_dispatch(
                session, team_id=team_id, channel_id=channel_id, week=week, prompt=Prompt.MEASURE.value
            )
            digest = await store.find_dispatch(
                session, team_id=team_id, channel_id=channel_id, week=week, prompt=Prompt.DIGEST.value
            )
            rows = await store.channel_items(
                session, team_id=team_id, channel_id=channel_id, since_week=shift_week(week, 1 - STREAK_HISTORY_WEEKS)
            )
        if loaded is None:
            return []
        items = [records.ship_item(row) for row in rows]
        messages = []
        if measure is not None and measure.message_ts and measure.posted_at:
            of_week = [item for item in items if item.week == week]
            composed = compose_measure(loaded.schedule, measure, of_week, sent_at=measure.posted_at)
            messages.append(PostedMessage(measure.message_ts, composed))
        if digest is not None and digest.message_ts and digest.posted_at:
            messages.append(
                PostedMessage(
                    digest.message_ts, compose_digest(loaded.schedule, digest, items, sent_at=digest.posted_at)
                )
            )
        return messages
