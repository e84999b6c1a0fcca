"""One database, SQLite or PostgreSQL, behind one small object.

``CONNECT_DATABASE`` is a file path (SQLite, the embedded default) or a database URL. The
differences that matter for correctness live here:

- SQLite allows one writer at a time. A deferred transaction that reads before it writes can't
  wait for the lock (SQLite fails it at once with "database is locked" when another process
  committed in between), so write transactions begin ``BEGIN IMMEDIATE`` and queue for the
  lock up front; reads stay deferred and never block a writer (WAL).
- PostgreSQL runs writers side by side; the storage modules take row locks where two workers
  could race (``FOR UPDATE SKIP LOCKED``).

Storage functions run inside the caller's transaction when there is one (the domain groups
several writes with ``with transaction(database):``), else in one of their own.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import re2
from sqlalchemy import Connection, Engine, create_engine, event, literal, make_url, select, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.sql import Executable

from .statements import Prepared, run_on_driver

# Seconds a SQLite writer waits for another process's transaction before giving up.
BUSY_TIMEOUT = 30
_WRITE = "connect_write"
# "Inserted or not" is an INSERT … ON CONFLICT DO NOTHING's rowcount, which SQLAlchemy keeps
# only when asked to (it is reliable for UPDATE and DELETE alone otherwise).
ROWCOUNT = {"preserve_rowcount": True}


class DatabaseError(Exception):
    """The database can't be opened or used as configured; the message says why."""


