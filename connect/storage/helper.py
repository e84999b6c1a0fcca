"""What the connect helper and the callback receiver keep: which account holds each host
user's mailboxes, and the completed syncs the receiver recorded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from .database import Database
from .dialect import insert_ignoring_conflicts, prepared_insert_ignoring_conflicts
from .schema import completed_syncs as completed_syncs_table
from .schema import helper_users, received_statuses, received_webhooks

_RECORD = prepared_insert_ignoring_conflicts(completed_syncs_table)


def record_completed_sync(database: Database, sync: dict[str, Any]) -> bool:
    """Store a verified callback; False when its token was already recorded (a retry).

    One statement, no read first: a retry costs the same as a first delivery."""
    return database.run(_RECORD[database.dialect], sync) == 1


def record_received_status(database: Database, status: dict[str, Any]) -> bool:
    """Store a verified status callback; False when its token was already recorded (a retry)."""
    return (
        database.write(insert_ignoring_conflicts(database, received_statuses).values(**status)).rowcount == 1
    )


def record_received_webhook(database: Database, webhook: dict[str, Any]) -> bool:
    """Store a verified webhook callback; False when its token was already recorded (a retry)."""
    statement = insert_ignoring_conflicts(database, received_webhooks).values(**webhook)
    return database.write(statement).rowcount == 1


def received_webhooks_list(database: Database) -> list[dict[str, Any]]:
    return database.rows(select(received_webhooks).order_by(received_webhooks.c.id))


def received_status_count(database: Database, account_id: str) -> int:
    return database.scalar(
        select(func.count())
        .select_from(received_statuses)
        .where(received_statuses.c.account_id == account_id)
    )


def received_statuses_list(database: Database) -> list[dict[str, Any]]:
    return database.rows(select(received_statuses).order_by(received_statuses.c.id))


def completed_syncs(database: Database) -> list[dict[str, Any]]:
    return database.rows(
        select(completed_syncs_table).order_by(
            completed_syncs_table.c.received_at, completed_syncs_table.c.token
        )
    )


def synced_labels(database: Database, account_id: str) -> set[str]:
    """Sources whose initial-sync callback the receiver recorded."""
    rows = database.rows(
        select(completed_syncs_table.c.source_label).where(completed_syncs_table.c.account_id == account_id)
    )
    return {row["source_label"] for row in rows}


def helper_account(database: Database, user_id: str) -> str | None:
    return database.scalar(select(helper_users.c.account_id).where(helper_users.c.user_id == user_id))


def save_helper_account(database: Database, user_id: str, account_id: str, now: int) -> str:
    """Remember the user's account; if another request got there first, keep theirs."""
    database.write(
        insert_ignoring_conflicts(database, helper_users).values(
            user_id=user_id, account_id=account_id, created=now
        )
    )
    return helper_account(database, user_id) or account_id


def helper_user(database: Database, account_id: str) -> str | None:
    return database.scalar(select(helper_users.c.user_id).where(helper_users.c.account_id == account_id))


def forget_helper_account(database: Database, user_id: str) -> None:
    database.write(delete(helper_users).where(helper_users.c.user_id == user_id))
