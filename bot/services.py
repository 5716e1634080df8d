"""The long-lived things the coach works with, built once at start and passed to whoever needs them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.checkins.service import CheckinService
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.store.answers import vote_counts
from bot.store.db import Database


@dataclass
class Services:
    """Settings, storage and the clock (features add what they need)."""

    settings: Settings
    db: Database
    clock: Clock
    knowledge: KnowledgeBase
    checkins: CheckinService

    async def aclose(self) -> None:
        """Release what the services hold."""
        await self.knowledge.close()
        await self.db.dispose()


async def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Open the database (migrated to the newest schema) and everything else the coach needs."""
    settings.ensure_data_dir()
    db = Database(settings.resolved_database_url)
    try:
        await db.upgrade()
        knowledge = await KnowledgeBase.open(settings)
        async with db.session() as session:
            knowledge.set_vote_counts(await vote_counts(session))
    except BaseException:
        await db.dispose()
        raise
    clock = clock or SystemClock()
    checkins = CheckinService(db, clock, search=knowledge.search)
    return Services(settings=settings, db=db, clock=clock, knowledge=knowledge, checkins=checkins)
