"""Contacts' counts kept as messages come and go: a page of contacts was an aggregate over
every address row of the account (~200 ms at 100,000 messages); it is an indexed read now.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from connect.storage.contacts import count_existing_contacts

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), server_default="", nullable=False),
        sa.Column("name_date", sa.BigInteger(), nullable=True),
        *(
            sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False)
            for name in ("count", "received_count", "sent_count", "sent_from_account_count")
        ),
        *(
            sa.Column(name, sa.BigInteger(), nullable=True)
            for name in ("first_date", "last_date", "last_received", "last_sent")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("contacts_account_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "email", name=op.f("contacts_pkey")),
    )
    op.create_index("contacts_by_count", "contacts", ["account_id", "count"])
    count_existing_contacts(op.get_bind())


def downgrade() -> None:
    op.drop_index("contacts_by_count", table_name="contacts")
    op.drop_table("contacts")
