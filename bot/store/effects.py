"""Pending effects in storage: recorded with a step, claimed one at a time per interview, finished with a ts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models.effects import EFFECT_CLAIMED, EFFECT_DONE, EFFECT_PENDING, PendingEffect


def new_effect_token() -> str:
    """A claim token: who holds an effect right now."""
    return uuid.uuid4().hex


async def add_effect(
    session: AsyncSession, *, team_id: str, interview_id: int, kind: str, payload: dict[str, Any]
) -> PendingEffect:
    """Record an effect in the caller's transaction (it commits, or vanishes, with the step)."""
    effect = PendingEffect(team_id=team_id, interview_id=interview_id, kind=kind, payload=payload)
    session.add(effect)
    await session.flush()
    return effect


async def claim_next_effect(
    session: AsyncSession, *, team_id: str, interview_id: int, token: str, now: datetime, stale_before: datetime
) -> PendingEffect | None:
    """Claim the interview's oldest unfinished effect; None when there is none or a live claim holds it.

    A claim made before `stale_before` belongs to a process that died and is taken over (compare and swap
    on the old token, so of two takers one wins). The returned row's `attempts` counts this claim too.
    """
    result = await session.exec(
        select(PendingEffect)
        .where(
            col(PendingEffect.team_id) == team_id,
            col(PendingEffect.interview_id) == interview_id,
            col(PendingEffect.status) != EFFECT_DONE,
        )
        .order_by(col(PendingEffect.id))
        .limit(1)
    )
    effect = result.first()
    if effect is None:
        return None
    if effect.status == EFFECT_CLAIMED and effect.claimed_at is not None and effect.claimed_at >= stale_before:
        return None
    held_by = (
        col(PendingEffect.claim_token).is_(None)
        if effect.claim_token is None
        else col(PendingEffect.claim_token) == effect.claim_token
    )
    swapped = await session.exec(
        update(PendingEffect)
        .where(
            col(PendingEffect.team_id) == team_id,
            col(PendingEffect.id) == effect.id,
            col(PendingEffect.status) == effect.status,
            held_by,
        )
        .values(status=EFFECT_CLAIMED, claim_token=token, claimed_at=now, attempts=effect.attempts + 1)
    )
    if swapped.rowcount != 1:
        return None
    await session.refresh(effect)
    return effect


async def finish_effect(
    session: AsyncSession, *, team_id: str, effect_id: int, token: str, result_ts: str | None, now: datetime
) -> bool:
    """Mark a claimed effect done with the ts of what it posted; False if the claim was lost meanwhile."""
    result = await session.exec(
        update(PendingEffect)
        .where(
            col(PendingEffect.team_id) == team_id,
            col(PendingEffect.id) == effect_id,
            col(PendingEffect.claim_token) == token,
            col(PendingEffect.status) == EFFECT_CLAIMED,
        )
        .values(status=EFFECT_DONE, result_ts=result_ts, done_at=now, error=None)
    )
    return result.rowcount == 1


async def release_effect(session: AsyncSession, *, team_id: str, effect_id: int, token: str, error: str) -> None:
    """Give a claimed effect back (Slack refused it): the next step or restart tries again."""
    await session.exec(
        update(PendingEffect)
        .where(
            col(PendingEffect.team_id) == team_id,
            col(PendingEffect.id) == effect_id,
            col(PendingEffect.claim_token) == token,
        )
        .values(status=EFFECT_PENDING, error=error[:64])
    )


async def drop_open_effects(session: AsyncSession, *, team_id: str, interview_id: int, now: datetime) -> None:
    """Settle a stopped interview's unfinished effects without performing them (its thread is left as it is)."""
    await session.exec(
        update(PendingEffect)
        .where(
            col(PendingEffect.team_id) == team_id,
            col(PendingEffect.interview_id) == interview_id,
            col(PendingEffect.status) != EFFECT_DONE,
        )
        .values(status=EFFECT_DONE, done_at=now, error="interview stopped")
    )


async def effect_ts(session: AsyncSession, *, team_id: str, effect_id: int) -> str | None:
    """The ts of the message a finished effect posted (None while it is unfinished)."""
    result = await session.exec(
        select(PendingEffect.result_ts).where(col(PendingEffect.team_id) == team_id, col(PendingEffect.id) == effect_id)
    )
    return result.first()


async def latest_effect(session: AsyncSession, *, team_id: str, interview_id: int, kind: str) -> PendingEffect | None:
    """The interview's newest effect of a kind (the question message a close effect closes)."""
    result = await session.exec(
        select(PendingEffect)
        .where(
            col(PendingEffect.team_id) == team_id,
            col(PendingEffect.interview_id) == interview_id,
            col(PendingEffect.kind) == kind,
        )
        .order_by(col(PendingEffect.id).desc())
        .limit(1)
    )
    return result.first()


async def interviews_with_open_effects(session: AsyncSession, *, stale_before: datetime) -> list[tuple[str, int]]:
    """(team, interview) of every workspace with an effect still to do (pending, or claimed before `stale_before`)."""
    result = await session.exec(
        select(PendingEffect.team_id, PendingEffect.interview_id)
        .where(
            or_(
                col(PendingEffect.status) == EFFECT_PENDING,
                and_(col(PendingEffect.status) == EFFECT_CLAIMED, col(PendingEffect.claimed_at) < stale_before),
            )
        )
        .distinct()
    )
    return [(team_id, interview_id) for team_id, interview_id in result.all()]
