"""Answers against storage: asking, recording what was answered, votes and sharing (no Slack here)."""

from __future__ import annotations

from bot.retrieval.knowledge_base import KnowledgeBase
from bot.store.db import Database


class AnswerService:
    """Answers questions for a workspace and keeps what the coach learns from the replies."""

    def __init__(self, db: Database, knowledge: KnowledgeBase) -> None:
        self.db = db
        self.knowledge = knowledge
