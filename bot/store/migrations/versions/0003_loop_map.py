"""Loop maps: versioned maps per team channel and the interview state.

Revision ID: 0003_loop_map
Revises: 0002_answers
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003_loop_map"
down_revision = "0002_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
