"""The SQLite file: connections, the schema and its migrations, and every query Connect runs.

Keeping all SQL here is what lets a larger deployment move to another database by replacing
one module. A connection never crosses threads or forked processes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import re2
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
    (
        # One queued job per source; a running one may have a successor queued behind it
        # (new credentials mid-sync), and claiming skips sources with a live lease.
        "DROP INDEX sync_jobs_one_pending_per_source",
        "CREATE UNIQUE INDEX sync_jobs_one_queued_per_source ON sync_jobs (source_id) WHERE state = 'queued'",
        "ALTER TABLE sources ADD COLUMN failure_count INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sources ADD COLUMN first_failure_at INTEGER NOT NULL DEFAULT 0",
        """
        CREATE TABLE folders (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources ON DELETE CASCADE,
            name TEXT NOT NULL,
            delimiter TEXT,
            attributes TEXT NOT NULL DEFAULT '[]',
            uidvalidity INTEGER,
            uidnext INTEGER NOT NULL DEFAULT 1,
            highestmodseq INTEGER NOT NULL DEFAULT 0,
            synced_uid INTEGER NOT NULL DEFAULT 0,
            nb_messages INTEGER NOT NULL DEFAULT 0,
            nb_unseen_messages INTEGER NOT NULL DEFAULT 0,
            UNIQUE (source_id, name)
        )
        """,
        """
        CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts ON DELETE CASCADE,
            dedupe_key TEXT NOT NULL,
            email_message_id TEXT,
            gmail_message_id TEXT,
            gmail_thread_id TEXT,
            subject TEXT NOT NULL DEFAULT '',
            date INTEGER NOT NULL,
            date_received INTEGER,
            date_indexed INTEGER NOT NULL,
            addresses TEXT NOT NULL,
            in_reply_to TEXT,
            "references" TEXT,
            size INTEGER,
            UNIQUE (account_id, dedupe_key)
        )
        """,
        "CREATE INDEX messages_by_date ON messages (account_id, date)",
        """
        CREATE TABLE message_locations (
            folder_id INTEGER NOT NULL REFERENCES folders ON DELETE CASCADE,
            uid INTEGER NOT NULL,
            message_id TEXT NOT NULL REFERENCES messages ON DELETE CASCADE,
            flags TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (folder_id, uid)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX message_locations_by_message ON message_locations (message_id)",
        """
        CREATE TABLE files (
            id TEXT PRIMARY KEY,
            message_id TEXT NOT NULL REFERENCES messages ON DELETE CASCADE,
            file_name TEXT NOT NULL,
            size INTEGER NOT NULL,
            type TEXT NOT NULL,
            body_section TEXT NOT NULL,
            is_embedded INTEGER NOT NULL,
            content_disposition TEXT,
            content_id TEXT,
            is_noise INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX files_by_message ON files (message_id)",
        """
        CREATE TABLE callback_events (
            id INTEGER PRIMARY KEY,
            webhook_id TEXT NOT NULL UNIQUE,
            source_id INTEGER REFERENCES sources ON DELETE SET NULL,
            consumer_key TEXT NOT NULL REFERENCES api_clients ON DELETE CASCADE,
            account_id TEXT NOT NULL,
            source_label TEXT NOT NULL,
            url TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            token TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_expires INTEGER NOT NULL DEFAULT 0,
            created INTEGER NOT NULL,
            finished_at INTEGER,
            last_error TEXT
        )
        """,
        "CREATE INDEX callback_events_due ON callback_events (state, next_attempt_at)",
        """
        CREATE TABLE callback_attempts (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES callback_events ON DELETE CASCADE,
            attempted_at INTEGER NOT NULL,
            status INTEGER,
            latency_ms INTEGER NOT NULL,
            error TEXT
        )
        """,
    ),
    (
        # The connect helper: which account in the sources API holds each host user's mailboxes.
        """
        CREATE TABLE helper_users (
            user_id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            created INTEGER NOT NULL
        )
        """,
    ),
    (
        # Workers say they are alive, so a job whose worker died (kill -9) is taken over
        # promptly rather than after its whole lease.
        """
        CREATE TABLE workers (
            name TEXT PRIMARY KEY,
            started INTEGER NOT NULL,
            heartbeat INTEGER NOT NULL
        )
        """,
        "CREATE INDEX callback_events_in_flight ON callback_events (consumer_key, lease_expires)",
    ),
)


class ConnectDatabase(Database):
    """sqlite-utils' Database whose transactions take the write lock when they begin.

    A deferred transaction that reads before it writes cannot wait for the lock: when another
    process commits in between, SQLite fails its first write at once with "database is
    locked", whatever the busy timeout. ``BEGIN IMMEDIATE`` queues for the lock up front
    instead, so every write path — ours and sqlite-utils' own ``insert`` / ``update`` — waits
    its turn. Nested blocks still use savepoints.
    """

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


def connect(path: str) -> Database:
    """Open the file for one unit of work (a request, a job, a command)."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, check_same_thread=False)
    connection.create_function("regexp", 2, _regexp, deterministic=True)
    database = ConnectDatabase(connection)
    database.execute("PRAGMA foreign_keys = ON")
    database.execute("PRAGMA synchronous = NORMAL")
    return database


def _regexp(pattern: str, value: str | None) -> bool:
    """``value REGEXP pattern``, for Context.IO's ``/regex/`` filters (checked before use).

    RE2 matches in linear time: no pattern makes a request backtrack for minutes."""
    return value is not None and compile_regex(pattern).search(value) is not None


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re2._Regexp:
    """A case-insensitive RE2 pattern; ``re2.error`` when RE2 can't take it."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = 8 << 20  # a pattern needing more memory than this is refused, not run
    return re2.compile(pattern, options)


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


def transaction(database: Database) -> contextlib.AbstractContextManager[Database]:
    """One unit of writes that holds the write lock from its first statement (see
    ``ConnectDatabase``); inside another transaction, a savepoint of it."""
    return database.atomic()


def default_path(instance_path: str) -> str:
    return os.path.join(instance_path, "connect.sqlite3")


def init_app(app: Flask) -> None:
    """Migrate the app's file (``CONNECT_DATABASE``, by default in the instance folder), and
    leave no transaction open when a request ends."""
    if "connect.db" in app.extensions:
        return
    if not app.config.get("CONNECT_DATABASE"):
        app.config["CONNECT_DATABASE"] = default_path(app.instance_path)
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
    with transaction(database):
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
    with transaction(database):
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
    """The source, its folders and index; messages no other source of the account holds."""
    with transaction(database):
        account_id = database.execute("SELECT account_id FROM sources WHERE id = ?", [source_id]).fetchone()
        database.execute("DELETE FROM sources WHERE id = ?", [source_id])
        if account_id:
            forget_orphan_messages(database, account_id[0])


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
        "ON CONFLICT (source_id) WHERE state = 'queued' DO NOTHING",
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


def mark_connect_token_used(database: Database, token: str, now: int, account_id: str, label: str) -> None:
    database.execute(
        "UPDATE connect_tokens SET used = ?, account_id = ?, source_label = ? WHERE token = ?",
        [now, account_id, label, token],
    )


def api_client_name(database: Database, consumer_key: str) -> str:
    row = database.execute("SELECT name FROM api_clients WHERE consumer_key = ?", [consumer_key]).fetchone()
    return row[0] if row else "this app"


def delete_connect_token(database: Database, token: str) -> None:
    database.execute("DELETE FROM connect_tokens WHERE token = ?", [token])


def forget_expired_connect_tokens(database: Database, now: int) -> None:
    database.execute("DELETE FROM connect_tokens WHERE used = 0 AND expires <= ?", [now])


# --- the sync engine: jobs ------------------------------------------------------------------

_RUNNABLE = "('OK', 'CONNECTION_IMPOSSIBLE', 'NO_ACCESS_TO_ALL_MAIL')"
_PERIOD_SECONDS = (
    "CASE s.sync_period WHEN '1h' THEN 3600 WHEN '4h' THEN 14400 WHEN '12h' THEN 43200 ELSE 86400 END"
)


# A source still waiting for its initial sync with nothing queued (its job ended on a failure
# of the database itself, say) is picked up again after this long: never stuck waiting.
STALLED_INITIAL_SYNC = 300


def queue_due_syncs(database: Database, now: int) -> int:
    """Queue a sync of every runnable source whose period has passed, or whose initial sync
    stalled, and that has none pending."""
    cursor = database.execute(
        f"""
        INSERT INTO sync_jobs (source_id, reason, queued_at, run_after)
        SELECT s.id, 'scheduled', :now, :now FROM sources s
        WHERE s.status IN {_RUNNABLE}
          AND ((s.last_sync_stop > 0 AND s.last_sync_stop + {_PERIOD_SECONDS} <= :now)
               OR (s.initial_import_finished = 0
                   AND max(s.created, s.last_sync_start, s.last_sync_stop) + :stalled <= :now))
          AND NOT EXISTS (
            SELECT 1 FROM sync_jobs j WHERE j.source_id = s.id AND j.state IN ('queued', 'running'))
        ON CONFLICT DO NOTHING
        """,
        {"now": now, "stalled": STALLED_INITIAL_SYNC},
    )
    return cursor.rowcount


def claim_sync_job(
    database: Database, owner: str, now: int, lease_until: int, alive_since: int
) -> dict[str, Any] | None:
    """Take the next due job, or one whose worker's lease ran out or whose worker stopped
    beating (no heartbeat since ``alive_since``); never a job of a source that a live worker
    holds a lease on."""
    # UPDATE … RETURNING yields rows, so sqlite-utils would leave its transaction open: own it.
    with transaction(database):
        row = _claim_sync_job(database, owner, now, lease_until, alive_since)
    return None if row is None else dict(zip(_SYNC_JOB_COLUMNS, row, strict=True))


def _claim_sync_job(
    database: Database, owner: str, now: int, lease_until: int, alive_since: int
) -> tuple | None:
    return database.execute(
        """
        UPDATE sync_jobs
        SET state = 'running', lease_owner = :owner, lease_expires = :until, attempts = attempts + 1
        WHERE id = (
            SELECT j.id FROM sync_jobs j
            WHERE ((j.state = 'queued' AND j.run_after <= :now)
                   OR (j.state = 'running' AND (j.lease_expires < :now OR NOT EXISTS (
                        SELECT 1 FROM workers w WHERE w.name = j.lease_owner AND w.heartbeat >= :alive))))
              AND NOT EXISTS (
                SELECT 1 FROM sync_jobs r JOIN workers w ON w.name = r.lease_owner
                WHERE r.source_id = j.source_id AND r.id != j.id
                  AND r.state = 'running' AND r.lease_expires >= :now AND w.heartbeat >= :alive)
            ORDER BY j.run_after, j.id
            LIMIT 1)
        RETURNING *
        """,
        {"owner": owner, "now": now, "until": lease_until, "alive": alive_since},
    ).fetchone()


_SYNC_JOB_COLUMNS = (
    "id", "source_id", "reason", "state", "queued_at", "run_after", "attempts",
    "lease_owner", "lease_expires", "finished_at", "error",
)  # fmt: skip


def heartbeat(database: Database, worker: str, now: int) -> None:
    database.execute(
        "INSERT INTO workers (name, started, heartbeat) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET heartbeat = excluded.heartbeat",
        [worker, now, now],
    )


def forget_worker(database: Database, worker: str) -> None:
    database.execute("DELETE FROM workers WHERE name = ?", [worker])


def forget_dead_workers(database: Database, before: int) -> None:
    database.execute("DELETE FROM workers WHERE heartbeat < ?", [before])


def renew_sync_lease(database: Database, job_id: int, owner: str, lease_until: int) -> bool:
    cursor = database.execute(
        "UPDATE sync_jobs SET lease_expires = ? WHERE id = ? AND lease_owner = ? AND state = 'running'",
        [lease_until, job_id, owner],
    )
    return cursor.rowcount == 1


def finish_sync_job(database: Database, job_id: int, owner: str, now: int, error: str | None = None) -> None:
    database.execute(
        "UPDATE sync_jobs SET state = ?, finished_at = ?, error = ?, "
        "lease_owner = NULL, lease_expires = NULL "
        "WHERE id = ? AND lease_owner = ?",
        ["failed" if error else "done", now, error, job_id, owner],
    )


def release_sync_job(database: Database, job_id: int, owner: str, now: int) -> None:
    """Hand an unfinished job back (the worker is stopping); it resumes where it left off."""
    try:
        database.execute(
            "UPDATE sync_jobs SET state = 'queued', run_after = ?, lease_owner = NULL, lease_expires = NULL "
            "WHERE id = ? AND lease_owner = ?",
            [now, job_id, owner],
        )
    except sqlite3.IntegrityError:  # another sync is already queued behind it: that one will run
        finish_sync_job(database, job_id, owner, now, "superseded by a newer queued sync")


def sync_context(database: Database, source_id: int) -> dict[str, Any] | None:
    """A source with what its sync needs: its account's client and its OAuth provider."""
    row = database.execute(
        """
        SELECT s.*, a.consumer_key, p.type AS provider_type, p.provider_consumer_secret
        FROM sources s JOIN accounts a ON a.id = s.account_id
        LEFT JOIN oauth_providers p
          ON p.consumer_key = a.consumer_key AND p.provider_consumer_key = s.provider_consumer_key
        WHERE s.id = ?
        """,
        [source_id],
    )
    names = [column[0] for column in row.description]
    found = row.fetchone()
    return None if found is None else dict(zip(names, found, strict=True))


def record_sync_start(database: Database, source_id: int, now: int) -> None:
    database.execute("UPDATE sources SET last_sync_start = ? WHERE id = ?", [now, source_id])


def record_sync_success(
    database: Database, source_id: int, now: int, message: str, callback: dict[str, Any] | None
) -> bool:
    """Mark the source synced; on its first completed sync, also store the callback event
    (``callback`` filled in with the source's URL), in the same transaction: exactly once."""
    with transaction(database):
        row = database.execute(
            "SELECT initial_import_finished, callback_url FROM sources WHERE id = ?", [source_id]
        ).fetchone()
        if row is None:
            return False
        first = not row[0]
        database.execute(
            "UPDATE sources SET status = 'OK', status_message = ?, last_sync_stop = ?, failure_count = 0, "
            "first_failure_at = 0, initial_import_finished = 1 WHERE id = ?",
            [message, now, source_id],
        )
        if first and row[1] and callback is not None:
            database["callback_events"].insert({**callback, "source_id": source_id, "url": row[1]})
    return first


def record_sync_failure(database: Database, source_id: int, status: str, message: str, now: int) -> int:
    """Set the status a failure earned; the number of failures in a row so far."""
    with transaction(database):
        database.execute(
            "UPDATE sources SET status = ?, status_message = ?, failure_count = failure_count + 1, "
            "first_failure_at = CASE WHEN first_failure_at = 0 THEN ? ELSE first_failure_at END, "
            "last_sync_stop = ? WHERE id = ?",
            [status, message, now, now, source_id],
        )
        row = database.execute("SELECT failure_count FROM sources WHERE id = ?", [source_id]).fetchone()
    return row[0] if row else 0


def queue_retry(database: Database, source_id: int, run_after: int, now: int) -> None:
    database.execute(
        "INSERT INTO sync_jobs (source_id, reason, queued_at, run_after) VALUES (?, 'retry', ?, ?) "
        "ON CONFLICT (source_id) WHERE state = 'queued' DO NOTHING",
        [source_id, now, run_after],
    )


# --- the sync engine: folders and the index -----------------------------------------------


def folders_of(database: Database, source_id: int) -> list[dict[str, Any]]:
    return list(database["folders"].rows_where("source_id = ?", [source_id], order_by="name"))


def save_folder(database: Database, source_id: int, name: str, delimiter: str, attributes: str) -> dict:
    database.execute(
        "INSERT INTO folders (source_id, name, delimiter, attributes) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (source_id, name) DO UPDATE SET delimiter = excluded.delimiter, "
        "attributes = excluded.attributes",
        [source_id, name, delimiter, attributes],
    )
    return next(database["folders"].rows_where("source_id = ? AND name = ?", [source_id, name]))


def update_folder(database: Database, folder_id: int, changes: dict[str, Any]) -> None:
    database["folders"].update(folder_id, changes)


def delete_folder(database: Database, folder_id: int) -> None:
    database.execute("DELETE FROM folders WHERE id = ?", [folder_id])


def reset_folder(database: Database, account_id: str, folder_id: int, uidvalidity: int) -> None:
    """A changed UIDVALIDITY: every UID we hold for the folder is meaningless now."""
    with transaction(database):
        database.execute("DELETE FROM message_locations WHERE folder_id = ?", [folder_id])
        forget_orphan_messages(database, account_id)
        database.execute(
            "UPDATE folders SET uidvalidity = ?, uidnext = 1, highestmodseq = 0, synced_uid = 0 WHERE id = ?",
            [uidvalidity, folder_id],
        )


def index_batch(
    database: Database,
    account_id: str,
    folder_id: int,
    messages: list[dict[str, Any]],
    folder_progress: dict[str, Any],
) -> None:
    """Store one FETCH batch: each message once per account (merged by its dedupe key), its
    files, where it lives; and how far the folder got, so a crash resumes after this batch."""
    with transaction(database):
        for message in messages:
            files = message.pop("files")
            flags = message.pop("flags")
            uid = message.pop("uid")
            existing = database.execute(
                "SELECT id FROM messages WHERE account_id = ? AND dedupe_key = ?",
                [account_id, message["dedupe_key"]],
            ).fetchone()
            if existing:
                message_id = existing[0]
            else:
                message_id = message["id"]
                database["messages"].insert({**message, "account_id": account_id})
                for file in files:
                    database["files"].insert({**file, "message_id": message_id}, ignore=True)
            database.execute(
                "INSERT INTO message_locations (folder_id, uid, message_id, flags) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (folder_id, uid) "
                "DO UPDATE SET message_id = excluded.message_id, flags = excluded.flags",
                [folder_id, uid, message_id, flags],
            )
        database["folders"].update(folder_id, folder_progress)


def update_flags(database: Database, folder_id: int, flags_by_uid: dict[int, str]) -> None:
    with transaction(database):
        for uid, flags in flags_by_uid.items():
            database.execute(
                "UPDATE message_locations SET flags = ? WHERE folder_id = ? AND uid = ?",
                [flags, folder_id, uid],
            )


def folder_uids(database: Database, folder_id: int, low: int, high: int) -> set[int]:
    return {
        row[0]
        for row in database.execute(
            "SELECT uid FROM message_locations WHERE folder_id = ? AND uid BETWEEN ? AND ?",
            [folder_id, low, high],
        )
    }


def forget_locations(database: Database, account_id: str, folder_id: int, uids: set[int]) -> None:
    """Expunged messages: gone from the folder, and from the data set once nowhere else."""
    with transaction(database):
        for uid in uids:
            database.execute(
                "DELETE FROM message_locations WHERE folder_id = ? AND uid = ?", [folder_id, uid]
            )
        forget_orphan_messages(database, account_id)


def forget_orphan_messages(database: Database, account_id: str) -> None:
    database.execute(
        "DELETE FROM messages WHERE account_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM message_locations l WHERE l.message_id = messages.id)",
        [account_id],
    )


# --- the merged data set, as the API reads it ---------------------------------------------

_SHOWN_FILES = """
    (f.is_noise = 0 OR EXISTS (
        SELECT 1 FROM message_locations l JOIN folders fo ON fo.id = l.folder_id
        JOIN sources s ON s.id = fo.source_id
        WHERE l.message_id = f.message_id AND s.raw_file_list = 1))
"""


def account_counts(database: Database, account_id: str) -> dict[str, int]:
    messages = database.execute(
        "SELECT count(*) FROM messages WHERE account_id = ?", [account_id]
    ).fetchone()[0]
    files = database.execute(
        f"SELECT count(*) FROM files f JOIN messages m ON m.id = f.message_id "
        f"WHERE m.account_id = ? AND {_SHOWN_FILES}",
        [account_id],
    ).fetchone()[0]
    return {"messages": messages, "files": files}


ADDRESS_FIELDS = ("from", "to", "cc", "bcc")


@dataclass(frozen=True)
class TextMatch:
    value: str
    regex: bool


@dataclass(frozen=True)
class MailFilters:
    """Context.IO's message and file filters, parsed; None means "not filtered on"."""

    subject: TextMatch | None = None
    file_name: TextMatch | None = None
    addresses: dict[str, str | None] = field(default_factory=dict)
    any_address: str | None = None
    folder: str | None = None
    source: str | None = None
    date_before: int | None = None
    date_after: int | None = None
    indexed_before: int | None = None
    indexed_after: int | None = None
    descending: bool = True
    limit: int = 100
    offset: int = 0


def _match(column: str, match: TextMatch, name: str, values: dict[str, Any]) -> str:
    if match.regex:
        values[name] = match.value
        return f"{column} REGEXP :{name}"
    values[name] = f"%{match.value.replace('%', '').replace('_', '')}%"
    return f"{column} LIKE :{name}"


def _address_clause(field_name: str, parameter: str) -> str:
    if field_name == "from":
        return f"json_extract(m.addresses, '$.from.email') = :{parameter}"
    return (
        f"EXISTS (SELECT 1 FROM json_each(m.addresses, '$.{field_name}') j "
        f"WHERE json_extract(j.value, '$.email') = :{parameter})"
    )


def _mail_clauses(filters: MailFilters, values: dict[str, Any]) -> list[str]:
    """One clause per filter given, each with named parameters: no value is spliced into SQL."""
    where = []
    if filters.subject:
        where.append(_match("m.subject", filters.subject, "subject", values))
    for field_name, address in filters.addresses.items():
        if address:
            values[field_name] = address
            where.append(_address_clause(field_name, field_name))
    if filters.any_address:
        values["email"] = filters.any_address
        where.append("(" + " OR ".join(_address_clause(name, "email") for name in ADDRESS_FIELDS) + ")")
    located = "SELECT 1 FROM message_locations l JOIN folders fo ON fo.id = l.folder_id"
    if filters.folder:
        values["folder"] = filters.folder
        where.append(f"EXISTS ({located} WHERE l.message_id = m.id AND fo.name = :folder)")
    if filters.source:
        values["source"] = filters.source
        where.append(
            f"EXISTS ({located} JOIN sources s ON s.id = fo.source_id "
            "WHERE l.message_id = m.id AND s.label = :source)"
        )
    if filters.file_name:
        clause = _match("fn.file_name", filters.file_name, "file_name", values)
        where.append(f"EXISTS (SELECT 1 FROM files fn WHERE fn.message_id = m.id AND {clause})")
    for column, bound, operator, name in (
        ("m.date", filters.date_before, "<", "date_before"),
        ("m.date", filters.date_after, ">", "date_after"),
        ("m.date_indexed", filters.indexed_before, "<", "indexed_before"),
        ("m.date_indexed", filters.indexed_after, ">", "indexed_after"),
    ):
        if bound is not None:
            values[name] = bound
            where.append(f"{column} {operator} :{name}")
    return where


def find_messages(database: Database, account_id: str, filters: MailFilters) -> list[dict[str, Any]]:
    values: dict[str, Any] = {"account_id": account_id, "limit": filters.limit, "offset": filters.offset}
    clauses = " AND ".join(["m.account_id = :account_id", *_mail_clauses(filters, values)])
    order = "DESC" if filters.descending else "ASC"
    return list(
        database.query(
            f"SELECT m.* FROM messages m WHERE {clauses} ORDER BY m.date {order}, m.id {order} "
            "LIMIT :limit OFFSET :offset",
            values,
        )
    )


def message(database: Database, account_id: str, message_id: str) -> dict[str, Any] | None:
    """By our id, or by its Message-ID header (with or without the angle brackets)."""
    bracketed = message_id if message_id.startswith("<") else f"<{message_id}>"
    return next(
        database.query(
            "SELECT * FROM messages WHERE account_id = ? AND (id = ? OR email_message_id = ?) LIMIT 1",
            [account_id, message_id, bracketed],
        ),
        None,
    )


def locations_of(database: Database, message_ids: list[str]) -> list[dict[str, Any]]:
    if not message_ids:
        return []
    marks = ", ".join("?" for _ in message_ids)
    return list(
        database.query(
            f"SELECT l.message_id, l.uid, l.flags, fo.name AS folder, s.label, s.id AS source_id "
            f"FROM message_locations l JOIN folders fo ON fo.id = l.folder_id "
            f"JOIN sources s ON s.id = fo.source_id "
            f"WHERE l.message_id IN ({marks}) ORDER BY s.id, fo.name",
            message_ids,
        )
    )


def files_of_messages(database: Database, message_ids: list[str]) -> list[dict[str, Any]]:
    if not message_ids:
        return []
    marks = ", ".join("?" for _ in message_ids)
    return list(
        database.query(
            f"SELECT f.* FROM files f WHERE f.message_id IN ({marks}) AND {_SHOWN_FILES} "
            "ORDER BY f.body_section",
            message_ids,
        )
    )


def find_files(database: Database, account_id: str, filters: MailFilters) -> list[dict[str, Any]]:
    values: dict[str, Any] = {"account_id": account_id, "limit": filters.limit, "offset": filters.offset}
    name_filter = []
    if filters.file_name:
        name_filter.append(_match("f.file_name", filters.file_name, "file_name", values))
        filters = replace(filters, file_name=None)
    clauses = " AND ".join(
        ["m.account_id = :account_id", _SHOWN_FILES, *name_filter, *_mail_clauses(filters, values)]
    )
    return list(
        database.query(
            f"SELECT f.*, m.subject, m.date, m.date_indexed, m.addresses, m.email_message_id "
            f"FROM files f JOIN messages m ON m.id = f.message_id WHERE {clauses} "
            "ORDER BY m.date DESC, f.id LIMIT :limit OFFSET :offset",
            values,
        )
    )


def file(database: Database, account_id: str, file_id: str) -> dict[str, Any] | None:
    return next(
        database.query(
            "SELECT f.*, m.subject, m.date, m.date_indexed, m.addresses, m.email_message_id "
            "FROM files f JOIN messages m ON m.id = f.message_id WHERE m.account_id = ? AND f.id = ?",
            [account_id, file_id],
        ),
        None,
    )


# --- callback deliveries ------------------------------------------------------------------


def claim_due_callback(database: Database, now: int, lease_until: int) -> dict[str, Any] | None:
    with transaction(database):  # see claim_sync_job
        row = database.execute(
            """
        UPDATE callback_events SET lease_expires = :until
        WHERE id = (
            SELECT e.id FROM callback_events e
            WHERE e.state = 'pending' AND e.next_attempt_at <= :now AND e.lease_expires < :now
              AND NOT EXISTS (
                SELECT 1 FROM callback_events busy
                WHERE busy.consumer_key = e.consumer_key AND busy.state = 'pending'
                  AND busy.lease_expires >= :now)
            ORDER BY e.next_attempt_at, e.id LIMIT 1)
        RETURNING id
        """,
            {"now": now, "until": lease_until},
        ).fetchone()
    return None if row is None else callback_event(database, row[0])


def release_callback(database: Database, event_id: int) -> None:
    """Give back an event whose attempt the stopping worker broke off: not an attempt."""
    database.execute("UPDATE callback_events SET lease_expires = 0 WHERE id = ?", [event_id])


def callback_event(database: Database, event_id: int) -> dict[str, Any] | None:
    return next(database["callback_events"].rows_where("id = ?", [event_id]), None)


def record_callback_attempt(
    database: Database, event_id: int, attempt: dict[str, Any], outcome: dict[str, Any]
) -> None:
    """Log an attempt and apply its outcome to the event (delivered, failed, or retry later)."""
    with transaction(database):
        database["callback_attempts"].insert({**attempt, "event_id": event_id})
        database.execute(
            "UPDATE callback_events SET attempts = attempts + 1, lease_expires = 0, state = :state, "
            "next_attempt_at = :next_attempt_at, finished_at = :finished_at, last_error = :last_error "
            "WHERE id = :id",
            {**outcome, "id": event_id},
        )


def callback_events(database: Database) -> list[dict[str, Any]]:
    return list(database["callback_events"].rows_where(order_by="id"))


def callback_attempts(database: Database, event_id: int) -> list[dict[str, Any]]:
    return list(database["callback_attempts"].rows_where("event_id = ?", [event_id], order_by="id"))


def resend_callback(database: Database, event_id: int, now: int) -> bool:
    cursor = database.execute(
        "UPDATE callback_events SET state = 'pending', next_attempt_at = ?, lease_expires = 0, "
        "finished_at = NULL WHERE id = ? AND state != 'pending'",
        [now, event_id],
    )
    return cursor.rowcount == 1


# --- the connect helper ---------------------------------------------------------------------


def helper_account(database: Database, user_id: str) -> str | None:
    row = database.execute("SELECT account_id FROM helper_users WHERE user_id = ?", [user_id]).fetchone()
    return row[0] if row else None


def save_helper_account(database: Database, user_id: str, account_id: str, now: int) -> str:
    """Remember the user's account; if another request got there first, keep theirs."""
    database.execute(
        "INSERT INTO helper_users (user_id, account_id, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [user_id, account_id, now],
    )
    return helper_account(database, user_id) or account_id


def forget_helper_account(database: Database, user_id: str) -> None:
    database.execute("DELETE FROM helper_users WHERE user_id = ?", [user_id])


def synced_labels(database: Database, account_id: str) -> set[str]:
    """Sources whose initial-sync callback the receiver recorded."""
    return {
        row[0]
        for row in database.execute(
            "SELECT source_label FROM completed_syncs WHERE account_id = ?", [account_id]
        )
    }
