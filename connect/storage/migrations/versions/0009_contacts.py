"""Contacts: who each message is from and to, one row per address and role, filled for the
messages already indexed.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from connect.storage.contacts import record_existing_addresses

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_addresses",
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), server_default="", nullable=False),
        sa.Column("date", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("message_addresses_message_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "role", "email", name=op.f("message_addresses_pkey")),
    )
    op.create_index("message_addresses_by_contact", "message_addresses", ["account_id", "email", "date"])
    record_existing_addresses(op.get_bind())


def downgrade() -> None:
    op.drop_index("message_addresses_by_contact", table_name="message_addresses")
    op.drop_table("message_addresses")
