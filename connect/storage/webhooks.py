"""Webhooks, the message events the index records for them, and the webhook callbacks those
events become.

Message events are an outbox: the index writes them in the transaction that changes the
messages, and only while the account has a live webhook (events from before a webhook existed
are never sent). The domain turns them into callback events and deletes them in one
transaction; a second worker doing the same at once finds them gone and sends nothing twice.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, exists, func, literal, or_, select, update

from .database import Database
from .mail import LOCATIONS
from .schema import (
    accounts,
    callback_events,
    files,
    folders,
    message_events,
    message_locations,
    messages,
    sources,
)
from .schema import webhooks as webhooks_table
from .statements import Prepared

WEBHOOK_KIND = "webhook"
FAILURE_KIND = "webhook_failure"


def insert_webhook(database: Database, webhook: dict[str, Any]) -> dict[str, Any]:
    with database.transaction() as connection:
        connection.execute(webhooks_table.insert(), webhook)
        row = connection.execute(
            select(webhooks_table).where(webhooks_table.c.webhook_id == webhook["webhook_id"])
        ).first()
    return dict(row._mapping)


def _scope(consumer_key: str, account_id: str | None):
    return and_(
        webhooks_table.c.consumer_key == consumer_key,
        webhooks_table.c.account_id.is_(None)
        if account_id is None
        else webhooks_table.c.account_id == account_id,
    )


def webhooks_of(database: Database, consumer_key: str, account_id: str | None) -> list[dict[str, Any]]:
    """An account's webhooks, or (``account_id`` None) the client's app-level ones."""
    return database.rows(
        select(webhooks_table).where(_scope(consumer_key, account_id)).order_by(webhooks_table.c.id)
    )


def webhook(
    database: Database, consumer_key: str, account_id: str | None, webhook_id: str
) -> dict[str, Any] | None:
    return database.first(
        select(webhooks_table).where(
            _scope(consumer_key, account_id), webhooks_table.c.webhook_id == webhook_id
        )
    )


def update_webhook(database: Database, row_id: int, changes: dict[str, Any]) -> None:
    if changes:
        database.write(update(webhooks_table).where(webhooks_table.c.id == row_id).values(**changes))


def delete_webhook(database: Database, row_id: int) -> None:
    database.write(delete(webhooks_table).where(webhooks_table.c.id == row_id))


def _live_webhooks_of(account_id):
    """Active webhooks of the account: its own and its client's app-level ones."""
    client = select(accounts.c.consumer_key).where(accounts.c.id == account_id).scalar_subquery()
    return select(webhooks_table).where(
        webhooks_table.c.active == 1,
        or_(
            webhooks_table.c.account_id == account_id,
            and_(webhooks_table.c.account_id.is_(None), webhooks_table.c.consumer_key == client),
        ),
    )


def live_webhooks(database: Database, account_id: str) -> list[dict[str, Any]]:
    return database.rows(_live_webhooks_of(account_id).order_by(webhooks_table.c.id))


def is_watched(connection: Connection, account_id: str) -> bool:
    """Whether any active webhook would see this account's events (else none is recorded)."""
    return connection.execute(select(exists(_live_webhooks_of(account_id)))).scalar()


def record_message_events(connection: Connection, account_id: str, events: list[dict[str, Any]]) -> None:
    """Inside the index's transaction: what just happened to the account's messages."""
    if events:
        connection.execute(message_events.insert(), [{**event, "account_id": account_id} for event in events])


def record_historical(connection: Connection, source_id: int, now: int) -> None:
    """A source's first sync is done: if an app-level webhook asked for the past
    (``receive_historical``), one event per message it brought to the account (a message
    another source of the account brought before is not the past of this one)."""
    source = connection.execute(
        select(sources.c.account_id, accounts.c.consumer_key)
        .select_from(sources.join(accounts, accounts.c.id == sources.c.account_id))
        .where(sources.c.id == source_id)
    ).first()
    wanted = select(webhooks_table.c.id).where(
        webhooks_table.c.consumer_key == source.consumer_key,
        webhooks_table.c.account_id.is_(None),
        webhooks_table.c.active == 1,
        webhooks_table.c.receive_historical == 1,
    )
    if not connection.execute(select(exists(wanted))).scalar():
        return
    here = select(folders.c.id).where(folders.c.source_id == source_id)
    earlier = (
        select(message_locations.c.message_id)
        .join(folders, folders.c.id == message_locations.c.folder_id)
        .join(sources, sources.c.id == folders.c.source_id)
        .where(
            sources.c.account_id == source.account_id,
            sources.c.id != source_id,
            sources.c.initial_import_finished == 1,
        )
    )
    past = (
        select(
            literal(source.account_id),
            message_locations.c.message_id,
            literal("historical"),
            func.min(folders.c.name),
            literal(now),
        )
        .join(folders, folders.c.id == message_locations.c.folder_id)
        .where(message_locations.c.folder_id.in_(here), message_locations.c.message_id.not_in(earlier))
        .group_by(message_locations.c.message_id)
    )
    connection.execute(
        message_events.insert().from_select(["account_id", "message_id", "event", "folder", "created"], past)
    )


