"""What every table is declared with: the shared metadata, its naming convention, and the
column kinds the tables use (64-bit integers, texts with server defaults)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, Text, text

NAMING = {
    "ix": "%(table_name)s_%(column_0_N_name)s_index",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite makes an INTEGER PRIMARY KEY the rowid (and so assigns it); PostgreSQL wants BIGINT.
RowId = BigInteger().with_variant(Integer(), "sqlite")


def integer_column(name: str, *, default: int | None = 0, nullable: bool = False) -> Column:
    return Column(
        name,
        BigInteger,
        nullable=nullable,
        server_default=None if default is None else text(str(default)),
    )


def text_column(name: str, *, default: str | None = None, nullable: bool = False) -> Column:
    return Column(name, Text, nullable=nullable, server_default=None if default is None else default)
