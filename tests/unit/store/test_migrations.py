"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and undo cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from bot.store.db import Database


async def test_migrated_schema_matches_the_models(database: Database) -> None:
    def differences(connection) -> list:  # noqa: ANN001
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with database.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def test_every_table_carries_an_indexed_team_id(database: Database) -> None:
    def tables_and_indexes(connection) -> dict[str, tuple[set[str], set[str]]]:  # noqa: ANN001
        inspector = inspect(connection)
        found = {}
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            columns = {column["name"] for column in inspector.get_columns(table)}
            indexed = {name for index in inspector.get_indexes(table) for name in index["column_names"]}
            indexed |= {name for key in inspector.get_unique_constraints(table) for name in key["column_names"][:1]}
            indexed |= set(inspector.get_pk_constraint(table)["constrained_columns"][:1])
            found[table] = (columns, indexed)
        return found

    async with database.engine.connect() as connection:
        tables = await connection.run_sync(tables_and_indexes)
    assert set(tables) == set(SQLModel.metadata.tables)
    for name, (columns, indexed) in tables.items():
        if name == "slack_oauth_states":  # an install under way, before there is a workspace
            continue
        assert "team_id" in columns, f"{name} has no team_id"
        assert "team_id" in indexed, f"{name}.team_id is not indexed"


async def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(database: Database) -> None:
    await database.downgrade("base")
    async with database.engine.connect() as connection:
        remaining = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert set(remaining) <= {"alembic_version"}
    assert await database.current_revision() is None
    await database.upgrade()
    async with database.engine.connect() as connection:
        restored = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert set(SQLModel.metadata.tables) <= set(restored)
