"""Answers posted exactly once: an answer owed to a thread is claimed before it is posted, marked posted after.

Answers stored before this revision count as posted (none of them is owed any more).

Revision ID: 0007_answer_posts
Revises: 0006_installations
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_answer_posts"
down_revision = "0006_installations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answer") as table:
        table.add_column(sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("post_claim", sa.String(length=32), nullable=True))
        table.add_column(sa.Column("post_claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE answer SET posted_at = created_at")
    op.create_index("ix_answer_unposted", "answer", ["posted_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_answer_unposted", table_name="answer")
    with op.batch_alter_table("answer") as table:
        table.drop_column("post_claimed_at")
        table.drop_column("post_claim")
        table.drop_column("posted_at")
