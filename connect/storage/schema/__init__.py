"""Every table, declared once for SQLite and PostgreSQL (SQLAlchemy Core), one module per
part of the store; all on one ``metadata``.

The shapes are those the SQLite files in the field already have (``PRAGMA user_version`` 5),
so such a file is adopted by Alembic as it stands. Integers that hold IMAP numbers (UIDs,
UIDVALIDITY, MODSEQ) or epochs are 64-bit; flags are 0/1 integers, as the API serves them.
"""

from .accounts import accounts, api_clients, connect_tokens, oauth_nonces, oauth_providers, settings, sources
from .base import NAMING, RowId, metadata
from .mail import contacts, files, folders, message_addresses, message_locations, messages, thread_keys
from .received import completed_syncs, helper_users, received_statuses, received_webhooks
from .work import (
    callback_attempts,
    callback_events,
    idle_holders,
    message_events,
    sync_jobs,
    webhooks,
    workers,
)

__all__ = [
    "NAMING",
    "RowId",
    "accounts",
    "api_clients",
    "callback_attempts",
    "callback_events",
    "completed_syncs",
    "connect_tokens",
    "contacts",
    "files",
    "folders",
    "helper_users",
    "idle_holders",
    "message_addresses",
    "message_events",
    "message_locations",
    "messages",
    "metadata",
    "oauth_nonces",
    "oauth_providers",
    "received_statuses",
    "received_webhooks",
    "settings",
    "sources",
    "sync_jobs",
    "thread_keys",
    "webhooks",
    "workers",
]
