"""The long-lived things the coach works with: built once at start, passed to whoever needs them, closed once.

`Services` is the composition root of the core: one service per feature (answers, interview, check-ins,
workspaces) over one database, one knowledge base and one clock. Listeners and the CLI call these services;
they never open a database session themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from bot.checkins.service import CheckinService
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.interview.service import InterviewService
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.ledger import DatabaseLedger
from bot.retrieval.service import AnswerService
from bot.store.db import Database
from bot.workspaces import WorkspaceService


@dataclass
class Services:
    """Settings, storage, the clock, the knowledge base, and one service per feature.

    An async context manager: `async with await build_services(settings) as services:` closes it all.
    """

    settings: Settings
    db: Database
    clock: Clock
    knowledge: KnowledgeBase
    answers: AnswerService
    interview: InterviewService
    checkins: CheckinService
    workspaces: WorkspaceService

    async def __aenter__(self) -> Services:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

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
        knowledge = await KnowledgeBase.open(settings, ledger=DatabaseLedger(db))
        answers = AnswerService(db, knowledge)
        await answers.sync(None)  # the shared vote prior, before the first question
    except BaseException:
        await db.dispose()
        raise
    clock = clock or SystemClock()
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        knowledge=knowledge,
        answers=answers,
        interview=InterviewService(db, search=knowledge.search),
        checkins=CheckinService(db, clock, search=knowledge.search),
        workspaces=WorkspaceService(db, knowledge),
    )
