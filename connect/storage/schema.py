"""Every table, declared once for SQLite and PostgreSQL (SQLAlchemy Core).

The shapes are those the SQLite files in the field already have (``PRAGMA user_version`` 5),
so such a file is adopted by Alembic as it stands. Integers that hold IMAP numbers (UIDs,
UIDVALIDITY, MODSEQ) or epochs are 64-bit; flags are 0/1 integers, as the API serves them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)

NAMING = {
    "ix": "%(table_name)s_%(column_0_N_name)s_index",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite makes an INTEGER PRIMARY KEY the rowid (and so assigns it); PostgreSQL wants BIGINT.
RowId = BigInteger().with_variant(Integer(), "sqlite")


def _integer(name: str, *, default: int | None = 0, nullable: bool = False) -> Column:
    return Column(
        name,
        BigInteger,
        nullable=nullable,
        server_default=None if default is None else text(str(default)),
    )


def _text(name: str, *, default: str | None = None, nullable: bool = False) -> Column:
    return Column(name, Text, nullable=nullable, server_default=None if default is None else default)


completed_syncs = Table(
    "completed_syncs",
    metadata,
    Column("token", Text, primary_key=True),
    _text("account_id"),
    _text("source_label"),
    _integer("timestamp", default=None),
    _integer("received_at", default=None),
    _text("scheme"),
    _text("webhook_id", nullable=True),
    Index("completed_syncs_by_source", "account_id", "source_label"),
)

# Status callbacks the receiver took (the newest per source is that source's status).
received_statuses = Table(
    "received_statuses",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),  # the order they arrived in
    Column("token", Text, nullable=False, unique=True),
    _text("account_id"),
    _text("source_label"),
    _text("email"),
    _text("status"),
    _text("old_status"),
    _text("status_message", default=""),
    _integer("timestamp", default=None),
    _integer("received_at", default=None),
    _text("scheme"),
    Index("received_statuses_by_source", "account_id", "source_label", "timestamp"),
)

# Webhook callbacks the receiver took, once each by token.
received_webhooks = Table(
    "received_webhooks",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),  # the order they arrived in
    Column("token", Text, nullable=False, unique=True),
    _text("account_id"),
    _text("webhook_id"),
    _text("event"),
    _text("message_id"),
    _text("message_data"),  # JSON, as it came
    _integer("timestamp", default=None),
    _integer("received_at", default=None),
    _text("scheme"),
    Index("received_webhooks_by_account", "account_id", "id"),
)

api_clients = Table(
    "api_clients",
    metadata,
    Column("consumer_key", Text, primary_key=True),
    _text("name"),
    Column("consumer_secret", LargeBinary, nullable=False),
    _integer("created", default=None),
    # /app/status_callback_url: told of every status change of every source of this client.
    _text("status_callback_url", nullable=True),
)

oauth_nonces = Table(
    "oauth_nonces",
    metadata,
    Column("consumer_key", Text, primary_key=True),
    Column("nonce", Text, primary_key=True),
    _integer("timestamp", default=None),
    Index("oauth_nonces_by_age", "timestamp"),
    sqlite_with_rowid=False,
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("consumer_key", Text, ForeignKey("api_clients.consumer_key", ondelete="CASCADE"), nullable=False),
    _text("email"),
    _text("first_name", default=""),
    _text("last_name", default=""),
    _integer("created", default=None),
    _integer("suspended"),
    # The account's other addresses (``email_addresses``), JSON [{"email", "validated"}]: few,
    # and read with the account itself.
    _text("aliases", default="[]"),
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
    _text("type"),
    Column("provider_consumer_secret", LargeBinary, nullable=False),
    _integer("created", default=None),
)

sources = Table(
    "sources",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    _text("label"),
    _text("email"),
    _text("username"),
    _text("server"),
    _integer("port", default=None),
    _integer("use_ssl", default=None),
    _text("type", default="IMAP"),
    _text("authentication_type"),
    Column("password", LargeBinary),
    _text("provider_consumer_key", nullable=True),
    Column("provider_token", LargeBinary),
    Column("provider_token_secret", LargeBinary),
    Column("provider_refresh_token", LargeBinary),
    _text("status"),
    _text("status_message", default=""),
    _text("sync_period"),
    _integer("raw_file_list"),
    _integer("sync_all_folders"),
    _integer("sync_flags"),
    _integer("expunge_on_deleted_flag"),
    _text("callback_url", nullable=True),
    _text("status_callback_url", nullable=True),
    _integer("created", default=None),
    _integer("initial_import_finished"),
    _integer("last_sync_start"),
    _integer("last_sync_stop"),
    _integer("last_expunge"),
    _integer("failure_count"),
    _integer("first_failure_at"),
    # The initial sync's progress: messages its folders hold (from STATUS, up front) and indexed.
    _integer("initial_sync_total", default=None, nullable=True),
    _integer("initial_sync_indexed", default=None, nullable=True),
    UniqueConstraint("account_id", "label"),
    Index("sources_by_provider", "provider_consumer_key"),
)

sync_jobs = Table(
    "sync_jobs",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("source_id", RowId, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    _text("reason"),
    _text("state", default="queued"),
    _integer("queued_at", default=None),
    _integer("run_after", default=None),
    _integer("attempts"),
    _text("lease_owner", nullable=True),
    _integer("lease_expires", default=None, nullable=True),
    _integer("finished_at", default=None, nullable=True),
    _text("error", nullable=True),
    _integer("dispatched_at", default=None, nullable=True),
    # A push (IDLE) names the folder that changed: only it is synced. NULL: every folder.
    _text("folder", nullable=True),
    # One queued job per source; a running one may have a successor queued behind it.
    Index(
        "sync_jobs_one_queued_per_source",
        "source_id",
        unique=True,
        sqlite_where=text("state = 'queued'"),
        postgresql_where=text("state = 'queued'"),
    ),
    Index("sync_jobs_due", "state", "run_after"),
)

connect_tokens = Table(
    "connect_tokens",
    metadata,
    Column("token", Text, primary_key=True),
    Column("consumer_key", Text, ForeignKey("api_clients.consumer_key", ondelete="CASCADE"), nullable=False),
    _text("scope"),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE")),
    _text("source_label", nullable=True),
    _text("email", default=""),
    _text("first_name", default=""),
    _text("last_name", default=""),
    _text("callback_url"),
    _text("source_callback_url", nullable=True),
    _text("status_callback_url", nullable=True),
    _integer("source_sync_all_folders"),
    _integer("source_sync_flags"),
    _integer("source_raw_file_list"),
    _integer("created", default=None),
    _integer("used"),
    _integer("expires", default=None),
    Index("connect_tokens_by_client", "consumer_key", "created"),
)

folders = Table(
    "folders",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("source_id", RowId, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    _text("name"),
    _text("delimiter", nullable=True),
    _text("attributes", default="[]"),
    _integer("uidvalidity", default=None, nullable=True),
    _integer("uidnext", default=1),
    _integer("highestmodseq"),
    _integer("synced_uid"),
    _integer("nb_messages"),
    _integer("nb_unseen_messages"),
    UniqueConstraint("source_id", "name"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    _text("dedupe_key"),
    _text("email_message_id", nullable=True),
    _text("gmail_message_id", nullable=True),
    _text("gmail_thread_id", nullable=True),
    _text("subject", default=""),
    _integer("date", default=None),
    _integer("date_received", default=None, nullable=True),
    _integer("date_indexed", default=None),
    _text("addresses"),
    _text("in_reply_to", nullable=True),
    _text("references", nullable=True),
    _integer("size", default=None, nullable=True),
    # The conversation: Gmail's X-GM-THRID (hex) on Gmail; elsewhere Connect's own id for the
    # connected Message-ID / In-Reply-To / References graph (``thread_keys``).
    _text("thread_id", nullable=True),
    UniqueConstraint("account_id", "dedupe_key"),
    Index("messages_by_date", "account_id", "date"),
    Index("messages_by_thread", "account_id", "thread_id", "date"),  # a thread reads in date order
)

# Who each message is from and to, one row per address and role: contacts are read from here
# with indexed lookups, not by parsing every message's addresses.
message_addresses = Table(
    "message_addresses",
    metadata,
    Column("message_id", Text, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("role", Text, primary_key=True),  # from, to, cc, bcc
    Column("email", Text, primary_key=True),  # lower-cased
    _text("account_id"),
    _text("name", default=""),
    _integer("date", default=None),
    Index("message_addresses_by_contact", "account_id", "email", "date"),
)

# Every Message-ID an account's messages have or refer to, and the thread it belongs to: a new
# message joins (or merges) the threads of the ids it shares, whatever order they arrive in.
thread_keys = Table(
    "thread_keys",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("key", Text, primary_key=True),
    _text("thread_id"),
    Index("thread_keys_by_thread", "account_id", "thread_id"),
)

message_locations = Table(
    "message_locations",
    metadata,
    Column("folder_id", RowId, ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("uid", BigInteger, primary_key=True),
    Column("message_id", Text, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    _text("flags", default="[]"),
    Index("message_locations_by_message", "message_id"),
    sqlite_with_rowid=False,
)

files = Table(
    "files",
    metadata,
    Column("id", Text, primary_key=True),
    Column("message_id", Text, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    _text("file_name"),
    _integer("size", default=None),
    _text("type"),
    _text("body_section"),
    _integer("is_embedded", default=None),
    _text("content_disposition", nullable=True),
    _text("content_id", nullable=True),
    _integer("is_noise"),
    Index("files_by_message", "message_id"),
)

callback_events = Table(
    "callback_events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("webhook_id", Text, nullable=False, unique=True),
    Column("source_id", RowId, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("consumer_key", Text, ForeignKey("api_clients.consumer_key", ondelete="CASCADE"), nullable=False),
    _text("account_id"),
    _text("source_label"),
    _text("url"),
    _integer("timestamp", default=None),
    _text("token"),
    _text("state", default="pending"),
    _integer("attempts"),
    _integer("next_attempt_at", default=None),
    _integer("lease_expires"),
    _integer("created", default=None),
    _integer("finished_at", default=None, nullable=True),
    _text("last_error", nullable=True),
    _integer("dispatched_at", default=None, nullable=True),
    # What the POST says: "sync_completed" (the body is the columns above) or "source_status"
    # (the body's other fields in ``payload``, JSON).
    _text("kind", default="sync_completed"),
    _text("payload", nullable=True),
    # The webhook a "webhook" event fires for: its failure is the webhook's (gone with it).
    Column("webhook", RowId, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=True),
    Index("callback_events_due", "state", "next_attempt_at"),
    Index("callback_events_in_flight", "consumer_key", "lease_expires"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("webhook_id", Text, nullable=False, unique=True),
    Column("consumer_key", Text, ForeignKey("api_clients.consumer_key", ondelete="CASCADE"), nullable=False),
    # NULL: an app-level webhook, for every account of the client, present and future.
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True),
    _text("callback_url"),
    _text("failure_notif_url", nullable=True),
    _integer("active", default=1),
    _integer("failure"),
    _text("sync_period", default=""),
    _text("filters", default="{}"),  # {"filter_to": "…", …}: only those that were set
    _integer("include_body"),
    _text("body_type", nullable=True),
    _text("include_header", default="0"),  # "0", "1" (parsed) or "raw"
    _integer("receive_drafts"),
    _integer("receive_all_changes"),
    _integer("receive_historical"),
    _text("api_root"),  # the API's URL as the client called it: message_data's resource_urls
    _integer("created", default=None),
    _integer("resumed", default=None),  # events from before this moment are not sent
    Index("webhooks_by_client", "consumer_key", "account_id"),
)

# What the index saw happen to messages, written in the same transaction as the index itself
# and turned into webhook events right after: no change is lost between the two.
message_events = Table(
    "message_events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    _text("message_id"),
    _text("event"),  # message_new, message_changed, folder_added, folder_removed, historical
    _text("folder", nullable=True),
    _integer("created", default=None),
    _text("snapshot", nullable=True),  # the message as it was, when the event removed it
    Index("message_events_by_account", "account_id", "id"),
)

# Which worker holds IMAP IDLE on a source: exactly one at a time, taken over when its
# worker stops beating.
idle_holders = Table(
    "idle_holders",
    metadata,
    Column("source_id", RowId, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    _text("owner"),
    _integer("since", default=None),
    Index("idle_holders_by_owner", "owner"),
)

callback_attempts = Table(
    "callback_attempts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("event_id", RowId, ForeignKey("callback_events.id", ondelete="CASCADE"), nullable=False),
    _integer("attempted_at", default=None),
    _integer("status", default=None, nullable=True),
    _integer("latency_ms", default=None),
    _text("error", nullable=True),
)

helper_users = Table(
    "helper_users",
    metadata,
    Column("user_id", Text, primary_key=True),
    _text("account_id"),
    _integer("created", default=None),
)

workers = Table(
    "workers",
    metadata,
    Column("name", Text, primary_key=True),
    _integer("started", default=None),
    _integer("heartbeat", default=None),
)

settings = Table(
    "settings",
    metadata,
    Column("name", Text, primary_key=True),
    _text("value"),
)
