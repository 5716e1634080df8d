"""Loop maps: versioned maps per team channel and the interview state.

Revision ID: 0003_loop_map
Revises: 0002_answers
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_loop_map"
down_revision = "0002_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loop_map_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("diagnosis", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("interview_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "channel_id", "version", name="uq_loop_map_version"),
    )
    op.create_index("ix_loop_map_version_team_id", "loop_map_version", ["team_id"])
    op.create_table(
        "interview_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("active_channel", sa.String(length=32), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("question_ts", sa.String(length=32), nullable=True),
        sa.Column("started_by", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "active_channel", name="uq_interview_active_channel"),
    )
    op.create_index("ix_interview_session_team_id", "interview_session", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_interview_session_team_id", table_name="interview_session")
    op.drop_table("interview_session")
    op.drop_index("ix_loop_map_version_team_id", table_name="loop_map_version")
    op.drop_table("loop_map_version")