def snapshot(connection: Connection, message_ids: list[str]) -> dict[str, str]:
    """Messages about to leave the index, as JSON, so their last event can still describe them."""
    if not message_ids:
        return {}
    found = {
        row.id: {**row._mapping, "locations": [], "files": []}
        for row in connection.execute(select(messages).where(messages.c.id.in_(message_ids)))
    }
    for row in connection.execute(LOCATIONS.where(message_locations.c.message_id.in_(list(found)))):
        found[row.message_id]["locations"].append(dict(row._mapping))
    for row in connection.execute(select(files).where(files.c.message_id.in_(list(found)))):
        found[row.message_id]["files"].append(dict(row._mapping))
    return {message_id: json.dumps(message) for message_id, message in found.items()}


_PENDING_EVENTS = Prepared(select(message_events).order_by(message_events.c.id).limit(bindparam("limit")))


def pending_message_events(database: Database, limit: int) -> list[dict[str, Any]]:
    """Every sync asks, most often to hear there are none: a statement built once."""
    return database.rows(_PENDING_EVENTS, {"limit": limit})


_TAKE = delete(message_events).where(message_events.c.id.in_(bindparam("ids", expanding=True)))


def take_message_events(database: Database, event_ids: list[int], callbacks: list[dict[str, Any]]) -> int:
    """Delete the events and queue the callbacks of those this caller deleted (another worker
    may have taken some meanwhile: it queues theirs); how many callbacks were queued."""
    if not event_ids:
        return 0
    with database.transaction() as connection:
        taken = {
            row.id for row in connection.execute(_TAKE.returning(message_events.c.id), {"ids": event_ids})
        }
        mine = [
            {key: value for key, value in callback.items() if key != "event"}
            for callback in callbacks
            if callback["event"] in taken
        ]
        if mine:
            connection.execute(callback_events.insert(), mine)
    return len(mine)


def mark_webhook_failed(connection: Connection, row_id: int, reason: str, now: int) -> None:
    """``failure`` on, ``active`` off, and one notice to ``failure_notif_url`` if it has one."""
    hook = connection.execute(
        select(webhooks_table)
        .where(webhooks_table.c.id == row_id, webhooks_table.c.failure == 0)
        .with_for_update(of=webhooks_table)
    ).first()
    if hook is None:
        return  # gone, or failed already: told once
    connection.execute(
        update(webhooks_table).where(webhooks_table.c.id == row_id).values(failure=1, active=0)
    )
    if hook.failure_notif_url:
        connection.execute(
            callback_events.insert(),
            {
                "kind": FAILURE_KIND,
                "webhook_id": f"msg_{secrets.token_hex(16)}",
                "consumer_key": hook.consumer_key,
                "account_id": hook.account_id or "",
                "source_label": "",
                "url": hook.failure_notif_url,
                "timestamp": now,
                "token": secrets.token_hex(16),
                "next_attempt_at": now,
                "created": now,
                "payload": json.dumps(
                    {"account_id": hook.account_id, "webhook_id": hook.webhook_id, "data": reason}
                ),
            },
        )


def fail_account_webhooks(connection: Connection, account_id: str, reason: str, now: int) -> None:
    """A mailbox of the account is lastingly unreachable: its own webhooks fail (app-level
    ones, serving every account, do not)."""
    rows = connection.execute(
        select(webhooks_table.c.id).where(
            webhooks_table.c.account_id == account_id, webhooks_table.c.failure == 0
        )
    )
    for row in list(rows):
        mark_webhook_failed(connection, row.id, reason, now)
