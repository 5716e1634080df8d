"""One scheduler pass: post every check-in that is due, exactly once, and record what happened.

Exactly once, without losing any: for each due prompt the pass first writes the dispatch key
(team, channel, week, prompt) in its own committed transaction; only the process whose insert wrote the
row posts. The posted message carries the key in its metadata and its ts is recorded afterwards. A key
left "claimed" (the process died between the two steps) or "failed" is taken over by a later pass with a
compare-and-swap on its claim token; before posting, that pass looks in the channel for a message with
the key, so a crash after posting but before recording the ts never posts twice.

Per channel errors (the poster's Web API client has already waited out rate limits and retried server
errors): a channel Slack no longer takes messages for (`ChannelGone`) pauses the channel's schedule and
tells the person who set it up; anything else is recorded on that dispatch (retried by later passes while
the prompt is still useful) and the pass goes on.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins.chart import describe as describe_chart
from bot.checkins.chart import render_png_async
from bot.checkins.compose import (
    STREAK_HISTORY_WEEKS,
    CheckinMessage,
    DigestMessage,
    compose_digest,
    compose_measure,
    compose_reminder,
    compose_ship,
)
from bot.checkins.digest import Digest
from bot.checkins.evidence import loop_map_evidence
from bot.checkins.items import ShipItem
from bot.checkins.posting import ChannelGone, CheckinPoster, PostFailed
from bot.checkins.records import load_schedule, schedule_of, ship_item
from bot.checkins.schedule import LATE_AFTER, Disposition, DuePrompt, Prompt, Schedule, due_prompts, next_occurrence
from bot.checkins.weeks import shift_week
from bot.faults import crash_point
from bot.interview.diagnosis import TeamSearch, diagnose_cited
from bot.store.checkins import (
    advance_cursor,
    channel_items,
    claim_dispatch,
    due_schedules,
    find_dispatch,
    finish_dispatch,
    new_token,
    pause,
    reclaim_dispatch,
    skips_for,
    stale_dispatches,
    week_items,
)
from bot.store.db import Database
from bot.store.loop_maps import latest_map, save_map_version
from bot.store.models.checkins import (
    DISPATCH_ABANDONED,
    DISPATCH_CLAIMED,
    DISPATCH_FAILED,
    DISPATCH_NOTHING,
    DISPATCH_POSTED,
    SCHEDULE_ON,
    CheckinDispatch,
    CheckinSchedule,
)
from bot.store.threads import claim_thread

logger = logging.getLogger(__name__)

THREAD_KIND = "checkin"
CLAIM_LEASE = timedelta(minutes=10)
"""A claim older than this (clock time) belongs to a process that died; longer than any rate-limit wait."""
FIND_WINDOW = timedelta(seconds=60)
"""Looking for a dead process's message starts this long before the prompt was due (no claim is earlier; the
coach's and Slack's clocks differ). Not before the latest claim: a dispatch taken over twice was posted by the
first process, whose claim the second overwrote."""
CHUNK_SIZE = 200
DEFAULT_CONCURRENCY = 16
MAX_ATTEMPTS = 5
_RECORDED_STATUS = {
    Disposition.SKIPPED: "skipped",
    Disposition.EXPIRED: "expired",
    Disposition.SUPERSEDED: "superseded",
}


class Action(StrEnum):
    """What a pass did with one prompt."""

    POSTED = "posted"
    SKIPPED = "skipped"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    NOTHING = "nothing_to_say"
    FAILED = "failed"
    PAUSED = "paused"
    TAKEN = "taken_by_another_pass"
    FOUND = "found_already_posted"
    WOULD_SEND = "would_send"


@dataclass(frozen=True)
class Outcome:
    """One prompt of one channel in a pass."""

    team_id: str
    channel_id: str
    week: str
    prompt: str
    action: Action
    late: bool = False
    ts: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape (`checkins run-due --json`)."""
        return {
            "team_id": self.team_id,
            "channel_id": self.channel_id,
            "week": self.week,
            "prompt": self.prompt,
            "action": self.action.value,
            "late": self.late,
            "ts": self.ts,
            "error": self.error,
        }


