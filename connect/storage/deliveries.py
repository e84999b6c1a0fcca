"""Outbound callbacks: each event, its delivery attempts, and the lease that keeps two senders
off one event — and off two events of the same API client at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text, update

from .database import Database
from .schema import callback_attempts, callback_events
from .statements import Prepared
from .webhooks import mark_webhook_failed

_DUE = """
    e.state = 'pending' AND e.next_attempt_at <= :now AND e.lease_expires < :now
    AND NOT EXISTS (
      SELECT 1 FROM callback_events busy
      WHERE busy.consumer_key = e.consumer_key AND busy.state = 'pending'
        AND busy.lease_expires >= :now)
"""
_CLAIM = """
UPDATE callback_events SET lease_expires = :until, dispatched_at = NULL
WHERE id = (
    SELECT e.id FROM callback_events e
    WHERE {due} {only}
    ORDER BY e.next_attempt_at, e.id LIMIT 1)
RETURNING *
"""
_CLAIMS = {
    specific: text(_CLAIM.format(due=_DUE, only="AND e.id = :event_id" if specific else ""))
    for specific in (False, True)
}
# Senders claim until they find nothing: a read says so without the claims' lock.
_ANY_DUE = Prepared(text(f"SELECT EXISTS (SELECT 1 FROM callback_events e WHERE {_DUE}) AS due"))
_DISPATCH = text(
    "UPDATE callback_events SET dispatched_at = :now WHERE id IN (SELECT e.id FROM callback_events e WHERE "
    + _DUE
    + " AND (e.dispatched_at IS NULL OR e.dispatched_at < :again)"
    " ORDER BY e.next_attempt_at, e.id LIMIT :limit) RETURNING id"
)


def claim_due_callback(
    database: Database, now: int, lease_until: int, event_id: int | None = None
) -> dict[str, Any] | None:
    """Lease the next due event (or event ``event_id``, if it is due and its client has none in
    flight); a specific event that can't be taken now is left for the scheduler to send again."""
    if event_id is None and not database.first(_ANY_DUE, {"now": now})["due"]:
        return None
    parameters = {"now": now, "until": lease_until, "event_id": event_id}
    # Two senders claiming at once must not both pass "no event of this client is in flight":
    # claims run one at a time, each reading what the one before it wrote.
    with database.exclusive("connect-callback-claims") as connection:
        row = connection.execute(_CLAIMS[event_id is not None], parameters).first()
        if row is None and event_id is not None:
            connection.execute(
                update(callback_events).where(callback_events.c.id == event_id).values(dispatched_at=None)
            )
    return None if row is None else dict(row._mapping)


def dispatch_callbacks(database: Database, now: int, again_before: int, limit: int) -> list[int]:
    """Mark the due events not handed to the queue yet (or long ago) as handed over now."""
    with database.transaction() as connection:
        rows = connection.execute(_DISPATCH, {"now": now, "again": again_before, "limit": limit})
        return sorted(row.id for row in rows)


def release_callback(database: Database, event_id: int) -> None:
    """Give back an event whose attempt the stopping worker broke off: not an attempt."""
    database.write(update(callback_events).where(callback_events.c.id == event_id).values(lease_expires=0))


def callback_event(database: Database, event_id: int) -> dict[str, Any] | None:
    return database.first(select(callback_events).where(callback_events.c.id == event_id))


def record_callback_attempt(
    database: Database, event_id: int, attempt: dict[str, Any], outcome: dict[str, Any]
) -> None:
    """Log an attempt and apply its outcome to the event (delivered, failed, or retry later).
    A webhook's event that failed for good fails its webhook (§1.6), in the same transaction."""
    with database.transaction() as connection:
        connection.execute(callback_attempts.insert(), {**attempt, "event_id": event_id})
        failed_webhook = connection.execute(
            update(callback_events)
            .where(callback_events.c.id == event_id)
            .values(attempts=callback_events.c.attempts + 1, lease_expires=0, **outcome)
            .returning(callback_events.c.webhook)
        ).scalar()
        if outcome["state"] == "failed" and failed_webhook is not None:
            reason = f"a callback to the webhook's callback_url failed for good: {outcome['last_error']}"
            mark_webhook_failed(connection, failed_webhook, reason, attempt["attempted_at"])


def callback_events_list(database: Database) -> list[dict[str, Any]]:
    return database.rows(select(callback_events).order_by(callback_events.c.id))


def callback_attempts_of(database: Database, event_id: int) -> list[dict[str, Any]]:
    return database.rows(
        select(callback_attempts)
        .where(callback_attempts.c.event_id == event_id)
        .order_by(callback_attempts.c.id)
    )


def resend_callback(database: Database, event_id: int, now: int) -> bool:
    statement = (
        update(callback_events)
        .where(callback_events.c.id == event_id, callback_events.c.state != "pending")
        .values(state="pending", next_attempt_at=now, lease_expires=0, finished_at=None)
    )
    return database.write(statement).rowcount == 1
