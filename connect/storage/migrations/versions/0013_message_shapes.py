"""Each message keeps the part of its answer fixed at indexing, already encoded: a page of 100
messages copies it instead of decoding every message's addresses and building its people again.
Messages indexed before this keep none and are shaped from their columns when served.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("shape", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("shape")