@dataclass
class PassReport:
    """Everything one pass did."""

    now: datetime
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    recovered: set[tuple[str, str, str, str]] = field(default_factory=set)
    """Keys this pass took over from a dead or failed one (team, channel, week, prompt)."""

    def counts(self) -> dict[str, int]:
        """How many prompts ended each way."""
        counts: dict[str, int] = defaultdict(int)
        for outcome in self.outcomes:
            counts[outcome.action.value] += 1
        return dict(sorted(counts.items()))

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape (`checkins run-due --json`)."""
        return {
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "dispatches": [outcome.to_json() for outcome in self.outcomes],
        }


@dataclass
class _Channel:
    row: CheckinSchedule
    schedule: Schedule
    due: list[DuePrompt]


@dataclass
class _Claim:
    channel: _Channel
    due: DuePrompt
    dispatch_id: int
    token: str


@dataclass
class _Finished:
    team_id: str
    channel_id: str
    dispatch_id: int
    token: str
    status: str
    message_ts: str | None = None
    thread_ts: str | None = None
    error: str | None = None
    owns_thread: bool = False


class Dispatcher:
    """Runs passes over every workspace's schedules; safe to run in several processes at once."""

    def __init__(
        self,
        db: Database,
        *,
        search: TeamSearch | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        lease: timedelta = CLAIM_LEASE,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.db = db
        self.search = search
        self.lease = lease
        self.chunk_size = chunk_size
        self._limit = asyncio.Semaphore(concurrency)

    async def run_pass(self, poster: CheckinPoster, now: datetime, *, dry_run: bool = False) -> PassReport:
        """Post everything due at `now` (or, with `dry_run`, only say what would go out)."""
        report = PassReport(now=now, dry_run=dry_run)
        async with self.db.session() as session:
            rows = await due_schedules(session, now=now)
            stale = (
                [] if dry_run else await stale_dispatches(session, now=now, lease=self.lease, max_attempts=MAX_ATTEMPTS)
            )
        channels = await self._plan(rows, now)
        if dry_run:
            report.outcomes += [_planned(channel, due) for channel in channels for due in channel.due]
            return report
        await asyncio.gather(*(self._recover(poster, dispatch, now, report) for dispatch in stale))
        for start in range(0, len(channels), self.chunk_size):
            await self._run_chunk(poster, channels[start : start + self.chunk_size], now, report)
        return report

    async def _plan(self, rows: list[CheckinSchedule], now: datetime) -> list[_Channel]:
        by_team: dict[str, list[CheckinSchedule]] = defaultdict(list)
        for row in rows:
            by_team[row.team_id].append(row)
        channels = []
        for team_id, team_rows in by_team.items():
            async with self.db.session() as session:
                skips = await skips_for(session, team_id=team_id, channel_ids=[row.channel_id for row in team_rows])
            for row in team_rows:
                schedule = schedule_of(row, skips.get(row.channel_id, []))
                due = due_prompts(schedule, since=row.checked_through, now=now)
                channels.append(_Channel(row, schedule, due))
        return channels

    async def _run_chunk(self, poster: CheckinPoster, chunk: list[_Channel], now: datetime, report: PassReport) -> None:
        claims = await self._claim(chunk, now, report)
        crash_point("checkin.claimed")
        by_channel: dict[int, list[_Claim]] = defaultdict(list)
        for claim in claims:
            by_channel[id(claim.channel)].append(claim)
        finished: list[_Finished] = []

        async def deliver_channel(channel_claims: list[_Claim]) -> None:
            async with self._limit:
                for index, claim in enumerate(channel_claims):
                    try:
                        finished.append(await self._deliver(poster, claim, now, report))
                    except ChannelGone as gone:
                        await self._pause(poster, claim.channel.row, gone, now)
                        for rest in channel_claims[index:]:
                            finished.append(_abandon(rest, gone.code))
                            report.outcomes.append(_outcome(rest, Action.PAUSED, error=gone.code))
                        return

        await asyncio.gather(*(deliver_channel(group) for group in by_channel.values()))
        async with self.db.session() as session:
            for done in finished:
                await _record(session, done, now)
            for channel in chunk:
                upcoming = next_occurrence(channel.schedule, now)
                await advance_cursor(
                    session,
                    team_id=channel.row.team_id,
                    schedule_id=channel.row.id or 0,
                    checked_through=now,
                    next_due_at=upcoming.scheduled_at if upcoming else None,
                )

    async def _claim(self, chunk: list[_Channel], now: datetime, report: PassReport) -> list[_Claim]:
        """Write the keys of the chunk's due prompts in one committed transaction, before any post."""
        claims = []
        async with self.db.session() as session:
            for channel in chunk:
                for due in channel.due:
                    sending = due.disposition is Disposition.SEND
                    token = new_token()
                    dispatch_id = await claim_dispatch(
                        session,
                        team_id=channel.row.team_id,
                        channel_id=channel.row.channel_id,
                        week=due.occurrence.week,
                        prompt=due.occurrence.prompt.value,
                        status=DISPATCH_CLAIMED if sending else _RECORDED_STATUS[due.disposition],
                        scheduled_at=due.occurrence.scheduled_at,
                        deadline=due.occurrence.deadline,
                        late=due.is_late,
                        token=token,
                        now=now,
                    )
                    if dispatch_id is None:
                        key = (
                            channel.row.team_id,
                            channel.row.channel_id,
                            due.occurrence.week,
                            due.occurrence.prompt.value,
                        )
                        if key not in report.recovered:  # this pass just finished it itself
                            report.outcomes.append(_outcome_of(channel, due, Action.TAKEN))
                    elif sending:
                        claims.append(_Claim(channel, due, dispatch_id, token))
                    else:
                        report.outcomes.append(_outcome_of(channel, due, Action(_RECORDED_STATUS[due.disposition])))
        return claims

    async def _deliver(self, poster: CheckinPoster, claim: _Claim, now: datetime, report: PassReport) -> _Finished:
        channel = claim.channel
        dispatch = CheckinDispatch(
            id=claim.dispatch_id,
            team_id=channel.row.team_id,
            channel_id=channel.row.channel_id,
            week=claim.due.occurrence.week,
            prompt=claim.due.occurrence.prompt.value,
            status=DISPATCH_CLAIMED,
            scheduled_at=claim.due.occurrence.scheduled_at,
            deadline=claim.due.occurrence.deadline,
            claim_token=claim.token,
        )
        return await self._post_and_report(poster, channel.schedule, dispatch, claim.token, now, report)

    async def _post_and_report(
        self,
        poster: CheckinPoster,
        schedule: Schedule,
        dispatch: CheckinDispatch,
        token: str,
        now: datetime,
        report: PassReport,
    ) -> _Finished:
        """Post one claimed dispatch; ChannelGone goes up, every other failure is recorded on it."""
        late = now - dispatch.scheduled_at >= LATE_AFTER
        try:
            posted = await self._post(poster, schedule, dispatch, now)
        except ChannelGone:
            raise
        except Exception as error:  # noqa: BLE001  (one channel's failure never stops the pass)
            code = error.code if isinstance(error, PostFailed) else type(error).__name__
            if not isinstance(error, PostFailed):
                logger.exception(
                    "check-in %s failed (team %s, channel %s, week %s)",
                    dispatch.prompt,
                    dispatch.team_id,
                    dispatch.channel_id,
                    dispatch.week,
                )
            final = dispatch.attempts + 1 >= MAX_ATTEMPTS or now >= dispatch.deadline
            report.outcomes.append(_dispatch_outcome(dispatch, Action.FAILED, late=late, error=code))
            return _finished(dispatch, token, DISPATCH_ABANDONED if final else DISPATCH_FAILED, error=code)
        if posted is None:
            report.outcomes.append(_dispatch_outcome(dispatch, Action.NOTHING, late=late))
            return _finished(dispatch, token, DISPATCH_NOTHING)
        ts, thread_ts = posted
        report.outcomes.append(_dispatch_outcome(dispatch, Action.POSTED, late=late, ts=ts))
        return _posted(dispatch, token, ts, thread_ts)

    async def _post(
        self, poster: CheckinPoster, schedule: Schedule, dispatch: CheckinDispatch, now: datetime
    ) -> tuple[str, str | None] | None:
        """Post the message of one dispatch; its (ts, thread_ts), or None when there was nothing to say."""
        prompt = Prompt(dispatch.prompt)
        thread_ts = None
        items: list[ShipItem] = []
        message: CheckinMessage | None
        if prompt is Prompt.SHIP:
            message = compose_ship(schedule, dispatch, sent_at=now)
        elif prompt is Prompt.MEASURE:
            items = await self._week_items(dispatch)
            message = compose_measure(schedule, dispatch, items, sent_at=now)
        elif prompt is Prompt.REMINDER:
            items = await self._week_items(dispatch)
            message = compose_reminder(schedule, dispatch, items)
            measure = await self._week_measure(dispatch)
            thread_ts = measure.message_ts if measure is not None else None
        else:
            items = await self._history_items(dispatch)
            message = compose_digest(schedule, dispatch, items, sent_at=now)
        if message is None:
            return None
        ts = await poster.post_message(
            team_id=dispatch.team_id,
            channel_id=dispatch.channel_id,
            message=message,
            key=_key(dispatch),
            thread_ts=thread_ts,
        )
        crash_point(f"checkin.{prompt.value}.posted")
        if isinstance(message, DigestMessage):
            await self._after_digest(poster, dispatch, ts, message.digest, items)
        return ts, thread_ts

    async def _after_digest(
        self,
        poster: CheckinPoster,
        dispatch: CheckinDispatch,
        ts: str,
        digest: Digest,
        items: list[ShipItem],
        *,
        taken_over: bool = False,
    ) -> None:
        """The chart in the digest's thread, and the evidence into the loop map (neither may fail the digest).

        A digest `taken_over` from a process that died may have its chart already (looked up by file name);
        the loop-map update adds a version only for evidence the map doesn't carry yet, so it may run twice.
        """
        filename = f"checkins-{dispatch.week}.png"
        try:
            if not taken_over or not await poster.has_file(
                team_id=dispatch.team_id, channel_id=dispatch.channel_id, thread_ts=ts, filename=filename
            ):
                chart_title = f"Shipped and measured, last {len(digest.trend)} weeks"
                png = await render_png_async(digest.trend, title=chart_title)
                await poster.upload_chart(
                    team_id=dispatch.team_id,
                    channel_id=dispatch.channel_id,
                    thread_ts=ts,
                    png=png,
                    filename=filename,
                    title=f"Check-ins up to {dispatch.week}",
                    alt_text=describe_chart(digest.trend, title=chart_title),
                )
                crash_point("checkin.digest.charted")
        except Exception:  # noqa: BLE001
            logger.exception("digest chart failed (team %s, channel %s)", dispatch.team_id, dispatch.channel_id)
        try:
            await update_loop_map(self.db, self.search, dispatch.team_id, dispatch.channel_id, dispatch.week, items)
        except Exception:  # noqa: BLE001
            logger.exception("loop map update failed (team %s, channel %s)", dispatch.team_id, dispatch.channel_id)

    async def _week_items(self, dispatch: CheckinDispatch) -> list[ShipItem]:
        async with self.db.session() as session:
            rows = await week_items(
                session, team_id=dispatch.team_id, channel_id=dispatch.channel_id, week=dispatch.week
            )
        return [ship_item(row) for row in rows]

    async def _week_measure(self, dispatch: CheckinDispatch) -> CheckinDispatch | None:
        """The measure prompt of the dispatch's channel and week (a reminder goes in its thread)."""
        async with self.db.session() as session:
            return await find_dispatch(
                session,
                team_id=dispatch.team_id,
                channel_id=dispatch.channel_id,
                week=dispatch.week,
                prompt=Prompt.MEASURE.value,
            )

    async def _history_items(self, dispatch: CheckinDispatch) -> list[ShipItem]:
        async with self.db.session() as session:
            rows = await channel_items(
                session,
                team_id=dispatch.team_id,
                channel_id=dispatch.channel_id,
                since_week=shift_week(dispatch.week, 1 - STREAK_HISTORY_WEEKS),
            )
        return [ship_item(row) for row in rows]

    async def _pause(self, poster: CheckinPoster, row: CheckinSchedule, gone: ChannelGone, now: datetime) -> None:
        """Pause a channel Slack refuses, and tell the person who set its check-ins up."""
        async with self.db.session() as session:
            paused = await pause(session, team_id=row.team_id, channel_id=row.channel_id, reason=gone.reason, now=now)
        logger.warning("paused check-ins (team %s, channel %s): %s", row.team_id, row.channel_id, gone.code)
        if not paused:
            return
        try:
            await poster.tell_paused(
                team_id=row.team_id, user_id=row.set_up_by, channel_id=row.channel_id, reason=gone.reason
            )
        except PostFailed as error:
            logger.warning("could not tell %s about the pause: %s", row.set_up_by, error.code)

    async def _recover(self, poster: CheckinPoster, stale: CheckinDispatch, now: datetime, report: PassReport) -> None:
        """Finish a dispatch whose process died (claimed) or whose post failed, exactly once."""
        token = new_token()
        async with self._limit:
            async with self.db.session() as session:
                if not await reclaim_dispatch(session, team_id=stale.team_id, dispatch=stale, token=token, now=now):
                    return
                report.recovered.add((stale.team_id, stale.channel_id, stale.week, stale.prompt))
                loaded = await load_schedule(session, team_id=stale.team_id, channel_id=stale.channel_id)
            try:
                found = await self._find_posted(poster, stale)
                if found is not None:
                    report.outcomes.append(_dispatch_outcome(stale, Action.FOUND, ts=found[0]))
                    if loaded is not None and Prompt(stale.prompt) is Prompt.DIGEST:
                        items = await self._history_items(stale)
                        digest = compose_digest(loaded.schedule, stale, items, sent_at=now).digest
                        await self._after_digest(poster, stale, found[0], digest, items, taken_over=True)
                    done = _posted(stale, token, *found)
                elif loaded is None or now >= stale.deadline or loaded.row.state != SCHEDULE_ON:
                    report.outcomes.append(_dispatch_outcome(stale, Action.EXPIRED))
                    done = _finished(stale, token, DISPATCH_ABANDONED, error="expired")
                else:
                    done = await self._post_and_report(poster, loaded.schedule, stale, token, now, report)
            except ChannelGone as gone:
                if loaded is not None:
                    await self._pause(poster, loaded.row, gone, now)
                report.outcomes.append(_dispatch_outcome(stale, Action.PAUSED, error=gone.code))
                done = _finished(stale, token, DISPATCH_ABANDONED, error=gone.code)
            async with self.db.session() as session:
                await _record(session, done, now)

    async def _find_posted(self, poster: CheckinPoster, dispatch: CheckinDispatch) -> tuple[str, str | None] | None:
        """The (ts, thread_ts) of a message already posted for this dispatch, looked up by its key."""
        key, since = _key(dispatch), dispatch.scheduled_at - FIND_WINDOW
        ts = await poster.find_message(team_id=dispatch.team_id, channel_id=dispatch.channel_id, key=key, since=since)
        if ts is not None:
            return ts, None
        if Prompt(dispatch.prompt) is Prompt.REMINDER:
            measure = await self._week_measure(dispatch)
            if measure is not None and measure.message_ts:
                ts = await poster.find_message(
                    team_id=dispatch.team_id,
                    channel_id=dispatch.channel_id,
                    key=key,
                    since=since,
                    thread_ts=measure.message_ts,
                )
                if ts is not None:
                    return ts, measure.message_ts
        return None


def _key(dispatch: CheckinDispatch) -> str:
    return f"{dispatch.team_id}/{dispatch.channel_id}/{dispatch.week}/{dispatch.prompt}"


def _finished(dispatch: CheckinDispatch, token: str, status: str, *, error: str | None = None) -> _Finished:
    return _Finished(dispatch.team_id, dispatch.channel_id, dispatch.id or 0, token, status, error=error)


def _posted(dispatch: CheckinDispatch, token: str, ts: str, thread_ts: str | None) -> _Finished:
    """A posted dispatch; the ship and measure prompts own their threads (replies there are items, results)."""
    return _Finished(
        dispatch.team_id,
        dispatch.channel_id,
        dispatch.id or 0,
        token,
        DISPATCH_POSTED,
        message_ts=ts,
        thread_ts=thread_ts,
        owns_thread=Prompt(dispatch.prompt) is not Prompt.REMINDER,
    )


async def _record(session: AsyncSession, done: _Finished, now: datetime) -> None:
    await finish_dispatch(
        session,
        team_id=done.team_id,
        dispatch_id=done.dispatch_id,
        token=done.token,
        status=done.status,
        now=now,
        message_ts=done.message_ts,
        thread_ts=done.thread_ts,
        error=done.error,
    )
    if done.owns_thread and done.message_ts:
        await claim_thread(
            session,
            team_id=done.team_id,
            channel_id=done.channel_id,
            thread_ts=done.message_ts,
            kind=THREAD_KIND,
            ref_id=str(done.dispatch_id),
        )


def _abandon(claim: _Claim, code: str) -> _Finished:
    row = claim.channel.row
    return _Finished(row.team_id, row.channel_id, claim.dispatch_id, claim.token, DISPATCH_ABANDONED, error=code)


def _outcome_of(channel: _Channel, due: DuePrompt, action: Action, **extra: Any) -> Outcome:
    return Outcome(
        team_id=channel.row.team_id,
        channel_id=channel.row.channel_id,
        week=due.occurrence.week,
        prompt=due.occurrence.prompt.value,
        action=action,
        late=due.is_late,
        **extra,
    )


def _outcome(claim: _Claim, action: Action, **extra: Any) -> Outcome:
    return _outcome_of(claim.channel, claim.due, action, **extra)


def _planned(channel: _Channel, due: DuePrompt) -> Outcome:
    action = Action.WOULD_SEND if due.disposition is Disposition.SEND else Action(_RECORDED_STATUS[due.disposition])
    return _outcome_of(channel, due, action)


def _dispatch_outcome(dispatch: CheckinDispatch, action: Action, **extra: Any) -> Outcome:
    return Outcome(dispatch.team_id, dispatch.channel_id, dispatch.week, dispatch.prompt, action, **extra)


async def update_loop_map(
    db: Database, search: TeamSearch | None, team_id: str, channel_id: str, week: str, items: Iterable[ShipItem]
) -> int | None:
    """Add a loop-map version carrying the check-ins' evidence; its number, or None when nothing changed."""
    async with db.session() as session:
        current = await latest_map(session, team_id=team_id, channel_id=channel_id)
    if current is None:
        return None
    changes = loop_map_evidence(items, week, current.answers)
    if not changes:
        return None
    answers = {**current.answers, **changes}
    diagnosis = await diagnose_cited(answers, search=search, team_id=team_id)
    async with db.session() as session:
        version = await save_map_version(
            session,
            team_id=team_id,
            channel_id=channel_id,
            answers=answers,
            diagnosis=diagnosis.model_dump(mode="json"),
            created_by=None,
        )
    logger.info("loop map v%s from check-ins (team %s, channel %s)", version.version, team_id, channel_id)
    return version.version
