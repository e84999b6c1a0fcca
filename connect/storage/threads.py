"""Threads, kept at index time: a conversation is the connected part of the graph of
Message-IDs that messages have and refer to (``In-Reply-To``, ``References``), across folders
and sources; on Gmail it is Gmail's own thread (``X-GM-THRID``).

Each id a message has or names is a key in ``thread_keys``; a new message joins the thread of
any key it shares, and merges threads it links, whichever order the messages arrive in. So a
thread is one indexed lookup, never a graph walk at read time.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from .database import Database
from .dialect import upsert
from .mail import MailFilters, clauses, run
from .schema import messages, thread_keys
from .statements import InList, Prepared, execute_many, run_on_driver

MAX_KEYS = 100  # a References header longer than this is trusted for its last (nearest) ids
MAX_KEY_LENGTH = 998  # a header line's limit: anything longer is not a Message-ID


def message_keys(record: dict[str, Any]) -> list[str]:
    """The Message-IDs that tie a message to its conversation: its own and those it names."""
    named = (record.get("references") or "").split() + [record.get("in_reply_to") or ""]
    keys = [record.get("email_message_id") or ""] + named[-MAX_KEYS:]
    return list(dict.fromkeys(key for key in keys if key and len(key) <= MAX_KEY_LENGTH))


def new_thread_id() -> str:
    """64 random bits in lowercase hex: the shape of a Gmail thread id."""
    return secrets.token_hex(8)


class _Threads:
    """Union-find over thread ids for one batch; ``gmail`` ids win a merge (a thread holding
    any Gmail message takes that Gmail id)."""

    def __init__(self, known: dict[str, str], gmail: set[str]) -> None:
        self.known, self.gmail, self.parent = known, gmail, {}

    def find(self, thread_id: str) -> str:
        while thread_id in self.parent:
            thread_id = self.parent[thread_id]
        return thread_id

    def join(self, keys: list[str], own: str | None) -> str:
        found = {self.find(self.known[key]) for key in keys if key in self.known}
        if own:
            self.gmail.add(own)
            found.add(self.find(own))
        if not found:
            chosen = new_thread_id()
        else:
            chosen = min(found, key=lambda thread_id: (thread_id not in self.gmail, thread_id))
            for other in found - {chosen}:
                self.parent[other] = chosen
        for key in keys:
            self.known[key] = chosen
        return chosen

    def merges(self) -> dict[str, str]:
        return {old: self.find(old) for old in self.parent}


_THREADS_OF_KEYS = Prepared(
    select(thread_keys.c.key, thread_keys.c.thread_id).where(
        thread_keys.c.account_id == bindparam("account_id"), InList(thread_keys.c.key, "keys")
    ),
    planned_each_run=True,  # see ``Prepared``
)


def assign_threads(connection: Connection, account_id: str, records: list[dict[str, Any]]) -> None:
    """Set ``thread_id`` on each record new to the account (inside the index's transaction),
    joining, merging and recording threads as the keys say."""
    if not records:
        return
    keys_of = [message_keys(record) for record in records]
    wanted = list(dict.fromkeys(key for keys in keys_of for key in keys))
    rows = run_on_driver(connection, _THREADS_OF_KEYS, {"account_id": account_id, "keys": wanted})
    known = {row["key"]: row["thread_id"] for row in rows}
    threads = _Threads(known, _gmail_threads(connection, account_id, set(known.values())))
    for record, keys in zip(records, keys_of, strict=True):
        record["thread_id"] = threads.join(keys, record.get("gmail_thread_id"))
    merges = threads.merges()
    for record in records:
        record["thread_id"] = threads.find(record["thread_id"])
    # The batch's own keys: those of merged threads already stored are moved by the merges.
    keys = {key: threads.find(threads.known[key]) for message_keys_ in keys_of for key in message_keys_}
    _write(connection, account_id, merges, keys)


def _gmail_threads(connection: Connection, account_id: str, thread_ids: set[str]) -> set[str]:
    """Which of these threads hold a Gmail message (only asked when there is a choice)."""
    if len(thread_ids) < 2:
        return set()
    rows = connection.execute(
        select(messages.c.thread_id)
        .where(
            messages.c.account_id == account_id,
            messages.c.thread_id.in_(sorted(thread_ids)),
            messages.c.gmail_thread_id.is_not(None),
        )
        .distinct()
    )
    return {row.thread_id for row in rows}


def _write(connection: Connection, account_id: str, merges: dict[str, str], keys: dict[str, str]) -> None:
    if merges:
        rows = [{"b_account": account_id, "b_old": old, "b_new": new} for old, new in merges.items()]
        for table in (messages, thread_keys):
            connection.execute(
                update(table)
                .where(table.c.account_id == bindparam("b_account"), table.c.thread_id == bindparam("b_old"))
                .values(thread_id=bindparam("b_new")),
                rows,
            )
    if keys:
        rows = [{"account_id": account_id, "key": key, "thread_id": tid} for key, tid in keys.items()]
        execute_many(connection, upsert(connection, thread_keys, ["account_id", "key"], ["thread_id"]), rows)


def thread_existing_messages(connection: Connection) -> None:
    """Give every message already indexed its thread (the schema upgrade that adds threads),
    account by account, oldest first as the index saw them."""
    accounts = [row[0] for row in connection.execute(select(messages.c.account_id).distinct())]
    columns = (
        messages.c.id, messages.c.email_message_id, messages.c.in_reply_to, messages.c.references,
        messages.c.gmail_thread_id,
    )  # fmt: skip
    for account_id in accounts:
        rows = [
            dict(row._mapping)
            for row in connection.execute(
                select(*columns)
                .where(messages.c.account_id == account_id)
                .order_by(messages.c.date_indexed, messages.c.id)
            )
        ]
        assign_threads(connection, account_id, rows)
        connection.execute(
            update(messages)
            .where(messages.c.id == bindparam("b_id"))
            .values(thread_id=bindparam("b_thread")),
            [{"b_id": row["id"], "b_thread": row["thread_id"]} for row in rows],
        )


def find_threads(
    database: Database,
    account_id: str,
    filters: MailFilters,
    started_before: int | None = None,
    started_after: int | None = None,
) -> list[str]:
    """The ids of the threads holding a message that passes ``filters``, newest activity
    first; ``started_*`` bound the date of each thread's first message."""
    earliest = messages.alias("earliest")
    first = (
        select(func.min(earliest.c.date))
        .where(earliest.c.account_id == account_id, earliest.c.thread_id == messages.c.thread_id)
        .scalar_subquery()
    )
    active = func.max(messages.c.date)
    where = [messages.c.account_id == account_id, messages.c.thread_id.is_not(None)]
    where += clauses(database, filters)
    query = select(messages.c.thread_id).where(*where).group_by(messages.c.thread_id)
    if started_before is not None:
        query = query.having(first < started_before)  # thread_id is grouped on: this is per thread
    if started_after is not None:
        query = query.having(first > started_after)
    query = query.order_by(active.desc(), messages.c.thread_id).limit(filters.limit).offset(filters.offset)
    return [row["thread_id"] for row in run(database, query)]


def thread_messages(
    database: Database, account_id: str, thread_id: str, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """A thread's messages, oldest first."""
    query = (
        select(messages)
        .where(messages.c.account_id == account_id, messages.c.thread_id == thread_id)
        .order_by(messages.c.date, messages.c.id)
        .limit(limit)
        .offset(offset)
    )
    return database.rows(query)


def thread_sizes(database: Database, account_id: str, thread_ids: list[str]) -> dict[str, int]:
    if not thread_ids:
        return {}
    rows = database.rows(
        select(messages.c.thread_id, func.count().label("size"))
        .where(messages.c.account_id == account_id, messages.c.thread_id.in_(sorted(set(thread_ids))))
        .group_by(messages.c.thread_id)
    )
    return {row["thread_id"]: row["size"] for row in rows}
