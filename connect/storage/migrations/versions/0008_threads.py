"""Threads: each message's thread id, the Message-ID graph that joins them, and Gmail's ids
as lowercase hex (as Gmail shows them) rather than decimal.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from connect.storage.threads import thread_existing_messages

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("thread_id", sa.Text(), nullable=True))
    op.create_index("messages_by_thread", "messages", ["account_id", "thread_id"])
    op.create_table(
        "thread_keys",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("thread_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("thread_keys_account_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "key", name=op.f("thread_keys_pkey")),
    )
    op.create_index("thread_keys_by_thread", "thread_keys", ["account_id", "thread_id"])
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    as_hex = "printf('%x', CAST({0} AS INTEGER))" if sqlite else "to_hex(CAST({0} AS BIGINT))"
    for column in ("gmail_message_id", "gmail_thread_id"):
        connection.execute(
            sa.text(f"UPDATE messages SET {column} = {as_hex.format(column)} WHERE {column} IS NOT NULL")
        )
    thread_existing_messages(connection)


def downgrade() -> None:
    op.drop_index("thread_keys_by_thread", table_name="thread_keys")
    op.drop_table("thread_keys")
    op.drop_index("messages_by_thread", table_name="messages")
    with op.batch_alter_table("messages") as table:
        table.drop_column("thread_id")
