"""The schema of the last release before Alembic (SQLite ``user_version`` 4), for both engines.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("consumer_key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("consumer_secret", sa.LargeBinary(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("consumer_key", name=op.f("api_clients_pkey")),
    )
    op.create_table(
        "completed_syncs",
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("source_label", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("scheme", sa.Text(), nullable=False),
        sa.Column("webhook_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("token", name=op.f("completed_syncs_pkey")),
    )
    op.create_index(
        "completed_syncs_by_source", "completed_syncs", ["account_id", "source_label"], unique=False
    )
    op.create_table(
        "helper_users",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("helper_users_pkey")),
    )
    op.create_table(
        "oauth_nonces",
        sa.Column("consumer_key", sa.Text(), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("consumer_key", "nonce", name=op.f("oauth_nonces_pkey")),
        sqlite_with_rowid=False,
    )
    op.create_index("oauth_nonces_by_age", "oauth_nonces", ["timestamp"], unique=False)
    op.create_table(
        "accounts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("consumer_key", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), server_default="", nullable=False),
        sa.Column("last_name", sa.Text(), server_default="", nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("suspended", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_key"],
            ["api_clients.consumer_key"],
            name=op.f("accounts_consumer_key_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("accounts_pkey")),
    )
    op.create_index("accounts_by_client", "accounts", ["consumer_key", "created"], unique=False)
    op.create_table(
        "oauth_providers",
        sa.Column("consumer_key", sa.Text(), nullable=False),
        sa.Column("provider_consumer_key", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("provider_consumer_secret", sa.LargeBinary(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_key"],
            ["api_clients.consumer_key"],
            name=op.f("oauth_providers_consumer_key_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consumer_key", "provider_consumer_key", name=op.f("oauth_providers_pkey")),
    )
    op.create_table(
        "connect_tokens",
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("consumer_key", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("source_label", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), server_default="", nullable=False),
        sa.Column("first_name", sa.Text(), server_default="", nullable=False),
        sa.Column("last_name", sa.Text(), server_default="", nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=False),
        sa.Column("source_callback_url", sa.Text(), nullable=True),
        sa.Column("status_callback_url", sa.Text(), nullable=True),
        sa.Column("source_sync_all_folders", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("source_sync_flags", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("source_raw_file_list", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("connect_tokens_account_id_fkey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["consumer_key"],
            ["api_clients.consumer_key"],
            name=op.f("connect_tokens_consumer_key_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("connect_tokens_pkey")),
    )
    op.create_index("connect_tokens_by_client", "connect_tokens", ["consumer_key", "created"], unique=False)
    op.create_table(
        "messages",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=False),
        sa.Column("email_message_id", sa.Text(), nullable=True),
        sa.Column("gmail_message_id", sa.Text(), nullable=True),
        sa.Column("gmail_thread_id", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), server_default="", nullable=False),
        sa.Column("date", sa.BigInteger(), nullable=False),
        sa.Column("date_received", sa.BigInteger(), nullable=True),
        sa.Column("date_indexed", sa.BigInteger(), nullable=False),
        sa.Column("addresses", sa.Text(), nullable=False),
        sa.Column("in_reply_to", sa.Text(), nullable=True),
        sa.Column("references", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("messages_account_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("messages_pkey")),
        sa.UniqueConstraint("account_id", "dedupe_key", name=op.f("messages_account_id_dedupe_key_key")),
    )
    op.create_index("messages_by_date", "messages", ["account_id", "date"], unique=False)
    op.create_table(
        "sources",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("server", sa.Text(), nullable=False),
        sa.Column("port", sa.BigInteger(), nullable=False),
        sa.Column("use_ssl", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), server_default="IMAP", nullable=False),
        sa.Column("authentication_type", sa.Text(), nullable=False),
        sa.Column("password", sa.LargeBinary(), nullable=True),
        sa.Column("provider_consumer_key", sa.Text(), nullable=True),
        sa.Column("provider_token", sa.LargeBinary(), nullable=True),
        sa.Column("provider_token_secret", sa.LargeBinary(), nullable=True),
        sa.Column("provider_refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("status_message", sa.Text(), server_default="", nullable=False),
        sa.Column("sync_period", sa.Text(), nullable=False),
        sa.Column("raw_file_list", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("sync_all_folders", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("sync_flags", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("expunge_on_deleted_flag", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("status_callback_url", sa.Text(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("initial_import_finished", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_sync_start", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_sync_stop", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_expunge", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("failure_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("first_failure_at", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("sources_account_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sources_pkey")),
        sa.UniqueConstraint("account_id", "label", name=op.f("sources_account_id_label_key")),
    )
    op.create_index("sources_by_provider", "sources", ["provider_consumer_key"], unique=False)
    op.create_table(
        "callback_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("webhook_id", sa.Text(), nullable=False),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("consumer_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("source_label", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_expires", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_key"],
            ["api_clients.consumer_key"],
            name=op.f("callback_events_consumer_key_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("callback_events_source_id_fkey"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("callback_events_pkey")),
        sa.UniqueConstraint("webhook_id", name=op.f("callback_events_webhook_id_key")),
    )
    op.create_index("callback_events_due", "callback_events", ["state", "next_attempt_at"], unique=False)
    op.create_table(
        "files",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("body_section", sa.Text(), nullable=False),
        sa.Column("is_embedded", sa.BigInteger(), nullable=False),
        sa.Column("content_disposition", sa.Text(), nullable=True),
        sa.Column("content_id", sa.Text(), nullable=True),
        sa.Column("is_noise", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("files_message_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("files_pkey")),
    )
    op.create_index("files_by_message", "files", ["message_id"], unique=False)
    op.create_table(
        "folders",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("delimiter", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), server_default="[]", nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uidnext", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("highestmodseq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("synced_uid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("nb_messages", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("nb_unseen_messages", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("folders_source_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("folders_pkey")),
        sa.UniqueConstraint("source_id", "name", name=op.f("folders_source_id_name_key")),
    )
    op.create_table(
        "sync_jobs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="queued", nullable=False),
        sa.Column("queued_at", sa.BigInteger(), nullable=False),
        sa.Column("run_after", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_owner", sa.Text(), nullable=True),
        sa.Column("lease_expires", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("sync_jobs_source_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sync_jobs_pkey")),
    )
    op.create_index("sync_jobs_due", "sync_jobs", ["state", "run_after"], unique=False)
    op.create_index(
        "sync_jobs_one_queued_per_source",
        "sync_jobs",
        ["source_id"],
        unique=True,
        sqlite_where=sa.text("state = 'queued'"),
        postgresql_where=sa.text("state = 'queued'"),
    )
    op.create_table(
        "callback_attempts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempted_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.BigInteger(), nullable=True),
        sa.Column("latency_ms", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["callback_events.id"],
            name=op.f("callback_attempts_event_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("callback_attempts_pkey")),
    )
    op.create_table(
        "message_locations",
        sa.Column("folder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("flags", sa.Text(), server_default="[]", nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], name=op.f("message_locations_folder_id_fkey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("message_locations_message_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("folder_id", "uid", name=op.f("message_locations_pkey")),
        sqlite_with_rowid=False,
    )
    op.create_index("message_locations_by_message", "message_locations", ["message_id"], unique=False)


def downgrade() -> None:
    op.drop_index("message_locations_by_message", table_name="message_locations")
    op.drop_table("message_locations")
    op.drop_table("callback_attempts")
    op.drop_index(
        "sync_jobs_one_queued_per_source",
        table_name="sync_jobs",
        sqlite_where=sa.text("state = 'queued'"),
        postgresql_where=sa.text("state = 'queued'"),
    )
    op.drop_index("sync_jobs_due", table_name="sync_jobs")
    op.drop_table("sync_jobs")
    op.drop_table("folders")
    op.drop_index("files_by_message", table_name="files")
    op.drop_table("files")
    op.drop_index("callback_events_due", table_name="callback_events")
    op.drop_table("callback_events")
    op.drop_index("sources_by_provider", table_name="sources")
    op.drop_table("sources")
    op.drop_index("messages_by_date", table_name="messages")
    op.drop_table("messages")
    op.drop_index("connect_tokens_by_client", table_name="connect_tokens")
    op.drop_table("connect_tokens")
    op.drop_table("oauth_providers")
    op.drop_index("accounts_by_client", table_name="accounts")
    op.drop_table("accounts")
    op.drop_index("oauth_nonces_by_age", table_name="oauth_nonces")
    op.drop_table("oauth_nonces")
    op.drop_table("helper_users")
    op.drop_index("completed_syncs_by_source", table_name="completed_syncs")
    op.drop_table("completed_syncs")
    op.drop_table("api_clients")
