"""Workspaces as the coach keeps them: remembered on first sight, their deliveries and threads, and deletion."""

from __future__ import annotations

from dataclasses import dataclass

from bot.retrieval.knowledge_base import KnowledgeBase
from bot.store.answers import vote_counts
from bot.store.db import Database
from bot.store.deliveries import claim_event
from bot.store.threads import find_thread
from bot.store.workspaces import delete_workspace_data

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

    async def thread_owner(self, *, team_id: str, channel_id: str, thread_ts: str) -> ThreadOwner | None:
        """Which feature owns a thread, or None when no feature does."""
        async with self.db.session() as session:
            row = await find_thread(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
        return ThreadOwner(kind=row.kind, ref_id=row.ref_id) if row else None

    async def delete(self, *, team_id: str) -> dict[str, int]:
        """Delete every row and all indexed material of one workspace; its votes leave the shared prior.

        Returns how many were deleted, per table (and the material's chunks).
        """
        async with self.db.session() as session:
            counts = await delete_workspace_data(session, team_id=team_id)
        material = await self.knowledge.delete_team(team_id)
        if material:
            counts[MATERIAL_COUNT] = material
        async with self.db.session() as session:
            self.knowledge.set_vote_counts(await vote_counts(session))
        return counts
