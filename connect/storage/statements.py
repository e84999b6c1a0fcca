"""Statements run the fast way: compiled once and handed straight to the driver (sqlite3 or
psycopg), where SQLAlchemy would redo its per-execution work (parameter assembly, result
wrapping) on every run; and lists bound as one parameter, so a statement's SQL stays the same
whatever the list. Many-row inserts go straight to SQLite's driver too."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

import orjson
import psycopg
from sqlalchemy import ColumnElement, Connection, Dialect, Engine, Text, TypeDecorator, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal


class Prepared:
    """A statement built once at import and run many times with new values: compiled once per
    engine and run straight on the driver, where SQLAlchemy would redo its per-execution work
    each time (it cost several times what SQLite takes to answer a lookup by key). Results
    come back as the driver gives them. No expanding IN lists (``InList`` binds a list)."""

    def __init__(self, statement: Executable, *, planned_each_run: bool = False) -> None:
        self.statement = statement
        # PostgreSQL: never prepared, so planned for each run's values. A lookup of keys among
        # an account's rows needs that: a plan kept from when the table was small scans it.
        self.planned_each_run = planned_each_run
        # per dialect: the SQL, its positional bind names, the compiled form, and whether the
        # values can be passed as given (positional, and no bind needs a type conversion)
        self._compiled: dict[str, tuple[str, tuple[str, ...], Any, bool]] = {}

    def compiled(self, engine: Engine) -> tuple[str, tuple[str, ...], Any, bool]:
        found = self._compiled.get(engine.dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=engine.dialect)
            plain = compiled.positional and not compiled._bind_processors
            found = (compiled.string, tuple(compiled.positiontup or ()), compiled, plain)
            self._compiled[engine.dialect.name] = found
        return found

    def values(self, engine: Engine, parameters: Mapping[str, Any]) -> tuple[str, list[Any] | dict[str, Any]]:
        """The SQL and its values, in the driver's style (positional for SQLite, named for
        psycopg). Where every bind is given and none needs a type conversion, they are taken as
        given: SQLAlchemy's own assembly costs half of what SQLite takes to insert the row."""
        sql, names, compiled, plain = self.compiled(engine)
        if plain and all(name in parameters for name in names):
            return sql, [parameters[name] for name in names]
        values = compiled.construct_params(parameters)
        convert = compiled._bind_processors
        for name in convert.keys() & values.keys():
            values[name] = convert[name](values[name])
        return sql, [values[name] for name in names] if compiled.positional else values


def run_on_driver(
    connection: Connection, prepared: Prepared, parameters: Mapping[str, Any], rowcount: bool = False
) -> Any:
    """``prepared`` on this connection's driver, in its transaction if one is open: its rows as
    dicts, or with ``rowcount`` how many it changed. Driver errors are SQLAlchemy's, as from
    ``Connection.execute``."""
    sql, values = prepared.values(connection.engine, parameters)
    driver = connection.connection.driver_connection
    try:
        if connection.dialect.name == "sqlite":
            cursor = driver.execute(sql, values)
        else:
            cursor = driver.execute(sql, values, prepare=False if prepared.planned_each_run else None)
    except (sqlite3.Error, psycopg.Error) as error:
        base = sqlite3.Error if isinstance(error, sqlite3.Error) else psycopg.Error
        raise DBAPIError.instance(sql, None, error, base) from error
    if rowcount:
        return cursor.rowcount
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def execute_many(connection: Connection, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """One statement over many rows, inside the caller's transaction. On SQLite it is compiled
    once and run straight on the driver: SQLAlchemy's per-row work (its parameter assembly) cost
    a third of an index window's time. Anything needing a type conversion goes through SQLAlchemy."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(statement, rows)
        return
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    names = compiled.positiontup or ()
    fixed = {  # values written into the statement itself (a CASE's literal, say)
        name: compiled.binds[name].effective_value
        for name in names
        if name not in rows[0] and not compiled.binds[name].required
    }
    if compiled._bind_processors:  # a type needs converting: SQLAlchemy's way
        connection.execute(statement, rows)
        return
    try:
        values = [[row[name] if name in row else fixed[name] for name in names] for row in rows]
    except KeyError:  # a row lacks a value the first one had: SQLAlchemy says which
        connection.execute(statement, rows)
        return
    try:
        connection.connection.driver_connection.executemany(compiled.string, values)
    except sqlite3.Error as error:
        raise DBAPIError.instance(compiled.string, None, error, sqlite3.Error) from error


class _ValueList(TypeDecorator):
    """A list of values bound as one parameter: a JSON array on SQLite (read by ``json_each``),
    an array on PostgreSQL."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        return dialect.type_descriptor(ARRAY(Text) if dialect.name == "postgresql" else Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return orjson.dumps(list(value)).decode() if dialect.name == "sqlite" else list(value)


class InList(ColumnElement[bool]):
    """``column IN (the values of one bound list)``. SQLAlchemy's expanding IN writes a
    placeholder per value into the SQL on every run (a page's 100 ids cost more to bind than to
    look up); this statement stays the same whatever the list, so it is compiled once."""

    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("parameter", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.parameter = bindparam(name, type_=_ValueList())


@compiles(InList, "sqlite")
def _in_json_array(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.parameter, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(InList)
def _any_of_array(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.parameter, **kw)
    return f"{column} = ANY({values})"
