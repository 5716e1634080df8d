"""Stored answers: what was asked and answered, the passages behind it, votes, and the knowledge gaps."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFoundError
from bot.store.inserts import column_values, insert_unless_present
from bot.store.models import Workspace
from bot.store.models.answers import (
    DOWN,
    LABEL_LENGTH,
    REASON_LENGTH,
    UP,
    AnswerPassage,
    AnswerRecord,
    AnswerVote,
)
from bot.store.workspaces import remember_workspace


@dataclass(frozen=True, slots=True)
class RetrievedPassage:
    """A passage retrieved for an answer, as stored: which one, how it is named, its score, whether it was cited."""

    passage_id: str
    label: str
    source: str
    score: float
    cited: bool


async def record_answer(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    question: str,
    text: str,
    grounded: bool,
    generated: bool,
    confidence: float,
    passages: Sequence[RetrievedPassage],
    closest: bool = False,
    surface: str,
    thread_ts: str | None = None,
    post_claim: str | None = None,
    streamed_ts: str | None = None,
    now: datetime | None = None,
) -> AnswerRecord:
    """Store a question, its answer and the passages retrieved for it, in rank order.

    With `post_claim`, the answer is owed to its thread and claimed by the caller, who posts it (or finishes
    the message `streamed_ts` it streamed into); without, nothing is owed (a private answer).
    """
    await remember_workspace(session, team_id=team_id)
    moment = now or datetime.now(UTC)
    row = AnswerRecord(
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        thread_ts=thread_ts,
        message_ts=streamed_ts,
        surface=surface,
        question=question,
        answer_text=text,
        grounded=grounded,
        closest=closest,
        generated=generated,
        confidence=confidence,
        created_at=moment,
        posted_at=None if post_claim else moment,
        post_claim=post_claim,
        post_claimed_at=moment if post_claim else None,
    )
    session.add(row)
    await session.flush()
    for position, passage in enumerate(passages):
        session.add(
            AnswerPassage(
                team_id=team_id,
                answer_id=row.id or 0,
                passage_id=passage.passage_id,
                position=position,
                cited=passage.cited,
                label=passage.label[:LABEL_LENGTH],
                source=passage.source[:LABEL_LENGTH],
                score=passage.score,
            )
        )
    await session.flush()
    return row


async def get_answer(session: AsyncSession, *, team_id: str, answer_id: int) -> AnswerRecord:
    """One stored answer of this workspace."""
    result = await session.exec(
        select(AnswerRecord).where(AnswerRecord.team_id == team_id, AnswerRecord.id == answer_id)
    )
    row = result.first()
    if row is None:
        raise NotFoundError("That answer is no longer stored (its workspace data may have been deleted).")
    return row


async def answer_count(session: AsyncSession, *, team_id: str) -> int:
    """How many questions this workspace has asked."""
    result = await session.exec(select(func.count()).select_from(AnswerRecord).where(AnswerRecord.team_id == team_id))
    return int(result.one())


async def answer_sources(session: AsyncSession, *, team_id: str, answer_id: int) -> list[RetrievedPassage]:
    """The passages an answer cited, in the order it numbered them."""
    result = await session.exec(
        select(AnswerPassage)
        .where(AnswerPassage.team_id == team_id, AnswerPassage.answer_id == answer_id, col(AnswerPassage.cited))
        .order_by(col(AnswerPassage.position))
    )
    return [
        RetrievedPassage(passage_id=row.passage_id, label=row.label, source=row.source, score=row.score, cited=True)
        for row in result.all()
    ]


async def set_answer_message(
    session: AsyncSession,
    *,
    team_id: str,
    answer_id: int,
    message_ts: str | None,
    thread_ts: str | None,
    now: datetime | None = None,
) -> None:
    """Remember where in Slack an answer was posted (nothing is owed for it any more)."""
    row = await get_answer(session, team_id=team_id, answer_id=answer_id)
    row.message_ts = message_ts
    row.thread_ts = thread_ts
    row.posted_at = row.posted_at or now or datetime.now(UTC)
    session.add(row)


async def claim_unposted_answers(
    session: AsyncSession, *, since: datetime, stale_before: datetime, token: str, now: datetime
) -> list[AnswerRecord]:
    """Claim, in every workspace, the answers recorded since `since` that are still owed to their thread.

    A claim made before `stale_before` belongs to a process that died and is taken over with a compare and
    swap on its token, so of two processes recovering at once each answer goes to one.
    """
    candidates = (
        await session.exec(
            select(AnswerRecord).where(
                col(AnswerRecord.posted_at).is_(None),
                col(AnswerRecord.created_at) >= since,
                col(AnswerRecord.thread_ts).is_not(None),
                or_(col(AnswerRecord.post_claimed_at).is_(None), col(AnswerRecord.post_claimed_at) < stale_before),
            )
        )
    ).all()
    claimed = []
    for row in candidates:
        held_by = (
            col(AnswerRecord.post_claim).is_(None)
            if row.post_claim is None
            else col(AnswerRecord.post_claim) == row.post_claim
        )
        swapped = await session.exec(
            update(AnswerRecord)
            .where(
                col(AnswerRecord.team_id) == row.team_id,
                col(AnswerRecord.id) == row.id,
                col(AnswerRecord.posted_at).is_(None),
                held_by,
            )
            .values(post_claim=token, post_claimed_at=now)
        )
        if swapped.rowcount == 1:
            await session.refresh(row)
            claimed.append(row)
    return claimed


async def thread_questions(
    session: AsyncSession, *, team_id: str, channel_id: str, thread_ts: str, limit: int = 3
) -> list[str]:
    """The last questions asked in a thread, oldest first (a follow-up's context)."""
    result = await session.exec(
        select(AnswerRecord.question)
        .where(
            AnswerRecord.team_id == team_id,
            AnswerRecord.channel_id == channel_id,
            AnswerRecord.thread_ts == thread_ts,
        )
        .order_by(col(AnswerRecord.id).desc())
        .limit(limit)
    )
    return list(reversed(result.all()))


async def cast_vote(
    session: AsyncSession, *, team_id: str, answer_id: int, user_id: str, vote: int, now: datetime | None = None
) -> int:
    """Record a person's vote on an answer (a second vote replaces the first); returns the previous vote or 0.

    Safe under concurrency: of several votes cast at once, each returns the vote it really replaced, so the
    (previous, new) pairs chain from no vote to the stored one and counts moved by them stay right.
    """
    if vote not in (UP, DOWN):
        raise ValueError("a vote is +1 or -1")
    await get_answer(session, team_id=team_id, answer_id=answer_id)
    moment = now or datetime.now(UTC)
    new_vote = AnswerVote(
        team_id=team_id, answer_id=answer_id, user_id=user_id, vote=vote, created_at=moment, updated_at=moment
    )
    key = (
        col(AnswerVote.team_id) == team_id,
        col(AnswerVote.answer_id) == answer_id,
        col(AnswerVote.user_id) == user_id,
    )
    changes: dict[str, Any] = {"vote": vote, "updated_at": moment} | ({"reason": None} if vote == UP else {})
    while True:
        inserted = await session.exec(
            insert_unless_present(
                session, AnswerVote, column_values(new_vote), key=["team_id", "answer_id", "user_id"]
            ).returning(col(AnswerVote.id))
        )
        if inserted.scalar_one_or_none() is not None:
            return 0
        previous = (await session.exec(select(AnswerVote.vote).where(*key))).first()
        if previous is None:
            continue  # deleted since the insert found it: insert again
        # Compare and set: only replace the vote this call read; if another click changed it meanwhile, read again.
        swapped = await session.exec(update(AnswerVote).where(*key, col(AnswerVote.vote) == previous).values(**changes))
        if swapped.rowcount:
            return previous


async def set_vote_reason(session: AsyncSession, *, team_id: str, answer_id: int, user_id: str, reason: str) -> None:
    """Attach the reason a person gave for a thumbs-down."""
    existing = await _vote(session, team_id=team_id, answer_id=answer_id, user_id=user_id)
    if existing is None:
        raise NotFoundError("Vote first, then say why.")
    existing.reason = reason.strip()[:REASON_LENGTH] or None
    session.add(existing)


async def _vote(session: AsyncSession, *, team_id: str, answer_id: int, user_id: str) -> AnswerVote | None:
    result = await session.exec(
        select(AnswerVote).where(
            AnswerVote.team_id == team_id, AnswerVote.answer_id == answer_id, AnswerVote.user_id == user_id
        )
    )
    return result.first()


async def team_vote_counts(session: AsyncSession, *, team_id: str) -> dict[str, tuple[int, int]]:
    """Per cited passage id: how many up and down votes its answers got in this workspace."""
    statement = (
        select(
            AnswerPassage.passage_id,
            func.sum(case((col(AnswerVote.vote) == UP, 1), else_=0)),
            func.sum(case((col(AnswerVote.vote) == DOWN, 1), else_=0)),
        )
        .join(
            AnswerVote,
            and_(
                col(AnswerVote.answer_id) == col(AnswerPassage.answer_id),
                col(AnswerVote.team_id) == col(AnswerPassage.team_id),
            ),
        )
        .where(AnswerPassage.team_id == team_id, col(AnswerPassage.cited))
        .group_by(AnswerPassage.passage_id)
    )
    result = await session.exec(statement)
    return {passage_id: (int(up or 0), int(down or 0)) for passage_id, up, down in result.all()}


async def vote_counts(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """The ranking prior: per passage id, up and down votes summed over every workspace.

    Each workspace is read on its own (every query filters by team), and only passage ids and counts
    leave it: no question, answer or person crosses workspaces.
    """
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    teams = await session.exec(select(Workspace.team_id))
    for team_id in teams.all():
        for passage_id, (up, down) in (await team_vote_counts(session, team_id=team_id)).items():
            totals[passage_id][0] += up
            totals[passage_id][1] += down
    return {passage_id: (up, down) for passage_id, (up, down) in totals.items()}


@dataclass
class Gap:
    """A question the material did not answer well: how often it was asked, how often it was declined or answered
    with only the closest the material has, and what came closest."""

    question: str
    asked: int
    unanswered: int
    thumbs_down: int
    last_asked: datetime
    closest: int = 0
    nearest: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    team_ids: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        """Plain data for `gaps --json`."""
        return {
            "question": self.question,
            "asked": self.asked,
            "unanswered": self.unanswered,
            "closest": self.closest,
            "thumbs_down": self.thumbs_down,
            "last_asked": self.last_asked.isoformat(),
            "nearest": self.nearest,
            "reasons": self.reasons,
            "workspaces": len(self.team_ids),
        }


def normalise_question(question: str) -> str:
    """The form under which repeats of a question are counted together."""
    return " ".join(re.findall(r"[a-z0-9']+", question.lower()))


async def team_gaps(session: AsyncSession, *, team_id: str) -> list[Gap]:
    """This workspace's questions that got no grounded answer, only the closest the material has, or a thumbs-down,
    most asked first."""
    answers = (
        await session.exec(select(AnswerRecord).where(AnswerRecord.team_id == team_id).order_by(col(AnswerRecord.id)))
    ).all()
    downs = (await session.exec(select(AnswerVote).where(AnswerVote.team_id == team_id, AnswerVote.vote == DOWN))).all()
    down_by_answer: dict[int, list[AnswerVote]] = defaultdict(list)
    for vote in downs:
        down_by_answer[vote.answer_id].append(vote)
    gaps: dict[str, Gap] = {}
    latest_answer: dict[str, int] = {}
    for row in answers:
        key = normalise_question(row.question)
        if not key:
            continue
        gap = gaps.get(key)
        if gap is None:
            gap = gaps[key] = Gap(row.question, 0, 0, 0, row.created_at, team_ids={team_id})
        gap.asked += 1
        gap.unanswered += not row.grounded
        gap.closest += row.closest
        gap.thumbs_down += len(down_by_answer.get(row.id or 0, []))
        gap.reasons += [v.reason for v in down_by_answer.get(row.id or 0, []) if v.reason]
        gap.last_asked = max(gap.last_asked, row.created_at)
        latest_answer[key] = row.id or 0
    found = [g for g in gaps.values() if g.unanswered or g.closest or g.thumbs_down]
    for gap in found:
        nearest = await session.exec(
            select(AnswerPassage.label)
            .where(
                AnswerPassage.team_id == team_id,
                AnswerPassage.answer_id == latest_answer[normalise_question(gap.question)],
            )
            .order_by(col(AnswerPassage.position))
            .limit(3)
        )
        gap.nearest = list(dict.fromkeys(nearest.all()))
    return sorted(found, key=_most_asked_first)


def _most_asked_first(gap: Gap) -> tuple[int, int, str]:
    return -gap.asked, -(gap.unanswered + gap.closest + gap.thumbs_down), gap.question


async def knowledge_gaps(session: AsyncSession, *, team_id: str | None = None, limit: int = 20) -> list[Gap]:
    """Gaps of one workspace, or of every workspace merged (the operator's view), most asked first."""
    if team_id is not None:
        return (await team_gaps(session, team_id=team_id))[:limit]
    merged: dict[str, Gap] = {}
    teams = await session.exec(select(Workspace.team_id))
    for team in teams.all():
        for gap in await team_gaps(session, team_id=team):
            key = normalise_question(gap.question)
            if key not in merged:
                merged[key] = gap
                continue
            into = merged[key]
            into.asked += gap.asked
            into.unanswered += gap.unanswered
            into.closest += gap.closest
            into.thumbs_down += gap.thumbs_down
            into.reasons += gap.reasons
            into.team_ids |= gap.team_ids
            if gap.last_asked > into.last_asked:
                into.last_asked, into.nearest = gap.last_asked, gap.nearest
    ordered = sorted(merged.values(), key=_most_asked_first)
    return ordered[:limit]