def database_url(setting: str) -> str:
    """A SQLAlchemy URL for ``CONNECT_DATABASE``: a URL as given, a file path as SQLite."""
    if "://" in setting:
        try:
            url = make_url(setting)
        except ArgumentError:
            raise DatabaseError(f"CONNECT_DATABASE is not a database URL: {setting!r}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise DatabaseError("CONNECT_DATABASE must be a SQLite file or a postgresql+psycopg:// URL")
        if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{os.path.abspath(setting)}"


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re2._Regexp:
    """A case-insensitive RE2 pattern (linear-time matching); ``re2.error`` when RE2 can't take it."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = 8 << 20  # a pattern needing more memory than this is refused, not run
    return re2.compile(pattern, options)


def _regexp(pattern: str, value: str | None) -> bool:
    return value is not None and compile_regex(pattern).search(value) is not None


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT, "check_same_thread": False},
        pool_size=8,
        max_overflow=56,
        pool_timeout=BUSY_TIMEOUT,
        execution_options=ROWCOUNT,
    )

    @event.listens_for(engine, "connect")
    def configure(connection, _record) -> None:
        connection.isolation_level = None  # transactions are begun below, explicitly
        connection.create_function("regexp", 2, _regexp, deterministic=True)
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        # Writes take the lock up front; reads need no transaction of their own (each SELECT
        # reads one consistent snapshot) and so cost no extra round of BEGIN and ROLLBACK.
        if connection.info.get(_WRITE):
            connection.connection.driver_connection.execute("BEGIN IMMEDIATE")

    return engine


def _postgresql_engine(url: str) -> Engine:
    # psycopg prepares a statement after its fifth run, and PostgreSQL then keeps a generic
    # plan: an index window's inserts are planned once, not once a row (a third of their
    # cost). The lookups whose best plan depends on the values are never prepared (see
    # ``Prepared``): a plan kept from when the table was small had turned "which of these
    # 200 keys are known" into a sequential scan of the account's messages.
    return create_engine(url, pool_size=8, max_overflow=56, pool_recycle=3600, execution_options=ROWCOUNT)


_ANSWER = Prepared(select(literal(1).label("answer")))


class Database:
    """The engine, and this thread's connection to it.

    Each thread keeps one connection and reuses it (taking one from the pool costs more than a
    query); a write transaction runs on it, and storage functions called inside join it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        self.engine = _sqlite_engine(url) if self.dialect == "sqlite" else _postgresql_engine(url)
        self._local = threading.local()
        database = make_url(url).database if self.dialect == "sqlite" else None
        self._path = database if database and database != ":memory:" else None
        self._chores: dict[str, float] = {}
        self._chores_lock = threading.Lock()
        # SQLite has one writer at a time: this process's threads queue for it here, where a
        # released lock wakes the next thread at once, instead of in SQLite's busy handler,
        # which sleeps in steps growing to 100 ms. Other processes still meet SQLite's lock.
        self._writer = threading.Lock() if self.is_sqlite else None

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def due(self, chore: str, seconds: float) -> bool:
        """Whether ``chore`` (some housekeeping) is due in this process: at most once per
        ``seconds``."""
        now = time.monotonic()
        with self._chores_lock:
            if now - self._chores.get(chore, -seconds) < seconds:
                return False
            self._chores[chore] = now
        return True

    def _connection(self) -> Connection:
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or connection.closed or getattr(local, "pid", None) != os.getpid():
            connection = local.connection = self.engine.connect()
            local.pid = os.getpid()
        return connection

    def _discard(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                connection.invalidate()
                connection.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Writes that commit together (joined by nested uses in the same thread)."""
        if getattr(self._local, "depth", 0):
            self._local.depth += 1
            try:
                yield self._local.connection
            finally:
                self._local.depth -= 1
            return
        with self._one_writer():
            connection = self._connection()
            if connection.in_transaction():
                connection.rollback()  # a read's implicit transaction (PostgreSQL), not ours
            connection.info[_WRITE] = True
            self._local.depth = 1
            try:
                with connection.begin():
                    connection.info[_WRITE] = False
                    yield connection
            except SQLAlchemyError:
                self._discard()
                raise
            finally:
                self._local.depth = 0
                if not connection.closed:
                    connection.info[_WRITE] = False

    @contextlib.contextmanager
    def _one_writer(self) -> Iterator[None]:
        if self._writer is None:
            yield
            return
        if not self._writer.acquire(timeout=BUSY_TIMEOUT):
            raise DBAPIError.instance(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"), sqlite3.Error
            )
        try:
            yield
        finally:
            self._writer.release()

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[Connection]:
        """A write transaction no other process runs under the same ``name`` at the same time:
        for "read, and create if missing" at start-up, which every process of a deployment
        does at once. SQLite's ``BEGIN IMMEDIATE`` already serializes writers; PostgreSQL
        takes a transaction-scoped advisory lock."""
        with self.transaction() as connection:
            if not self.is_sqlite:
                key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield connection

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        if getattr(self._local, "depth", 0):
            yield self._local.connection
            return
        if not self.is_sqlite:
            with self._one_statement() as connection:
                yield connection
            return
        connection = self._connection()
        try:  # the driver is in autocommit: each SELECT reads its own snapshot
            yield connection
        except SQLAlchemyError:
            self._discard()
            raise

    @contextlib.contextmanager
    def _one_statement(self) -> Iterator[Connection]:
        """PostgreSQL: a statement atomic by itself (a read, or a single write) in autocommit.
        psycopg would send BEGIN before it and COMMIT or ROLLBACK after: three round trips
        where one does."""
        connection = self._connection()
        if connection.in_transaction():
            connection.rollback()
        driver = connection.connection.driver_connection
        driver.autocommit = True
        try:
            yield connection
        except SQLAlchemyError:
            self._discard()
            raise
        finally:
            if not connection.closed and connection.connection.is_valid:
                if connection.in_transaction():
                    connection.rollback()  # SQLAlchemy's own record of one; nothing is sent
                driver.autocommit = False

    def _single_write(self) -> contextlib.AbstractContextManager[Connection]:
        """Where one write statement runs: the open transaction, its own autocommit statement
        on PostgreSQL, or a transaction of its own (SQLite's writes take the lock up front)."""
        if self.is_sqlite or getattr(self._local, "depth", 0):
            return self.transaction()
        return self._one_statement()

    def rows(
        self, statement: Executable | Prepared, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        if isinstance(statement, Prepared):
            return self._run_prepared(statement, parameters or {})
        with self.reading() as connection:
            result = connection.execute(statement, parameters or {})
            names = tuple(result.keys())  # once, not a mapping object per row
            return [dict(zip(names, row, strict=True)) for row in result.all()]

    def first(
        self, statement: Executable | Prepared, parameters: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        if isinstance(statement, Prepared):
            found = self._run_prepared(statement, parameters or {})
            return found[0] if found else None
        with self.reading() as connection:
            row = connection.execute(statement, parameters or {}).first()
        return None if row is None else dict(row._mapping)

    def run(self, statement: Executable | Prepared, parameters: Mapping[str, Any]) -> int:
        """One write statement, inside the current transaction or in its own; its row count."""
        if isinstance(statement, Prepared):
            # one statement outside a transaction commits by itself (on SQLite, once this
            # process's turn to write came)
            if not self.is_sqlite or getattr(self._local, "depth", 0):
                return self._run_prepared(statement, parameters, rowcount=True)
            with self._one_writer():
                return self._run_prepared(statement, parameters, rowcount=True)
        with self._single_write() as connection:
            return connection.execute(statement, parameters).rowcount

    def _run_prepared(self, prepared: Prepared, parameters: Mapping[str, Any], rowcount: bool = False):
        """The statement compiled once, run on this thread's driver connection: in the open
        transaction if there is one, else by itself (autocommit, on both engines)."""
        if self.is_sqlite:
            try:
                return run_on_driver(self._connection(), prepared, parameters, rowcount)
            except SQLAlchemyError:
                self._discard()
                raise
        with self.reading() as connection:
            return run_on_driver(connection, prepared, parameters, rowcount)

    def scalar(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Any:
        with self.reading() as connection:
            return connection.execute(statement, parameters or {}).scalar()

    def write(self, statement: Executable, parameters: Any = None) -> CursorResult:
        """One statement; over a list of rows, in one transaction."""
        if isinstance(parameters, list | tuple):
            with self.transaction() as connection:
                return connection.execute(statement, parameters)
        with self._single_write() as connection:
            return connection.execute(statement, parameters) if parameters else connection.execute(statement)

    def write_returning(self, statement: Executable) -> dict[str, Any] | None:
        with self._single_write() as connection:
            row = connection.execute(statement).first()
        return None if row is None else dict(row._mapping)

    def is_reachable(self) -> bool:
        """Whether a query answers now (a pooled connection would outlive a deleted file)."""
        if self._path and not os.path.isfile(self._path):
            return False
        try:
            return self.first(_ANSWER) == {"answer": 1}
        except SQLAlchemyError:
            return False

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None and not connection.closed:
            connection.close()
        self._local.connection = None
        self.engine.dispose()


@contextlib.contextmanager
def transaction(database: Database) -> Iterator[Database]:
    """Group writes: the storage functions called inside commit together, or not at all."""
    with database.transaction():
        yield database


@contextlib.contextmanager
def exclusive(database: Database, name: str) -> Iterator[Database]:
    """Like ``transaction``, and no other process runs one under the same name meanwhile."""
    with database.exclusive(name):
        yield database
