"""Check-ins: schedules, exactly-once dispatch records, ship items and results.

Revision ID: 0004_checkins
Revises: 0003_loop_map
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_checkins"
down_revision = "0003_loop_map"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin_schedule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("ship_day", sa.Integer(), nullable=False),
        sa.Column("ship_time", sa.String(length=5), nullable=False),
        sa.Column("measure_day", sa.Integer(), nullable=False),
        sa.Column("measure_time", sa.String(length=5), nullable=False),
        sa.Column("reminder_day", sa.Integer(), nullable=False),
        sa.Column("reminder_time", sa.String(length=5), nullable=False),
        sa.Column("digest_day", sa.Integer(), nullable=False),
        sa.Column("digest_time", sa.String(length=5), nullable=False),
        sa.Column("enabled", sa.JSON(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("set_up_by", sa.String(length=32), nullable=False),
        sa.Column("paused_reason", sa.String(length=255), nullable=True),
        sa.Column("checked_through", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "channel_id", name="uq_checkin_schedule_channel"),
    )
    op.create_index("ix_checkin_schedule_team_id", "checkin_schedule", ["team_id"])
    op.create_index("ix_checkin_schedule_next_due_at", "checkin_schedule", ["next_due_at"])

    op.create_table(
        "checkin_skip",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_checkin_skip_team_id", "checkin_skip", ["team_id"])
    op.create_index("ix_checkin_skip_channel", "checkin_skip", ["team_id", "channel_id"])

    op.create_table(
        "checkin_dispatch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("prompt", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("team_id", "channel_id", "week", "prompt", name="uq_checkin_dispatch"),
    )
    op.create_index("ix_checkin_dispatch_team_id", "checkin_dispatch", ["team_id"])
    op.create_index("ix_checkin_dispatch_status", "checkin_dispatch", ["status", "claimed_at"])

    op.create_table(
        "checkin_item",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("expected_metric", sa.String(length=200), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("learned", sa.String(length=1000), nullable=False),
        sa.Column("next_step", sa.String(length=16), nullable=True),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("source_ts", sa.String(length=32), nullable=True),
        sa.Column("result_ts", sa.String(length=32), nullable=True),
        sa.Column("reply_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_checkin_item_team_id", "checkin_item", ["team_id"])
    op.create_index("ix_checkin_item_channel_week", "checkin_item", ["team_id", "channel_id", "week"])


def downgrade() -> None:
    op.drop_index("ix_checkin_item_channel_week", table_name="checkin_item")
    op.drop_index("ix_checkin_item_team_id", table_name="checkin_item")
    op.drop_table("checkin_item")
    op.drop_index("ix_checkin_dispatch_status", table_name="checkin_dispatch")
    op.drop_index("ix_checkin_dispatch_team_id", table_name="checkin_dispatch")
    op.drop_table("checkin_dispatch")
    op.drop_index("ix_checkin_skip_channel", table_name="checkin_skip")
    op.drop_index("ix_checkin_skip_team_id", table_name="checkin_skip")
    op.drop_table("checkin_skip")
    op.drop_index("ix_checkin_schedule_next_due_at", table_name="checkin_schedule")
    op.drop_index("ix_checkin_schedule_team_id", table_name="checkin_schedule")
    op.drop_table("checkin_schedule")
