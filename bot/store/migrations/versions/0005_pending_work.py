"""Pending work: the Slack effects of interview steps, completed after the step and again after a restart.

Revision ID: 0005_pending_work
Revises: 0004_checkins
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_pending_work"
down_revision = "0004_checkins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_effect",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result_ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_pending_effect_team_id", "pending_effect", ["team_id"])
    op.create_index("ix_pending_effect_open", "pending_effect", ["team_id", "interview_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_pending_effect_open", table_name="pending_effect")
    op.drop_index("ix_pending_effect_team_id", table_name="pending_effect")
    op.drop_table("pending_effect")
