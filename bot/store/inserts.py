"""Inserts that let the database settle a race: a row that is already there is left alone, not an error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def insert_unless_present(
    session: AsyncSession, model: type[SQLModel], values: Mapping[str, Any], *, key: Sequence[str]
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of one row that does nothing when a row with the same `key` (a unique constraint) exists.

    Add `.returning(...)` to learn whether this caller wrote the row: a concurrent writer's row makes it
    return nothing, on SQLite and PostgreSQL alike (PostgreSQL waits for that writer to commit first).
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=list(key))
    return sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=list(key))


def column_values(row: SQLModel) -> dict[str, Any]:
    """A new row's column values with its defaults filled in (the id left to the database)."""
    values = row.model_dump()
    if values.get("id") is None:
        values.pop("id", None)
    return values
