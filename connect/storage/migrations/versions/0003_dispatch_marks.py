"""With a broker, the scheduler marks what it handed to the queue, so each due job and
callback is sent once (and again only if it is still waiting long after).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_jobs") as table:
        table.add_column(sa.Column("dispatched_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("callback_events") as table:
        table.add_column(sa.Column("dispatched_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callback_events") as table:
        table.drop_column("dispatched_at")
    with op.batch_alter_table("sync_jobs") as table:
        table.drop_column("dispatched_at")
