"""Workspaces: remembering them, and deleting everything one of them stored."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import Workspace
from bot.store.models.installations import slack_bots, slack_installations


async def remember_workspace(
    session: AsyncSession, *, team_id: str, name: str | None = None, enterprise_id: str | None = None
) -> Workspace:
    """The workspace row, created on first sight (its name and Enterprise Grid organisation kept when known)."""
    workspace = await session.get(Workspace, team_id)
    if workspace is None:
        workspace = Workspace(team_id=team_id, name=name, enterprise_id=enterprise_id)
        session.add(workspace)
        await session.flush()
    elif enterprise_id and workspace.enterprise_id != enterprise_id:
        workspace.enterprise_id = enterprise_id
        workspace.name = name or workspace.name
        await session.flush()
    return workspace


async def enterprise_of(session: AsyncSession, *, team_id: str) -> str | None:
    """The Enterprise Grid organisation of a workspace: from its own installation, or as remembered."""
    installed = await session.exec(
        select(slack_bots.c.enterprise_id)
        .where(slack_bots.c.team_id == team_id)
        .order_by(slack_bots.c.installed_at.desc())
        .limit(1)
    )
    row = installed.first()
    if row is not None:
        return row[0]
    workspace = await session.get(Workspace, team_id)
    return workspace.enterprise_id if workspace else None


async def teams_of_enterprise(session: AsyncSession, *, enterprise_id: str) -> list[str]:
    """Every workspace of an Enterprise Grid organisation the coach has served."""
    rows = await session.exec(select(Workspace.team_id).where(Workspace.enterprise_id == enterprise_id))
    return list(rows.all())


async def delete_enterprise_installation(session: AsyncSession, *, enterprise_id: str) -> int:
    """Delete an organisation-wide installation (its rows carry no workspace); how many rows went."""
    removed = 0
    for table in (slack_installations, slack_bots):
        result = await session.exec(
            delete(table).where(table.c.enterprise_id == enterprise_id, table.c.team_id.is_(None))
        )
        removed += result.rowcount or 0
    return removed


async def delete_workspace_data(session: AsyncSession, *, team_id: str) -> dict[str, int]:
    """Delete every row of one workspace in every table; returns the count per table."""
    counts: dict[str, int] = {}
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "team_id" not in table.c:
            continue
        result = await session.exec(delete(table).where(table.c.team_id == team_id))
        if result.rowcount:
            counts[table.name] = result.rowcount
    return counts
