"""Threads: the conversations of an account's merged data set (``contextio-2.0-more.md`` §3).

A thread is addressed ``gm-<hex>`` (Gmail's thread id on Gmail, Connect's elsewhere); the
index keeps each message's thread, so reading one is a lookup, not a walk of the headers.
"""

from __future__ import annotations

from typing import Any

from .. import storage
from .errors import NotFound
from .mail import MailFilters, find_message, with_locations_and_files
from .tenant import Tenant

MAX_THREADS = 100
MAX_THREAD_MESSAGES = 100


def thread_id_of(path_id: str) -> str:
    """The stored id of a thread as a URL names it (``gm-`` prefix or not, any case)."""
    return path_id.removeprefix("gm-").removeprefix("GM-").lower()


def thread_message_ids(tenant: Tenant, account_id: str, thread_id: str) -> list[str]:
    """Every message of the thread, oldest first (for writes that apply to each)."""
    rows = storage.thread_messages(tenant.database, account_id, thread_id_of(thread_id))
    if not rows:
        raise NotFound(f"thread {thread_id} not found in account {account_id}")
    return [row["id"] for row in rows]


def list_threads(
    tenant: Tenant,
    account_id: str,
    filters: MailFilters,
    started_before: int | None = None,
    started_after: int | None = None,
) -> list[str]:
    return storage.find_threads(tenant.database, account_id, filters, started_before, started_after)


def find_thread(
    tenant: Tenant, account_id: str, thread_id: str, limit: int = MAX_THREAD_MESSAGES, offset: int = 0
) -> dict[str, Any]:
    """The thread and a page of its messages, oldest first; the whole thread's size."""
    stored = thread_id_of(thread_id)
    size = storage.thread_sizes(tenant.database, account_id, [stored]).get(stored, 0)
    if not size:
        raise NotFound(f"thread {thread_id} not found in account {account_id}")
    rows = storage.thread_messages(tenant.database, account_id, stored, limit, offset)
    if not rows:  # past the end: the client still gets the thread, with its first message
        rows = storage.thread_messages(tenant.database, account_id, stored, 1, 0)
    return {"id": stored, "size": size, "messages": with_locations_and_files(tenant, rows)}


def thread_of_message(
    tenant: Tenant, account_id: str, message_id: str, limit: int = MAX_THREAD_MESSAGES, offset: int = 0
) -> dict[str, Any]:
    message = find_message(tenant, account_id, message_id)
    return find_thread(tenant, account_id, message["thread_id"], limit, offset)


def with_thread_sizes(
    tenant: Tenant, account_id: str, messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``thread_size`` on each message (``include_thread_size=1``), in one query."""
    threads = [message["thread_id"] for message in messages if message["thread_id"]]
    sizes = storage.thread_sizes(tenant.database, account_id, threads)
    return [{**message, "thread_size": sizes.get(message["thread_id"], 1)} for message in messages]
