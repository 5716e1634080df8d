"""Workspaces as the coach keeps them: remembered on first sight, their deliveries and threads, and deletion."""

from __future__ import annotations

from dataclasses import dataclass

from bot.retrieval.knowledge_base import KnowledgeBase
from bot.store.db import Database
from bot.store.deliveries import claim_event
from bot.store.material import VOTE_PRIOR, bump_versions
from bot.store.threads import find_thread
from bot.store.workspaces import (
    delete_enterprise_installation,
    delete_workspace_data,
    remember_workspace,
    teams_of_enterprise,
)

MATERIAL_COUNT = "indexed material chunks"


@dataclass(frozen=True)
class ThreadOwner:
    """The feature that owns a Slack thread (`kind`), and what it keeps there (`ref_id`, an id of its own)."""

    kind: str
    ref_id: str | None


class WorkspaceService:
    """What the coach keeps per workspace across features, and deleting all of it."""

    def __init__(self, db: Database, knowledge: KnowledgeBase) -> None:
        self.db = db
        self.knowledge = knowledge

    async def claim_event(self, *, team_id: str, event_id: str) -> bool:
        """Record a delivered event; False when it was handled before (Slack redelivered it)."""
        async with self.db.session() as session:
            return await claim_event(session, team_id=team_id, event_id=event_id)

    async def remember(self, *, team_id: str, enterprise_id: str | None = None) -> None:
        """Remember a workspace (and the Enterprise Grid organisation it belongs to)."""
        async with self.db.session() as session:
            await remember_workspace(session, team_id=team_id, enterprise_id=enterprise_id)

    async def thread_owner(self, *, team_id: str, channel_id: str, thread_ts: str) -> ThreadOwner | None:
        """Which feature owns a thread, or None when no feature does."""
        async with self.db.session() as session:
            row = await find_thread(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
        return ThreadOwner(kind=row.kind, ref_id=row.ref_id) if row else None

    async def delete(self, *, team_id: str) -> dict[str, int]:
        """Delete every row and all indexed material of one workspace, its installation included.

        Its votes leave the shared prior, and every replica stops serving its material before its next
        answer (the material's key and version go with the rows). Returns how many were deleted, per table
        (and the material's chunks).
        """
        material = await self.knowledge.delete_team(team_id)
        async with self.db.session() as session:
            counts = await delete_workspace_data(session, team_id=team_id)
            await bump_versions(session, names=[VOTE_PRIOR], team_id=None)
        await self.db.scrub()
        if material:
            counts[MATERIAL_COUNT] = material
        return counts

    async def delete_enterprise(self, *, enterprise_id: str) -> dict[str, int]:
        """Delete an Enterprise Grid organisation's installation and every one of its workspaces' data."""
        async with self.db.session() as session:
            teams = await teams_of_enterprise(session, enterprise_id=enterprise_id)
        totals: dict[str, int] = {}
        for team_id in teams:
            for name, count in (await self.delete(team_id=team_id)).items():
                totals[name] = totals.get(name, 0) + count
        async with self.db.session() as session:
            removed = await delete_enterprise_installation(session, enterprise_id=enterprise_id)
        if removed:
            totals["slack_installations"] = totals.get("slack_installations", 0) + removed
        await self.db.scrub()
        return totals
