"""Workspaces: remembering them, and deleting everything one of them stored."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.inserts import column_values, insert_unless_present
from bot.store.models import Workspace
from bot.store.models.installations import slack_bots, slack_installations


async def remember_workspace(
    session: AsyncSession, *, team_id: str, name: str | None = None, enterprise_id: str | None = None
) -> Workspace:
    """The workspace row, created on first sight by exactly one of several requests seeing it at once (its name
    and Enterprise Grid organisation kept when known)."""
    fresh = Workspace(team_id=team_id, name=name, enterprise_id=enterprise_id)
    await session.exec(insert_unless_present(session, Workspace, column_values(fresh), key=["team_id"]))
    workspace = await session.get(Workspace, team_id)
    assert workspace is not None  # just written, or written by whoever won the race
    if enterprise_id and workspace.enterprise_id != enterprise_id:
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


async def lock_bot(session: AsyncSession, *, bot_token: str) -> int | None:
    """Lock the installed bot row holding `bot_token` until the transaction ends; its id, or None when that token
    was replaced meanwhile (someone else refreshed it)."""
    result = await session.exec(
        update(slack_bots)
        .where(slack_bots.c.bot_token == bot_token)
        .values(bot_token=slack_bots.c.bot_token)
        .returning(slack_bots.c.id)
    )
    row = result.first()
    return int(row[0]) if row else None


async def save_rotated_bot(
    session: AsyncSession, *, row_id: int, bot_token: str, refresh_token: str | None, expires_at: int | None
) -> None:
    """Store a refreshed token on the bot row (and on the installation rows that carried the old one)."""
    expires = datetime.fromtimestamp(expires_at, tz=UTC).replace(tzinfo=None) if expires_at else None
    old = (await session.exec(select(slack_bots.c.bot_token).where(slack_bots.c.id == row_id))).one()[0]
    values = {"bot_token": bot_token, "bot_refresh_token": refresh_token, "bot_token_expires_at": expires}
    await session.exec(update(slack_bots).where(slack_bots.c.id == row_id).values(**values))
    await session.exec(update(slack_installations).where(slack_installations.c.bot_token == old).values(**values))
