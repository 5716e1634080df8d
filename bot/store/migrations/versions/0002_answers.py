"""Answers: stored questions, passages and votes (the coach's own flywheel).

Revision ID: 0002_answers
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_answers"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("grounded", sa.Boolean(), nullable=False),
        sa.Column("generated", sa.Boolean(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_answer_team_id", "answer", ["team_id"])
    op.create_table(
        "answer_passage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("passage_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("cited", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
    )
    op.create_index("ix_answer_passage_team_id", "answer_passage", ["team_id"])
    op.create_index("ix_answer_passage_answer_id", "answer_passage", ["answer_id"])
    op.create_index("ix_answer_passage_passage_id", "answer_passage", ["passage_id"])
    op.create_table(
        "answer_vote",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("vote", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "answer_id", "user_id", name="uq_answer_vote"),
    )
    op.create_index("ix_answer_vote_team_id", "answer_vote", ["team_id"])
    op.create_index("ix_answer_vote_answer_id", "answer_vote", ["answer_id"])


def downgrade() -> None:
    op.drop_index("ix_answer_vote_answer_id", table_name="answer_vote")
    op.drop_index("ix_answer_vote_team_id", table_name="answer_vote")
    op.drop_table("answer_vote")
    op.drop_index("ix_answer_passage_passage_id", table_name="answer_passage")
    op.drop_index("ix_answer_passage_answer_id", table_name="answer_passage")
    op.drop_index("ix_answer_passage_team_id", table_name="answer_passage")
    op.drop_table("answer_passage")
    op.drop_index("ix_answer_team_id", table_name="answer")
    op.drop_table("answer")
