"""What the connect helper and the callback receiver keep: completed syncs, the status and
webhook callbacks taken, and which account holds each host user's mailboxes."""

from __future__ import annotations

from sqlalchemy import Column, Index, Table, Text

from .base import RowId, integer_column, metadata, text_column

completed_syncs = Table(
    "completed_syncs",
    metadata,
    Column("token", Text, primary_key=True),
    text_column("account_id"),
    text_column("source_label"),
    integer_column("timestamp", default=None),
    integer_column("received_at", default=None),
    text_column("scheme"),
    text_column("webhook_id", nullable=True),
    Index("completed_syncs_by_source", "account_id", "source_label"),
)

# Status callbacks the receiver took (the newest per source is that source's status).
received_statuses = Table(
    "received_statuses",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),  # the order they arrived in
    Column("token", Text, nullable=False, unique=True),
    text_column("account_id"),
    text_column("source_label"),
    text_column("email"),
    text_column("status"),
    text_column("old_status"),
    text_column("status_message", default=""),
    integer_column("timestamp", default=None),
    integer_column("received_at", default=None),
    text_column("scheme"),
    Index("received_statuses_by_source", "account_id", "source_label", "timestamp"),
)

# Webhook callbacks the receiver took, once each by token.
received_webhooks = Table(
    "received_webhooks",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),  # the order they arrived in
    Column("token", Text, nullable=False, unique=True),
    text_column("account_id"),
    text_column("webhook_id"),
    text_column("event"),
    text_column("message_id"),
    text_column("message_data"),  # JSON, as it came
    integer_column("timestamp", default=None),
    integer_column("received_at", default=None),
    text_column("scheme"),
    Index("received_webhooks_by_account", "account_id", "id"),
)

helper_users = Table(
    "helper_users",
    metadata,
    Column("user_id", Text, primary_key=True),
    text_column("account_id"),
    integer_column("created", default=None),
)
