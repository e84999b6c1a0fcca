"""The initial sync's progress on each source: how many messages its folders hold, counted up
front from STATUS, and how many are indexed so far.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("initial_sync_total", sa.BigInteger(), nullable=True))
    op.add_column("sources", sa.Column("initial_sync_indexed", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as table:
        table.drop_column("initial_sync_indexed")
        table.drop_column("initial_sync_total")
