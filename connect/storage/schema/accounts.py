"""API clients, accounts and their sources, OAuth providers, connect tokens, settings."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, Table, Text, UniqueConstraint

from .base import RowId, integer_column, metadata, text_column

api_clients = Table(
    "api_clients",
    metadata,
    Column("consumer_key", Text, primary_key=True),
    text_column("name"),
    Column("consumer_secret", LargeBinary, nullable=False),
    integer_column("created", default=None),
    # /app/status_callback_url: told of every status change of every source of this client.
    text_column("status_callback_url", nullable=True),
)

oauth_nonces = Table(
    "oauth_nonces",
    metadata,
    Column("consumer_key", Text, primary_key=True),
    Column("nonce", Text, primary_key=True),
    integer_column("timestamp", default=None),
    Index("oauth_nonces_by_age", "timestamp"),
    sqlite_with_rowid=False,
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("consumer_key", Text, ForeignKey("api_clients.consumer_key", ondelete="CASCADE"), nullable=False),
    text_column("email"),
    text_column("first_name", default=""),
    text_column("last_name", default=""),
    integer_column("created", default=None),
    integer_column("suspended"),
    # The account's other addresses (``email_addresses``), JSON [{"email", "validated"}]: few,
    # and read with the account itself.
    text_column("aliases", default="[]"),
    Index("accounts_by_client", "consumer_key", "created"),
)

oauth_providers = Table(
    "oauth_providers",
    metadata,
    Column(
        "consumer_key",
        Text,
        ForeignKey("api_clients.consumer_key", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("provider_consumer_key", Text, primary_key=True),
    text_column("type"),
    Column("provider_consumer_secret", LargeBinary, nullable=False),
    integer_column("created", default=None),
)

sources = Table(
    "sources",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    text_column("label"),
    text_column("email"),
    text_column("username"),
    text_column("server"),
    integer_column("port", default=None),
    integer_column("use_ssl", default=None),
    text_column("type", default="IMAP"),
    text_column("authentication_type"),
    Column("password", LargeBinary),
    text_column("provider_consumer_key", nullable=True),
    Column("provider_token", LargeBinary),
    Column("provider_token_secret", LargeBinary),
    Column("provider_refresh_token", LargeBinary),
    text_column("status"),
    text_column("status_message", default=""),
    text_column("sync_period"),
    integer_column("raw_file_list"),
    integer_column("sync_all_folders"),
    integer_column("sync_flags"),
    integer_column("expunge_on_deleted_flag"),
    text_column("callback_url", nullable=True),
    text_column("status_callback_url", nullable=True),
    integer_column("created", default=None),
    integer_column("initial_import_finished"),
    integer_column("last_sync_start"),
    integer_column("last_sync_stop"),
    integer_column("last_expunge"),
    integer_column("failure_count"),
    integer_column("first_failure_at"),
    # The initial sync's progress: messages its folders hold (from STATUS, up front) and indexed.
    integer_column("initial_sync_total", default=None, nullable=True),
    integer_column("initial_sync_indexed", default=None, nullable=True),
    UniqueConstraint("account_id", "label"),
    Index("sources_by_provider", "provider_consumer_key"),
)

connect_tokens = Table(
    "connect_tokens",
    metadata,
    Column("token", Text, primary_key=True),
    Column("consumer_key", Text, ForeignKey("api_clients.consumer_key", ondelete="CASCADE"), nullable=False),
    text_column("scope"),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE")),
    text_column("source_label", nullable=True),
    text_column("email", default=""),
    text_column("first_name", default=""),
    text_column("last_name", default=""),
    text_column("callback_url"),
    text_column("source_callback_url", nullable=True),
    text_column("status_callback_url", nullable=True),
    integer_column("source_sync_all_folders"),
    integer_column("source_sync_flags"),
    integer_column("source_raw_file_list"),
    integer_column("created", default=None),
    integer_column("used"),
    integer_column("expires", default=None),
    Index("connect_tokens_by_client", "consumer_key", "created"),
)

settings = Table(
    "settings",
    metadata,
    Column("name", Text, primary_key=True),
    text_column("value"),
)
