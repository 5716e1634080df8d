"""Alembic environment: runs on the connection the coach hands over, or on the configured URL."""

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers every table)

target_metadata = SQLModel.metadata


def run_on(connection: Connection) -> None:
    """Run the migrations on an open synchronous connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_with_own_engine() -> None:
    """When started by the `alembic` command: open an engine on the configured URL."""
    import asyncio

    async def main() -> None:
        engine = create_async_engine(context.config.get_main_option("sqlalchemy.url") or "", hide_parameters=True)
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
        await engine.dispose()

    asyncio.run(main())


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    run_with_own_engine()
