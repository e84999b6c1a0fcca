"""Plain SQL against a test's database, to set up a state or look at one (SQLite or PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from connect.storage import Database, database_url


def run_sql(database: Database | str, statement: str, **parameters: Any) -> list[dict[str, Any]]:
    """One statement, committed; its rows, if it returns any. ``database`` is a Database or a
    ``CONNECT_DATABASE`` setting (opened for this statement)."""
    owned = isinstance(database, str)
    opened = Database(database_url(database)) if owned else database
    try:
        with opened.transaction() as connection:
            result = connection.execute(text(statement), parameters)
            return [dict(row._mapping) for row in result] if result.returns_rows else []
    finally:
        if owned:
            opened.close()
