"""Source status callbacks: one delivery pipeline for every kind of outbound POST (a ``kind``
and a JSON ``payload`` on callback events), and the API client's app-level
``status_callback_url``; the receiver's record of the status callbacks it took.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "callback_events",
        sa.Column("kind", sa.Text(), nullable=False, server_default="sync_completed"),
    )
    op.add_column("callback_events", sa.Column("payload", sa.Text(), nullable=True))
    op.add_column("api_clients", sa.Column("status_callback_url", sa.Text(), nullable=True))
    op.create_table(
        "received_statuses",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("source_label", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("old_status", sa.Text(), nullable=False),
        sa.Column("status_message", sa.Text(), server_default="", nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("scheme", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("received_statuses_pkey")),
        sa.UniqueConstraint("token", name=op.f("received_statuses_token_key")),
    )
    op.create_index(
        "received_statuses_by_source", "received_statuses", ["account_id", "source_label", "timestamp"]
    )


def downgrade() -> None:
    op.drop_index("received_statuses_by_source", table_name="received_statuses")
    op.drop_table("received_statuses")
    with op.batch_alter_table("api_clients") as table:
        table.drop_column("status_callback_url")
    with op.batch_alter_table("callback_events") as table:
        table.drop_column("payload")
        table.drop_column("kind")
