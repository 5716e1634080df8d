"""Every table of the coach. Importing this package registers them all on `SQLModel.metadata`."""

from bot.store.models.core import ProcessedEvent, ThreadSession, Workspace

__all__ = ["ProcessedEvent", "ThreadSession", "Workspace"]
