"""Check-ins as the rest of the coach uses them: schedules, skips, items and results, and the passes."""

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.checkins.compose import STREAK_HISTORY_WEEKS, skipped_weeks
from bot.checkins.digest import Digest, build_digest
from bot.checkins.dispatch import Dispatcher, PassReport
from bot.checkins.items import NextStep, Result, ShipItem, Stage, record_result
from bot.checkins.schedule import Occurrence, Schedule, Skip, next_occurrence, skip_week
from bot.checkins.weeks import shift_week, week_key
from bot.clock import Clock
from bot.errors import InputError, NotFoundError
from bot.interview.diagnosis import TeamSearch
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
class ItemChange:
    """An item after a change, and whether it is new."""

    item: ShipItem
    row: CheckinItem
    created: bool


class CheckinService:
    """Schedules, skips, items and results in storage, and the dispatcher that posts the prompts."""

    def __init__(self, db: Database, clock: Clock, *, search: TeamSearch | None = None) -> None:
        self.db = db
        self.clock = clock
        self.dispatcher = Dispatcher(db, search=search)
        self.changed = asyncio.Event()
        """Set when a schedule changes, so the scheduler re-reads when the next prompt is due."""

    async def run_pass(
        self, client: AsyncWebClient, now: datetime | None = None, *, dry_run: bool = False
    ) -> PassReport:
        """Post everything due at `now` (default: the clock)."""
        return await self.dispatcher.run_pass(client, now or self.clock.now(), dry_run=dry_run)

    # ---- schedules ---------------------------------------------------------------------------------

    async def turn_on(self, *, team_id: str, channel_id: str, user_id: str, timezone: str) -> Status:
        """Start (or resume) check-ins in a channel; a new schedule takes the defaults in `timezone`."""
        async with self.db.session() as session:
            await store.turn_on(
                session,
                team_id=team_id,
                channel_id=channel_id,
                default=Schedule(timezone=timezone),
                user_id=user_id,
                now=self.clock.now(),
            )
        self.changed.set()
        return await self.status(team_id=team_id, channel_id=channel_id)

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
            loaded = await store.load_schedule(session, team_id=team_id, channel_id=channel_id)
            if loaded is None:
                return Status(SCHEDULE_OFF, None, None, None, None, [])
            row, schedule = loaded
            week = week_key(now.astimezone(schedule.zone).date())
            rows = await store.channel_items(
                session, team_id=team_id, channel_id=channel_id, since_week=shift_week(week, 1 - STREAK_HISTORY_WEEKS)
            )
        items = [store.ship_item(item) for item in rows]
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
            loaded = await store.load_schedule(session, team_id=team_id, channel_id=channel_id)
        if loaded is None:
            raise NotFoundError(NOT_SET_UP)
        return loaded[1]

    async def save_settings(self, *, team_id: str, channel_id: str, schedule: Schedule) -> None:
        """Store new settings for a channel's check-ins."""
        async with self.db.session() as session:
            saved = await store.save_settings(
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
            await store.refresh_next_due(session, team_id=team_id, channel_id=channel_id, now=self.clock.now())
        self.changed.set()
        return changed

    async def _add_skip(self, team_id: str, channel_id: str, skip: Skip, created_by: str) -> Skip:
        async with self.db.session() as session:
            await store.add_skip(session, team_id=team_id, channel_id=channel_id, skip=skip, created_by=created_by)
            await store.refresh_next_due(session, team_id=team_id, channel_id=channel_id, now=self.clock.now())
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
                session, team_id=team_id, channel_id=channel_id, item=item, created_by=created_by, source_ts=source_ts
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
        async with self.db.session() as session:
            row = await store.get_item(session, team_id=team_id, item_id=item_id)
        if row is None:
            raise NotFoundError(ITEM_GONE)
        return store.ship_item(row)

    async def item_row(self, *, team_id: str, item_id: str) -> CheckinItem:
        """An item's stored row (with its channel and Slack timestamps)."""
        async with self.db.session() as session:
            row = await store.get_item(session, team_id=team_id, item_id=item_id)
        if row is None:
            raise NotFoundError(ITEM_GONE)
        return row

    async def item_by_reply(self, *, team_id: str, channel_id: str, ts: str, field: str) -> CheckinItem | None:
        """The item a thread reply created (`source_ts`) or reported (`result_ts`)."""
        async with self.db.session() as session:
            return await store.item_by_reply(session, team_id=team_id, channel_id=channel_id, ts=ts, field=field)

    async def week_items(self, *, team_id: str, channel_id: str, week: str) -> list[ShipItem]:
        """A week's items, numbered as the measure prompt lists them."""
        async with self.db.session() as session:
            rows = await store.week_items(session, team_id=team_id, channel_id=channel_id, week=week)
        return [store.ship_item(row) for row in rows]

    async def _save(self, team_id: str, item: ShipItem, **tracking: str) -> ItemChange:
        async with self.db.session() as session:
            row = await store.save_item(session, team_id=team_id, item=item, now=self.clock.now(), **tracking)
        if row is None:
            raise NotFoundError(ITEM_GONE)
        return ItemChange(item, row, created=False)
