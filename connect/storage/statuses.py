"""A source's status, changed in one place: the change and the status callbacks it owes are
stored in one transaction, so no change goes untold and none is told twice."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from sqlalchemy import Connection, select, update

from .contacts import keeping_contacts
from .database import Database
from .schema import accounts, api_clients, callback_events, sources
from .webhooks import fail_account_webhooks

KIND = "source_status"
# Statuses the engine stops retrying on: the account's webhooks fail with them (§1.6).
LASTING_FAILURES = ("INVALID_CREDENTIALS", "TEMP_DISABLED", "NO_ACCESS_TO_ALL_MAIL")


def change_source(
    connection: Connection, source_id: int, values: dict[str, Any], now: int, old: str | None = None
) -> str | None:
    """Apply ``values`` to the source inside the caller's transaction; when they change its
    ``status``, queue a status callback for each URL that asked. The status it had before
    (``old``, when the caller read it already under the same lock)."""
    if old is None:
        old = connection.execute(
            select(sources.c.status).where(sources.c.id == source_id).with_for_update()
        ).scalar()
    if old is None:
        return None
    if values:
        connection.execute(update(sources).where(sources.c.id == source_id).values(**values))
    new = values.get("status")
    if new is not None and new != old:
        _queue_status_callbacks(connection, source_id, old, now)
        if new in LASTING_FAILURES:
            _fail_webhooks(connection, source_id, new, now)
    return old


def _fail_webhooks(connection: Connection, source_id: int, status: str, now: int) -> None:
    columns = (sources.c.account_id, sources.c.label, sources.c.status_message)
    row = connection.execute(select(*columns).where(sources.c.id == source_id)).first()
    reason = f"source {row.label} is {status}: {row.status_message}"
    fail_account_webhooks(connection, row.account_id, reason, now)


def update_source(
    database: Database, source_id: int, changes: dict[str, Any], now: int | None = None
) -> None:
    if not changes:
        return
    now = int(time.time()) if now is None else now
    with database.transaction() as connection:
        if {"email", "username"} & changes.keys():  # the account's own addresses may change
            account_id = connection.scalar(select(sources.c.account_id).where(sources.c.id == source_id))
            with keeping_contacts(connection, account_id):
                change_source(connection, source_id, changes, now)
        else:
            change_source(connection, source_id, changes, now)


def _queue_status_callbacks(connection: Connection, source_id: int, old_status: str, now: int) -> None:
    source = connection.execute(
        select(
            sources.c.label,
            sources.c.email,
            sources.c.status,
            sources.c.status_message,
            sources.c.status_callback_url,
            accounts.c.id.label("account_id"),
            accounts.c.consumer_key,
            api_clients.c.status_callback_url.label("app_status_callback_url"),
        )
        .select_from(
            sources.join(accounts, accounts.c.id == sources.c.account_id).join(
                api_clients, api_clients.c.consumer_key == accounts.c.consumer_key
            )
        )
        .where(sources.c.id == source_id)
    ).first()
    urls = dict.fromkeys(url for url in (source.status_callback_url, source.app_status_callback_url) if url)
    payload = json.dumps(
        {
            "account_id": source.account_id,
            "source_label": source.label,
            "email": source.email,
            "status": source.status,
            "old_status": old_status,
            "status_message": source.status_message,
        }
    )
    for url in urls:
        connection.execute(
            callback_events.insert(),
            {
                "kind": KIND,
                "webhook_id": f"msg_{secrets.token_hex(16)}",
                "source_id": source_id,
                "consumer_key": source.consumer_key,
                "account_id": source.account_id,
                "source_label": source.label,
                "url": url,
                "timestamp": now,
                "token": secrets.token_hex(16),
                "next_attempt_at": now,
                "created": now,
                "payload": payload,
            },
        )
