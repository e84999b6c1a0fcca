"""Accounts and their sources, as API clients create and change them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, select, update

from .contacts import keeping_contacts
from .database import Database
from .index import forget_orphan_messages
from .schema import accounts as accounts_table
from .schema import sources
from .statements import Prepared

_INSERT_ACCOUNT = Prepared(accounts_table.insert())


def insert_account(database: Database, account: dict[str, Any]) -> None:
    database.run(_INSERT_ACCOUNT, account)


_ACCOUNT = Prepared(
    select(accounts_table).where(
        accounts_table.c.id == bindparam("account_id"), accounts_table.c.consumer_key == bindparam("key")
    )
)
_SOURCES_OF = (
    select(sources)
    .where(sources.c.account_id.in_(bindparam("account_ids", expanding=True)))
    .order_by(sources.c.account_id, sources.c.id)
)


_ACCOUNTS_PAGE = Prepared(
    select(accounts_table)
    .where(accounts_table.c.consumer_key == bindparam("key"))
    .order_by(accounts_table.c.created, accounts_table.c.id)
    .limit(bindparam("limit", literal_execute=False))
    .offset(bindparam("offset"))
)


def account(database: Database, consumer_key: str, account_id: str) -> dict[str, Any] | None:
    return database.first(_ACCOUNT, {"account_id": account_id, "key": consumer_key})


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
    address (in any case), ``statuses`` keeps accounts with a source in one of them."""
    a = accounts_table
    if email is None and statuses is None:
        page = {"key": consumer_key, "offset": offset, "limit": 2**62 if limit is None else limit}
        return database.rows(_ACCOUNTS_PAGE, page)
    query = select(a).where(a.c.consumer_key == consumer_key)
    if email is not None:
        wanted = email.lower()
        query = query.where(
            (func.lower(a.c.email) == wanted)
            | exists().where(sources.c.account_id == a.c.id, func.lower(sources.c.email) == wanted)
        )
    if statuses is not None:
        query = query.where(exists().where(sources.c.account_id == a.c.id, sources.c.status.in_(statuses)))
    query = query.order_by(a.c.created, a.c.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return database.rows(query)


def update_account(database: Database, account_id: str, changes: dict[str, Any]) -> None:
    if not changes:
        return
    statement = update(accounts_table).where(accounts_table.c.id == account_id).values(**changes)
    if not {"email", "aliases"} & changes.keys():  # the account's own addresses stay as they are
        database.write(statement)
        return
    with database.transaction() as connection, keeping_contacts(connection, account_id):
        connection.execute(statement)


def delete_account(database: Database, account_id: str) -> None:
    database.write(delete(accounts_table).where(accounts_table.c.id == account_id))


def insert_source(database: Database, source: dict[str, Any]) -> int:
    row = {name: value for name, value in source.items() if name != "id"}
    with database.transaction() as connection, keeping_contacts(connection, row["account_id"]):
        return connection.execute(sources.insert().values(**row).returning(sources.c.id)).scalar_one()


def sources_of(
    database: Database, account_ids: list[str], statuses: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Sources of these accounts, each account's in creation order (its first is label 0)."""
    if not account_ids:
        return []
    if statuses is None:
        return database.rows(_SOURCES_OF, {"account_ids": list(account_ids)})
    query = select(sources).where(sources.c.account_id.in_(account_ids), sources.c.status.in_(statuses))
    return database.rows(query.order_by(sources.c.account_id, sources.c.id))


def source(database: Database, account_id: str, label: str) -> dict[str, Any] | None:
    return database.first(select(sources).where(sources.c.account_id == account_id, sources.c.label == label))


def source_by_id(database: Database, source_id: int) -> dict[str, Any] | None:
    return database.first(select(sources).where(sources.c.id == source_id))


def first_source(database: Database, account_id: str) -> dict[str, Any] | None:
    return database.first(
        select(sources).where(sources.c.account_id == account_id).order_by(sources.c.id).limit(1)
    )


def source_labels(database: Database, account_id: str) -> set[str]:
    return {
        row["label"]
        for row in database.rows(select(sources.c.label).where(sources.c.account_id == account_id))
    }


def delete_source(database: Database, source_id: int) -> None:
    """The source, its folders and index; messages no other source of the account holds."""
    with database.transaction() as connection:
        account_id = connection.execute(
            select(sources.c.account_id).where(sources.c.id == source_id)
        ).scalar()
        if account_id:
            with keeping_contacts(connection, account_id):
                connection.execute(delete(sources).where(sources.c.id == source_id))
                forget_orphan_messages(database, account_id)


def sources_using_provider(database: Database, consumer_key: str, provider_consumer_key: str) -> int:
    return database.scalar(
        select(func.count())
        .select_from(sources.join(accounts_table, accounts_table.c.id == sources.c.account_id))
        .where(
            and_(
                accounts_table.c.consumer_key == consumer_key,
                sources.c.provider_consumer_key == provider_consumer_key,
            )
        )
    )
