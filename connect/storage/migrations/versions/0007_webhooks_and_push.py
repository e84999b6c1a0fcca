"""Webhooks, the message events the index records for them, the worker holding IMAP IDLE on
each source, a push's folder on a sync job, and the webhook callbacks the receiver took.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Text(), nullable=False),
        sa.Column("consumer_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=False),
        sa.Column("failure_notif_url", sa.Text(), nullable=True),
        sa.Column("active", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("failure", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("sync_period", sa.Text(), server_default="", nullable=False),
        sa.Column("filters", sa.Text(), server_default="{}", nullable=False),
        sa.Column("include_body", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("body_type", sa.Text(), nullable=True),
        sa.Column("include_header", sa.Text(), server_default="0", nullable=False),
        sa.Column("receive_drafts", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("receive_all_changes", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("receive_historical", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("api_root", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("resumed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("webhooks_account_id_fkey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["consumer_key"],
            ["api_clients.consumer_key"],
            name=op.f("webhooks_consumer_key_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("webhooks_pkey")),
        sa.UniqueConstraint("webhook_id", name=op.f("webhooks_webhook_id_key")),
    )
    op.create_index("webhooks_by_client", "webhooks", ["consumer_key", "account_id"])
    op.create_table(
        "message_events",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("folder", sa.Text(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("message_events_account_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("message_events_pkey")),
    )
    op.create_index("message_events_by_account", "message_events", ["account_id", "id"])
    op.create_table(
        "idle_holders",
        sa.Column("source_id", RowId, nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("idle_holders_source_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("idle_holders_pkey")),
    )
    op.create_index("idle_holders_by_owner", "idle_holders", ["owner"])
    op.create_table(
        "received_webhooks",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("webhook_id", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("message_data", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("scheme", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("received_webhooks_pkey")),
        sa.UniqueConstraint("token", name=op.f("received_webhooks_token_key")),
    )
    op.create_index("received_webhooks_by_account", "received_webhooks", ["account_id", "id"])
    op.add_column("sync_jobs", sa.Column("folder", sa.Text(), nullable=True))
    with op.batch_alter_table("callback_events") as table:
        table.add_column(sa.Column("webhook", RowId, nullable=True))
        table.create_foreign_key(
            op.f("callback_events_webhook_fkey"), "webhooks", ["webhook"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("callback_events") as table:
        table.drop_constraint("callback_events_webhook_fkey", type_="foreignkey")
        table.drop_column("webhook")
    with op.batch_alter_table("sync_jobs") as table:
        table.drop_column("folder")
    op.drop_index("received_webhooks_by_account", table_name="received_webhooks")
    op.drop_table("received_webhooks")
    op.drop_index("idle_holders_by_owner", table_name="idle_holders")
    op.drop_table("idle_holders")
    op.drop_index("message_events_by_account", table_name="message_events")
    op.drop_table("message_events")
    op.drop_index("webhooks_by_client", table_name="webhooks")
    op.drop_table("webhooks")
