"""Facts about the deployment kept with its data: which SECRET_KEY the credentials in this
database are encrypted under (a fingerprint, never the key).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("settings_pkey")),
    )


def downgrade() -> None:
    op.drop_table("settings")
