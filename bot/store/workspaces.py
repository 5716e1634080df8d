"""Workspaces: remembering them, and deleting everything one of them stored."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import Workspace


async def remember_workspace(session: AsyncSession, *, team_id: str, name: str | None = None) -> Workspace:
    """The workspace row, created on first sight."""
    workspace = await session.get(Workspace, team_id)
    if workspace is None:
        workspace = Workspace(team_id=team_id, name=name)
        session.add(workspace)
        await session.flush()
    return workspace


async def delete_workspace_data(session: AsyncSession, *, team_id: str) -> dict[str, int]:
    """Delete every row of one workspace in every table; returns the count per table."""
    counts: dict[str, int] = {}
    for table in reversed(SQLModel.metadata.sorted_tables):
        result = await session.exec(delete(table).where(table.c.team_id == team_id))
        if result.rowcount:
            counts[table.name] = result.rowcount
    return counts
