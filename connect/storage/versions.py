"""The schema's version: upgrading it (Alembic), reading it, and refusing to run on an old one.

SQLite upgrades itself at start-up, so the embedded default needs no extra step. On PostgreSQL
the upgrade is a deploy step (``flask --app app db upgrade``) and a process started against an
older schema stops at once, naming that command. A SQLite file from before Alembic
(``PRAGMA user_version``) is brought to the last such version and adopted as it stands.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from .database import Database, DatabaseError
from .legacy import LEGACY_STEPS

MIGRATIONS = Path(__file__).with_name("migrations")
logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per step is for the CLI to say
ADOPTED_REVISION = "0001"  # the tables of user_version 4, exactly
UPGRADE_COMMAND = "flask --app app db upgrade"
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('connect-schema-upgrade'))")


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head() -> str:
    """This release's revision (read from the migration scripts once per process)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current(database: Database) -> str | None:
    with database.reading() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(database: Database) -> str:
    """Bring the schema to this release's head; the revision it is at now."""
    with database.transaction() as connection:
        if not database.is_sqlite:
            connection.execute(_LOCK)
        _adopt_legacy_file(connection)
        if MigrationContext.configure(connection).get_current_revision() != head():
            command.upgrade(_config(connection), "head")
    return head()


def check_current(database: Database) -> None:
    """DatabaseError, naming the upgrade command, unless the schema is this release's."""
    found, wanted = current(database), head()
    if found != wanted:
        at = f"revision {found}" if found else "empty"
        raise DatabaseError(
            f"the database schema is {at}, this release needs revision {wanted}: run `{UPGRADE_COMMAND}`"
        )


def _adopt_legacy_file(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    version = connection.exec_driver_sql("PRAGMA user_version").scalar()
    if not version or "alembic_version" in inspect(connection).get_table_names():
        return
    if version > len(LEGACY_STEPS):
        raise DatabaseError(f"this SQLite file was written by a newer release (user_version {version})")
    for number, statements in enumerate(LEGACY_STEPS[version:], start=version + 1):
        for statement in statements:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(f"PRAGMA user_version = {number}")
    command.stamp(_config(connection), ADOPTED_REVISION)
