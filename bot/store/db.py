"""The async database: engine, sessions, and migrations to the newest schema."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SCRUB_ATTEMPTS = 100
MIGRATION_LOCK_KEY = 0x466C7977  # any constant of our own: PostgreSQL's advisory lock id for migrating


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the project's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at once; the busy timeout makes concurrent writers wait.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL still never corrupts the database and survives a killed process; it only skips an
    # fsync per commit (a power cut may lose the last commits), which makes commits several times cheaper.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # A deleted workspace's text is overwritten on disk, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class Database:
    """One async engine and its session factory, built once at start and passed to whoever needs it."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=not self.is_sqlite, hide_parameters=True)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that commits on success and rolls back on error."""
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to `revision`, with one clear line if the database can't be reached."""
        await self._run_migration(command.upgrade, revision)

    async def downgrade(self, revision: str) -> None:
        """Undo migrations down to `revision` ("base" removes every table)."""
        await self._run_migration(command.downgrade, revision)

    async def current_revision(self) -> str | None:
        """The revision the database is at, or None before the first migration."""
        from alembic.runtime.migration import MigrationContext

        def read(connection: Connection) -> str | None:
            return MigrationContext.configure(connection).get_current_revision()

        async with self.engine.connect() as connection:
            return await connection.run_sync(read)

    async def _run_migration(self, action: Callable[[Config, str], None], revision: str) -> None:
        config = alembic_config(self.url)

        def run(connection: Connection) -> None:
            if connection.dialect.name == "postgresql":
                # Replicas starting together on one fresh database: one migrates, the others wait and find it done.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            action(config, revision)

        try:
            async with self._sqlite_migration_lock(), self.engine.begin() as connection:
                await connection.run_sync(run)
        except (TimeoutError, OperationalError, DBAPIError, OSError) as error:
            raise ConfigError(
                f"DATABASE_URL cannot be reached or migrated ({_short(error)}): "
                "check that the server runs and the URL is right."
            ) from error

    @asynccontextmanager
    async def _sqlite_migration_lock(self) -> AsyncIterator[None]:
        """On one SQLite file, migrate one process at a time (SQLite takes its write lock too late for that)."""
        database = make_url(self.url).database
        if not self.is_sqlite or not database or database == ":memory:":
            yield
            return
        lock = await asyncio.to_thread(Path(f"{database}.migrate.lock").open, "a")
        with lock:
            await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    async def scrub(self) -> None:
        """Leave no trace of deleted rows on disk.

        SQLite overwrites deleted rows (secure_delete), but the write-ahead log still holds the pages as they
        were: fold it into the database file and empty it, waiting out readers that hold it open. (PostgreSQL
        reuses the space of deleted rows after its autovacuum.)
        """
        if not self.is_sqlite:
            return
        for _attempt in range(SCRUB_ATTEMPTS):
            async with self.engine.connect() as connection:
                result = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()
            if not result[0]:  # (busy, log frames, checkpointed frames)
                return
            await asyncio.sleep(0.05)
        logger.warning("the write-ahead log stayed busy: deleted rows leave it at the next checkpoint")

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _short(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
