"""What keeps indexed material private and every replica's copy of it current."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.store.models.base import TEAM_ID_LENGTH, timestamp_field


class MaterialKey(SQLModel, table=True):
    """The key a workspace's own material is encrypted with in the vector store.

    Deleting this row makes whatever the vector store still holds of the workspace (its write-ahead log, a
    backup) unreadable: the text never sits in Chroma in the clear.
    """

    __tablename__ = "material_key"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    key: str = Field(max_length=64)
    created_at: datetime = timestamp_field()


class KnowledgeVersion(SQLModel, table=True):
    """A counter bumped whenever something every replica mirrors in memory changes.

    `name` is a material scope (the shared material, or one workspace's) or the vote prior; a replica that
    holds an older version reloads before it answers.
    """

    __tablename__ = "knowledge_version"

    name: str = Field(primary_key=True, max_length=80)
    team_id: str | None = Field(default=None, max_length=TEAM_ID_LENGTH, index=True)
    version: int = Field(default=0)
    updated_at: datetime = timestamp_field()
