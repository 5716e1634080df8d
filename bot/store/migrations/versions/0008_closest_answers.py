"""Answers that are only the closest the material comes say so when they are posted again.

Answers stored before this revision count as answers the material gives.

Revision ID: 0008_closest_answers
Revises: 0007_answer_posts
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_closest_answers"
down_revision = "0007_answer_posts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answer") as table:
        table.add_column(sa.Column("closest", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("answer") as table:
        table.drop_column("closest")
