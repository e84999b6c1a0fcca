"""The mail index: folders, messages merged per account, where each lives, its files, its
addresses and its thread."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Table, Text, UniqueConstraint

from .base import RowId, integer_column, metadata, text_column

folders = Table(
    "folders",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("source_id", RowId, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    text_column("name"),
    text_column("delimiter", nullable=True),
    text_column("attributes", default="[]"),
    integer_column("uidvalidity", default=None, nullable=True),
    integer_column("uidnext", default=1),
    integer_column("highestmodseq"),
    integer_column("synced_uid"),
    integer_column("nb_messages"),
    integer_column("nb_unseen_messages"),
    UniqueConstraint("source_id", "name"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    text_column("dedupe_key"),
    text_column("email_message_id", nullable=True),
    text_column("gmail_message_id", nullable=True),
    text_column("gmail_thread_id", nullable=True),
    text_column("subject", default=""),
    integer_column("date", default=None),
    integer_column("date_received", default=None, nullable=True),
    integer_column("date_indexed", default=None),
    text_column("addresses"),
    text_column("in_reply_to", nullable=True),
    text_column("references", nullable=True),
    integer_column("size", default=None, nullable=True),
    # The conversation: Gmail's X-GM-THRID (hex) on Gmail; elsewhere Connect's own id for the
    # connected Message-ID / In-Reply-To / References graph (``thread_keys``).
    text_column("thread_id", nullable=True),
    # The message's answer as far as it is fixed once indexed, encoded (``message_shape``).
    text_column("shape", nullable=True),
    UniqueConstraint("account_id", "dedupe_key"),
    Index("messages_by_date", "account_id", "date"),
    Index("messages_by_thread", "account_id", "thread_id", "date"),  # a thread reads in date order
)

message_locations = Table(
    "message_locations",
    metadata,
    Column("folder_id", RowId, ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("uid", BigInteger, primary_key=True),
    Column("message_id", Text, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    text_column("flags", default="[]"),
    Index("message_locations_by_message", "message_id"),
    sqlite_with_rowid=False,
)

files = Table(
    "files",
    metadata,
    Column("id", Text, primary_key=True),
    Column("message_id", Text, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    text_column("file_name"),
    integer_column("size", default=None),
    text_column("type"),
    text_column("body_section"),
    integer_column("is_embedded", default=None),
    text_column("content_disposition", nullable=True),
    text_column("content_id", nullable=True),
    integer_column("is_noise"),
    Index("files_by_message", "message_id"),
)

# Who each message is from and to, one row per address and role: contacts are read from here
# with indexed lookups, not by parsing every message's addresses.
message_addresses = Table(
    "message_addresses",
    metadata,
    Column("message_id", Text, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("role", Text, primary_key=True),  # from, to, cc, bcc
    Column("email", Text, primary_key=True),  # lower-cased
    text_column("account_id"),
    text_column("name", default=""),
    integer_column("date", default=None),
    Index("message_addresses_by_contact", "account_id", "email", "date"),
)

# Every Message-ID an account's messages have or refer to, and the thread it belongs to: a new
# message joins (or merges) the threads of the ids it shares, whatever order they arrive in.
thread_keys = Table(
    "thread_keys",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("key", Text, primary_key=True),
    text_column("thread_id"),
    Index("thread_keys_by_thread", "account_id", "thread_id"),
)

# Each contact's counts, kept current as messages come and go: a page of contacts is read from
# here in index order, where an aggregate over message_addresses took ~200 ms at 100,000
# messages. Dates are NULL where there is none; sent_from_account counts messages one of the
# account's own addresses sent to the contact (rebuilt when those addresses change).
contacts = Table(
    "contacts",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("email", Text, primary_key=True),
    text_column("name", default=""),
    integer_column("name_date", default=None, nullable=True),
    integer_column("count"),
    integer_column("received_count"),
    integer_column("sent_count"),
    integer_column("sent_from_account_count"),
    integer_column("first_date", default=None, nullable=True),
    integer_column("last_date", default=None, nullable=True),
    integer_column("last_received", default=None, nullable=True),
    integer_column("last_sent", default=None, nullable=True),
    Index("contacts_by_count", "account_id", "count"),
)
