"""A thread's messages are read in date order from the index itself: without the date in it,
SQLite walked the whole account by date to find one thread's five messages.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("messages_by_thread", table_name="messages")
    op.create_index("messages_by_thread", "messages", ["account_id", "thread_id", "date"])


def downgrade() -> None:
    op.drop_index("messages_by_thread", table_name="messages")
    op.create_index("messages_by_thread", "messages", ["account_id", "thread_id"])
