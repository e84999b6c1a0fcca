"""Alembic's entry point: runs on the connection ``connect.storage.migrations`` hands it.

The whole upgrade is one transaction that holds the write lock (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: an advisory lock), so processes starting together migrate once.
"""

from alembic import context

from connect.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
