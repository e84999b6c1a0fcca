"""Workers beat, so a dead worker's jobs are taken over before their leases run out; callback
claims look up an API client's events in flight by index.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("started", sa.BigInteger(), nullable=False),
        sa.Column("heartbeat", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("workers_pkey")),
    )
    op.create_index("callback_events_in_flight", "callback_events", ["consumer_key", "lease_expires"])


def downgrade() -> None:
    op.drop_index("callback_events_in_flight", table_name="callback_events")
    op.drop_table("workers")
