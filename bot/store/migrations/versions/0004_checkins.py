"""Check-ins: schedules, exactly-once dispatch records, ship items and results.

Revision ID: 0004_checkins
Revises: 0003_loop_map
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_checkins"
down_revision = "0003_loop_map"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
