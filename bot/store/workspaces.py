"""Workspaces: remembering them, and deleting everything one of them stored."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.inserts import column_values, insert_unless_present
from bot.store.models import Workspace


async def remember_workspace(session: AsyncSession, *, team_id: str, name: str | None = None) -> Workspace:
    """The workspace row, created on first sight (by exactly one of several requests seeing it at once)."""
    await session.exec(
        insert_unless_present(session, Workspace, column_values(Workspace(team_id=team_id, name=name)), key=["team_id"])
    )
    workspace = await session.get(Workspace, team_id)
    assert workspace is not None  # just written, or written by whoever won the race
    return workspace


async def delete_workspace_data(session: AsyncSession, *, team_id: str) -> dict[str, int]:
    """Delete every row of one workspace in every table; returns the count per table."""
    counts: dict[str, int] = {}
    for table in reversed(SQLModel.metadata.sorted_tables):
        result = await session.exec(delete(table).where(table.c.team_id == team_id))
        if result.rowcount:
            counts[table.name] = result.rowcount
    return counts
