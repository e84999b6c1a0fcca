"""The SQLite file: connections, the schema and its migrations, and every query Connect runs.

Keeping all SQL here is what lets a larger deployment move to another database by replacing
one module. A connection never crosses threads or forked processes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app
from sqlite_utils import Database

# Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT = 30

# Each entry moves the schema one version up; PRAGMA user_version records how far a file has
# come. Append, never edit: files in the field have already run the earlier entries.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE completed_syncs (
            token TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            source_label TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            scheme TEXT NOT NULL,
            webhook_id TEXT
        )
        """,
        "CREATE INDEX completed_syncs_by_source ON completed_syncs (account_id, source_label)",
    ),
)


def connect(path: str) -> Database:
    """Open the file for one unit of work (a request, a job, a command)."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, check_same_thread=False)
    database = Database(connection)
    database.execute("PRAGMA foreign_keys = ON")
    database.execute("PRAGMA synchronous = NORMAL")
    return database


def migrate(path: str) -> int:
    """Bring the file's schema up to date and return its version.

    Runs at start-up in every process; the write lock taken first makes concurrent starts
    (several gunicorn workers) apply each migration exactly once.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    database = connect(path)
    try:
        database.enable_wal()
        database.execute("BEGIN IMMEDIATE")
        try:
            version = database.execute("PRAGMA user_version").fetchone()[0]
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    database.execute(statement)
                database.execute(f"PRAGMA user_version = {number}")
            database.commit()
        except BaseException:
            database.rollback()
            raise
        return len(MIGRATIONS)
    finally:
        database.close()


def init_app(app: Flask) -> None:
    """Migrate the app's file, and leave no transaction open when a request ends."""
    if "connect.db" in app.extensions:
        return
    path = app.config["CONNECT_DATABASE"]
    migrate(path)
    app.extensions["connect.db"] = path
    app.teardown_appcontext(_end_unit_of_work)


# Connections are kept per thread and reused by the next request on that thread: opening is
# cheap, but closing the last connection to a WAL file checkpoints it, which made every
# request pay for a checkpoint. A handful per thread covers every file an app uses.
_per_thread = threading.local()
_CONNECTIONS_PER_THREAD = 4


def get_db() -> Database:
    """This thread's connection to the current app's file."""
    key = (os.getpid(), current_app.extensions["connect.db"])
    connections: dict[tuple[int, str], Database] = _per_thread.__dict__.setdefault("connections", {})
    database = connections.get(key)
    if database is None:
        if len(connections) >= _CONNECTIONS_PER_THREAD:
            _forget(connections, next(iter(connections)))
        database = connections[key] = connect(key[1])
    return database


def _forget(connections: dict[tuple[int, str], Database], key: tuple[int, str]) -> None:
    database = connections.pop(key)
    if key[0] == os.getpid():
        database.close()


def _end_unit_of_work(_error: BaseException | None = None) -> None:
    """Roll back what a failed request left open, so the next one starts clean."""
    for key, database in list(_per_thread.__dict__.get("connections", {}).items()):
        try:
            if database.conn.in_transaction:
                database.rollback()
        except sqlite3.Error:
            _forget(_per_thread.connections, key)


def is_reachable() -> bool:
    """Whether the app's file can be opened and read, for health checks."""
    try:
        return get_db().execute("SELECT 1").fetchone() == (1,)
    except sqlite3.Error:
        return False


# --- completed syncs (the callback receiver) ---------------------------------------------


def record_completed_sync(database: Database, sync: dict[str, Any]) -> bool:
    """Store a verified callback; False when its token was already recorded (a retry)."""
    cursor = database.execute(
        """
        INSERT INTO completed_syncs
            (token, account_id, source_label, timestamp, received_at, scheme, webhook_id)
        VALUES
            (:token, :account_id, :source_label, :timestamp, :received_at, :scheme, :webhook_id)
        ON CONFLICT (token) DO NOTHING
        """,
        sync,
    )
    return cursor.rowcount == 1


def completed_syncs(database: Database) -> Iterator[dict[str, Any]]:
    return database["completed_syncs"].rows_where(order_by="received_at, rowid")
