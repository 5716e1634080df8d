"""Storage: SQLModel tables, the async database, and the Alembic migrations that shape it."""
