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
    (
        """
        CREATE TABLE api_clients (
            consumer_key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            consumer_secret BLOB NOT NULL,
            created INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE oauth_nonces (
            consumer_key TEXT NOT NULL,
            nonce TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            PRIMARY KEY (consumer_key, nonce)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX oauth_nonces_by_age ON oauth_nonces (timestamp)",
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            consumer_key TEXT NOT NULL REFERENCES api_clients ON DELETE CASCADE,
            email TEXT NOT NULL,
            first_name TEXT NOT NULL DEFAULT '',
            last_name TEXT NOT NULL DEFAULT '',
            created INTEGER NOT NULL,
            suspended INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX accounts_by_client ON accounts (consumer_key, created)",
        """
        CREATE TABLE oauth_providers (
            consumer_key TEXT NOT NULL REFERENCES api_clients ON DELETE CASCADE,
            provider_consumer_key TEXT NOT NULL,
            type TEXT NOT NULL,
            provider_consumer_secret BLOB NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (consumer_key, provider_consumer_key)
        )
        """,
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts ON DELETE CASCADE,
            label TEXT NOT NULL,
            email TEXT NOT NULL,
            username TEXT NOT NULL,
            server TEXT NOT NULL,
            port INTEGER NOT NULL,
            use_ssl INTEGER NOT NULL,
            type TEXT NOT NULL DEFAULT 'IMAP',
            authentication_type TEXT NOT NULL,
            password BLOB,
            provider_consumer_key TEXT,
            provider_token BLOB,
            provider_token_secret BLOB,
            provider_refresh_token BLOB,
            status TEXT NOT NULL,
            status_message TEXT NOT NULL DEFAULT '',
            sync_period TEXT NOT NULL,
            raw_file_list INTEGER NOT NULL DEFAULT 0,
            sync_all_folders INTEGER NOT NULL DEFAULT 0,
            sync_flags INTEGER NOT NULL DEFAULT 0,
            expunge_on_deleted_flag INTEGER NOT NULL DEFAULT 0,
            callback_url TEXT,
            status_callback_url TEXT,
            created INTEGER NOT NULL,
            initial_import_finished INTEGER NOT NULL DEFAULT 0,
            last_sync_start INTEGER NOT NULL DEFAULT 0,
            last_sync_stop INTEGER NOT NULL DEFAULT 0,
            last_expunge INTEGER NOT NULL DEFAULT 0,
            UNIQUE (account_id, label)
        )
        """,
        "CREATE INDEX sources_by_provider ON sources (provider_consumer_key)",
        """
        CREATE TABLE sync_jobs (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources ON DELETE CASCADE,
            reason TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued',
            queued_at INTEGER NOT NULL,
            run_after INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_expires INTEGER,
            finished_at INTEGER,
            error TEXT
        )
        """,
        # At most one pending (queued or running) job per source: asking again is a no-op.
        """
        CREATE UNIQUE INDEX sync_jobs_one_pending_per_source ON sync_jobs (source_id)
        WHERE state IN ('queued', 'running')
        """,
        "CREATE INDEX sync_jobs_due ON sync_jobs (state, run_after)",
        """
        CREATE TABLE connect_tokens (
            token TEXT PRIMARY KEY,
            consumer_key TEXT NOT NULL REFERENCES api_clients ON DELETE CASCADE,
            scope TEXT NOT NULL,
            account_id TEXT REFERENCES accounts ON DELETE CASCADE,
            source_label TEXT,
            email TEXT NOT NULL DEFAULT '',
            first_name TEXT NOT NULL DEFAULT '',
            last_name TEXT NOT NULL DEFAULT '',
            callback_url TEXT NOT NULL,
            source_callback_url TEXT,
            status_callback_url TEXT,
            source_sync_all_folders INTEGER NOT NULL DEFAULT 0,
            source_sync_flags INTEGER NOT NULL DEFAULT 0,
            source_raw_file_list INTEGER NOT NULL DEFAULT 0,
            created INTEGER NOT NULL,
            used INTEGER NOT NULL DEFAULT 0,
            expires INTEGER NOT NULL
        )
        """,
        "CREATE INDEX connect_tokens_by_client ON connect_tokens (consumer_key, created)",
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


# --- API clients and their request nonces -------------------------------------------------


def insert_api_client(database: Database, client: dict[str, Any]) -> None:
    database["api_clients"].insert(client)


def api_client(database: Database, consumer_key: str) -> dict[str, Any] | None:
    return next(database["api_clients"].rows_where("consumer_key = ?", [consumer_key]), None)


def api_client_named(database: Database, name: str) -> dict[str, Any] | None:
    return next(database["api_clients"].rows_where("name = ?", [name], order_by="created"), None)


def api_clients(database: Database) -> list[dict[str, Any]]:
    return list(database["api_clients"].rows_where(order_by="created"))


def replace_encrypted(database: Database, transform: Any) -> int:
    """Rewrite every encrypted column through ``transform``; returns how many values changed.

    One transaction: a key rotation either re-encrypts everything or nothing."""
    columns = {
        "api_clients": ("consumer_key", ("consumer_secret",)),
        "oauth_providers": ("rowid", ("provider_consumer_secret",)),
        "sources": ("id", ("password", "provider_token", "provider_token_secret", "provider_refresh_token")),
    }
    changed = 0
    with database.atomic():
        for table, (key, names) in columns.items():
            for row in database.query(f"SELECT {key} AS k, {', '.join(names)} FROM {table}"):
                updates = {name: transform(row[name]) for name in names if row[name] is not None}
                if updates:
                    assignments = ", ".join(f"{name} = :{name}" for name in updates)
                    database.execute(
                        f"UPDATE {table} SET {assignments} WHERE {key} = :k", {**updates, "k": row["k"]}
                    )
                    changed += len(updates)
    return changed


def nonce_used(database: Database, consumer_key: str, nonce: str) -> bool:
    row = database.execute(
        "SELECT 1 FROM oauth_nonces WHERE consumer_key = ? AND nonce = ?", [consumer_key, nonce]
    ).fetchone()
    return row is not None


def use_nonce(database: Database, consumer_key: str, nonce: str, timestamp: int, forget_before: int) -> bool:
    """Record a nonce; False when it was already used. Forgets nonces older than the window."""
    with database.atomic():
        database.execute("DELETE FROM oauth_nonces WHERE timestamp < ?", [forget_before])
        cursor = database.execute(
            "INSERT INTO oauth_nonces (consumer_key, nonce, timestamp) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [consumer_key, nonce, timestamp],
        )
    return cursor.rowcount == 1


# --- accounts -----------------------------------------------------------------------------


def insert_account(database: Database, account: dict[str, Any]) -> None:
    database["accounts"].insert(account)


def account(database: Database, consumer_key: str, account_id: str) -> dict[str, Any] | None:
    return next(
        database["accounts"].rows_where("id = ? AND consumer_key = ?", [account_id, consumer_key]), None
    )


def accounts(
    database: Database,
    consumer_key: str,
    *,
    email: str | None = None,
    statuses: tuple[str, ...] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The client's accounts, oldest first; ``email`` matches the account's or a source's
    address, ``statuses`` keeps accounts with at least one source in one of them."""
    where = ["a.consumer_key = :consumer_key"]
    parameters: dict[str, Any] = {"consumer_key": consumer_key, "limit": -1 if limit is None else limit}
    if email is not None:
        where.append(
            "(a.email = :email COLLATE NOCASE OR EXISTS (SELECT 1 FROM sources s "
            "WHERE s.account_id = a.id AND s.email = :email COLLATE NOCASE))"
        )
        parameters["email"] = email
    if statuses is not None:
        marks = ", ".join(f":status{index}" for index in range(len(statuses)))
        where.append(f"EXISTS (SELECT 1 FROM sources s WHERE s.account_id = a.id AND s.status IN ({marks}))")
        parameters.update({f"status{index}": status for index, status in enumerate(statuses)})
    parameters["offset"] = offset
    return list(
        database.query(
            f"SELECT a.* FROM accounts a WHERE {' AND '.join(where)} "
            "ORDER BY a.created, a.rowid LIMIT :limit OFFSET :offset",
            parameters,
        )
    )


def update_account(database: Database, account_id: str, changes: dict[str, Any]) -> None:
    database["accounts"].update(account_id, changes)


def delete_account(database: Database, account_id: str) -> None:
    database.execute("DELETE FROM accounts WHERE id = ?", [account_id])


# --- sources ------------------------------------------------------------------------------


def insert_source(database: Database, source: dict[str, Any]) -> int:
    return database["sources"].insert(source).last_pk


def sources_of(
    database: Database, account_ids: list[str], statuses: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Sources of these accounts, each account's in creation order (its first is label 0)."""
    if not account_ids:
        return []
    marks = ", ".join("?" for _ in account_ids)
    sql = f"SELECT * FROM sources WHERE account_id IN ({marks})"
    parameters: list[Any] = list(account_ids)
    if statuses is not None:
        sql += f" AND status IN ({', '.join('?' for _ in statuses)})"
        parameters.extend(statuses)
    return list(database.query(sql + " ORDER BY account_id, id", parameters))


def source(database: Database, account_id: str, label: str) -> dict[str, Any] | None:
    return next(database["sources"].rows_where("account_id = ? AND label = ?", [account_id, label]), None)


def first_source(database: Database, account_id: str) -> dict[str, Any] | None:
    return next(database["sources"].rows_where("account_id = ?", [account_id], order_by="id", limit=1), None)


def source_labels(database: Database, account_id: str) -> set[str]:
    return {
        row[0] for row in database.execute("SELECT label FROM sources WHERE account_id = ?", [account_id])
    }


def update_source(database: Database, source_id: int, changes: dict[str, Any]) -> None:
    database["sources"].update(source_id, changes)


def delete_source(database: Database, source_id: int) -> None:
    database.execute("DELETE FROM sources WHERE id = ?", [source_id])


def sources_using_provider(database: Database, consumer_key: str, provider_consumer_key: str) -> int:
    return database.execute(
        "SELECT count(*) FROM sources s JOIN accounts a ON a.id = s.account_id "
        "WHERE a.consumer_key = ? AND s.provider_consumer_key = ?",
        [consumer_key, provider_consumer_key],
    ).fetchone()[0]


# --- sync jobs ----------------------------------------------------------------------------


def queue_sync(database: Database, source_id: int, reason: str, now: int) -> bool:
    """Queue a sync unless one is already pending for the source; True when one was added."""
    cursor = database.execute(
        "INSERT INTO sync_jobs (source_id, reason, queued_at, run_after) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (source_id) WHERE state IN ('queued', 'running') DO NOTHING",
        [source_id, reason, now, now],
    )
    return cursor.rowcount == 1


def pending_syncs(database: Database, source_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not source_ids:
        return {}
    marks = ", ".join("?" for _ in source_ids)
    rows = database.query(
        f"SELECT * FROM sync_jobs WHERE state IN ('queued', 'running') AND source_id IN ({marks})",
        source_ids,
    )
    return {row["source_id"]: row for row in rows}


# --- OAuth providers ----------------------------------------------------------------------


def save_provider(database: Database, provider: dict[str, Any]) -> None:
    """Add a provider, or give an existing key its new type and secret."""
    database.execute(
        "INSERT INTO oauth_providers (consumer_key, provider_consumer_key, type, provider_consumer_secret, "
        "created) VALUES (:consumer_key, :provider_consumer_key, :type, :provider_consumer_secret, :created) "
        "ON CONFLICT (consumer_key, provider_consumer_key) "
        "DO UPDATE SET type = excluded.type, provider_consumer_secret = excluded.provider_consumer_secret",
        provider,
    )


def provider(database: Database, consumer_key: str, provider_consumer_key: str) -> dict[str, Any] | None:
    return next(
        database["oauth_providers"].rows_where(
            "consumer_key = ? AND provider_consumer_key = ?", [consumer_key, provider_consumer_key]
        ),
        None,
    )


def providers(database: Database, consumer_key: str) -> list[dict[str, Any]]:
    return list(
        database["oauth_providers"].rows_where("consumer_key = ?", [consumer_key], order_by="created")
    )


def delete_provider(database: Database, consumer_key: str, provider_consumer_key: str) -> None:
    database.execute(
        "DELETE FROM oauth_providers WHERE consumer_key = ? AND provider_consumer_key = ?",
        [consumer_key, provider_consumer_key],
    )


# --- connect tokens -----------------------------------------------------------------------


def insert_connect_token(database: Database, token: dict[str, Any]) -> None:
    database["connect_tokens"].insert(token)


def connect_token(database: Database, consumer_key: str, token: str, now: int) -> dict[str, Any] | None:
    """A token of this client that is used, or unused and not yet expired."""
    return next(
        database["connect_tokens"].rows_where(
            "token = ? AND consumer_key = ? AND (used > 0 OR expires > ?)", [token, consumer_key, now]
        ),
        None,
    )


def live_connect_token(database: Database, token: str, now: int) -> dict[str, Any] | None:
    """A token as the end user's browser presents it: of whichever client, used or not expired."""
    return next(
        database["connect_tokens"].rows_where("token = ? AND (used > 0 OR expires > ?)", [token, now]), None
    )


def connect_tokens(
    database: Database,
    consumer_key: str,
    now: int,
    account_id: str | None = None,
    source_label: str | None = None,
) -> list[dict[str, Any]]:
    where = "consumer_key = ? AND (used > 0 OR expires > ?)"
    parameters: list[Any] = [consumer_key, now]
    if account_id is not None:
        where += " AND account_id = ?"
        parameters.append(account_id)
    if source_label is not None:
        where += " AND source_label = ?"
        parameters.append(source_label)
    return list(database["connect_tokens"].rows_where(where, parameters, order_by="created, rowid"))


def delete_connect_token(database: Database, token: str) -> None:
    database.execute("DELETE FROM connect_tokens WHERE token = ?", [token])


def forget_expired_connect_tokens(database: Database, now: int) -> None:
    database.execute("DELETE FROM connect_tokens WHERE used = 0 AND expires <= ?", [now])
