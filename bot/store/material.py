"""Material keys and the versions of what replicas mirror in memory (material scopes, the vote prior)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models.base import utc_now
from bot.store.models.material import KnowledgeVersion, MaterialKey

VOTE_PRIOR = "votes"
"""The version bumped by every vote change anywhere: replicas reload the shared ranking prior when it moves."""


async def material_key(session: AsyncSession, *, team_id: str, new_key: str | None) -> str | None:
    """The workspace's material key; when it has none, `new_key` becomes it (if given).

    Two processes creating it at once agree on one: the loser of the insert reads the winner's.
    """
    found = await session.get(MaterialKey, team_id)
    if found is not None or new_key is None:
        return found.key if found else None
    try:
        async with session.begin_nested():
            session.add(MaterialKey(team_id=team_id, key=new_key))
    except IntegrityError:
        found = await session.get(MaterialKey, team_id, populate_existing=True)
        return found.key if found else None
    return new_key


async def bump_versions(session: AsyncSession, *, names: Sequence[str], team_id: str | None) -> None:
    """Add one to each named version (creating it at 1)."""
    for name in names:
        result = await session.exec(
            update(KnowledgeVersion)
            .where(col(KnowledgeVersion.name) == name)
            .values(version=KnowledgeVersion.version + 1, updated_at=utc_now())
        )
        if result.rowcount:
            continue
        try:
            async with session.begin_nested():
                session.add(KnowledgeVersion(name=name, team_id=team_id, version=1))
        except IntegrityError:  # created meanwhile by another process: bump that one
            await session.exec(
                update(KnowledgeVersion)
                .where(col(KnowledgeVersion.name) == name)
                .values(version=KnowledgeVersion.version + 1, updated_at=utc_now())
            )


async def read_versions(session: AsyncSession, *, names: Sequence[str]) -> dict[str, int]:
    """The current version of each named thing that has one."""
    rows = await session.exec(
        select(KnowledgeVersion.name, KnowledgeVersion.version).where(col(KnowledgeVersion.name).in_(names))
    )
    return dict(rows.all())
