"""The statements SQLite and PostgreSQL spell differently, spelled once for both."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from .database import Database
from .statements import Prepared


def insert(database: Database, table: Table):
    """An INSERT that knows ``ON CONFLICT`` in the database's own dialect."""
    return (sqlite.insert if database.is_sqlite else postgresql.insert)(table)


def prepared_insert_ignoring_conflicts(table: Table) -> dict[str, Prepared]:
    """``INSERT … ON CONFLICT DO NOTHING`` on ``table``, prepared once per dialect; values
    come with each run."""
    return {
        "sqlite": Prepared(sqlite.insert(table).on_conflict_do_nothing()),
        "postgresql": Prepared(postgresql.insert(table).on_conflict_do_nothing()),
    }


def insert_ignoring_conflicts(database: Database, table: Table, *index_elements, where=None):
    statement = insert(database, table)
    if index_elements:
        return statement.on_conflict_do_nothing(index_elements=list(index_elements), index_where=where)
    return statement.on_conflict_do_nothing()


def insert_in(connection: Connection, table: Table):
    """An INSERT that knows ``ON CONFLICT``, in the dialect of the connection a transaction
    already holds."""
    return (sqlite.insert if connection.dialect.name == "sqlite" else postgresql.insert)(table)


def upsert(connection: Connection, table: Table, index_elements: list[str], update_columns: list[str]):
    """``INSERT … ON CONFLICT (index_elements) DO UPDATE`` of ``update_columns``."""
    statement = insert_in(connection, table)
    return statement.on_conflict_do_update(
        index_elements=index_elements, set_={name: statement.excluded[name] for name in update_columns}
    )
