"""Foundation: workspaces, processed events (de-duplication) and thread ownership.

Revision ID: 0001_foundation
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace",
        sa.Column("team_id", sa.String(length=32), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "processed_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "event_id", name="uq_processed_event"),
    )
    op.create_index("ix_processed_event_team_id", "processed_event", ["team_id"])
    op.create_table(
        "thread_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "channel_id", "thread_ts", name="uq_thread_session"),
    )
    op.create_index("ix_thread_session_team_id", "thread_session", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_thread_session_team_id", table_name="thread_session")
    op.drop_table("thread_session")
    op.drop_index("ix_processed_event_team_id", table_name="processed_event")
    op.drop_table("processed_event")
    op.drop_table("workspace")
