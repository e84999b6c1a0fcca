"""The work the workers do: sync jobs, heartbeats, IDLE holders, outbound callbacks and their
attempts, webhooks and the message events they fire on."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Table, Text, text

from .base import RowId, integer_column, metadata, text_column

sync_jobs = Table(
    "sync_jobs",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("source_id", RowId, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    text_column("reason"),
    text_column("state", default="queued"),
    integer_column("queued_at", default=None),
    integer_column("run_after", default=None),
    integer_column("attempts"),
    text_column("lease_owner", nullable=True),
    integer_column("lease_expires", default=None, nullable=True),
    integer_column("finished_at", default=None, nullable=True),
    text_column("error", nullable=True),
    integer_column("dispatched_at", default=None, nullable=True),
    # A push (IDLE) names the folder that changed: only it is synced. NULL: every folder.
    text_column("folder", nullable=True),
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

workers = Table(
    "workers",
    metadata,
    Column("name", Text, primary_key=True),
    integer_column("started", default=None),
    integer_column("heartbeat", default=None),
)

# Which worker holds IMAP IDLE on a source: exactly one at a time, taken over when its
# worker stops beating.
idle_holders = Table(
    "idle_holders",
    metadata,
    Column("source_id", RowId, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    text_column("owner"),
    integer_column("since", default=None),
    Index("idle_holders_by_owner", "owner"),
)

callback_events = Table(
    "callback_events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("webhook_id", Text, nullable=False, unique=True),
    Column("source_id", RowId, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("consumer_key", Text, ForeignKey("api_clients.consumer_key", ondelete="CASCADE"), nullable=False),
    text_column("account_id"),
    text_column("source_label"),
    text_column("url"),
    integer_column("timestamp", default=None),
    text_column("token"),
    text_column("state", default="pending"),
    integer_column("attempts"),
    integer_column("next_attempt_at", default=None),
    integer_column("lease_expires"),
    integer_column("created", default=None),
    integer_column("finished_at", default=None, nullable=True),
    text_column("last_error", nullable=True),
    integer_column("dispatched_at", default=None, nullable=True),
    # What the POST says: "sync_completed" (the body is the columns above) or "source_status"
    # (the body's other fields in ``payload``, JSON).
    text_column("kind", default="sync_completed"),
    text_column("payload", nullable=True),
    # The webhook a "webhook" event fires for: its failure is the webhook's (gone with it).
    Column("webhook", RowId, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=True),
    Index("callback_events_due", "state", "next_attempt_at"),
    Index("callback_events_in_flight", "consumer_key", "lease_expires"),
)

callback_attempts = Table(
    "callback_attempts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("event_id", RowId, ForeignKey("callback_events.id", ondelete="CASCADE"), nullable=False),
    integer_column("attempted_at", default=None),
    integer_column("status", default=None, nullable=True),
    integer_column("latency_ms", default=None),
    text_column("error", nullable=True),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("webhook_id", Text, nullable=False, unique=True),
    Column("consumer_key", Text, ForeignKey("api_clients.consumer_key", ondelete="CASCADE"), nullable=False),
    # NULL: an app-level webhook, for every account of the client, present and future.
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True),
    text_column("callback_url"),
    text_column("failure_notif_url", nullable=True),
    integer_column("active", default=1),
    integer_column("failure"),
    text_column("sync_period", default=""),
    text_column("filters", default="{}"),  # {"filter_to": "…", …}: only those that were set
    integer_column("include_body"),
    text_column("body_type", nullable=True),
    text_column("include_header", default="0"),  # "0", "1" (parsed) or "raw"
    integer_column("receive_drafts"),
    integer_column("receive_all_changes"),
    integer_column("receive_historical"),
    text_column("api_root"),  # the API's URL as the client called it: message_data's resource_urls
    integer_column("created", default=None),
    integer_column("resumed", default=None),  # events from before this moment are not sent
    Index("webhooks_by_client", "consumer_key", "account_id"),
)

# What the index saw happen to messages, written in the same transaction as the index itself
# and turned into webhook events right after: no change is lost between the two.
message_events = Table(
    "message_events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    text_column("message_id"),
    text_column("event"),  # message_new, message_changed, folder_added, folder_removed, historical
    text_column("folder", nullable=True),
    integer_column("created", default=None),
    text_column("snapshot", nullable=True),  # the message as it was, when the event removed it
    Index("message_events_by_account", "account_id", "id"),
)
