"""OAuth providers an API client configured, and the connect tokens it hands its end users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from .database import Database
from .dialect import insert
from .schema import connect_tokens as tokens
from .schema import oauth_providers as providers_table


def save_provider(database: Database, provider: dict[str, Any]) -> None:
    """Add a provider, or give an existing key its new type and secret."""
    statement = insert(database, providers_table).values(**provider)
    database.write(
        statement.on_conflict_do_update(
            index_elements=[providers_table.c.consumer_key, providers_table.c.provider_consumer_key],
            set_={
                "type": statement.excluded.type,
                "provider_consumer_secret": statement.excluded.provider_consumer_secret,
            },
        )
    )


def provider(database: Database, consumer_key: str, provider_consumer_key: str) -> dict[str, Any] | None:
    return database.first(
        select(providers_table).where(
            providers_table.c.consumer_key == consumer_key,
            providers_table.c.provider_consumer_key == provider_consumer_key,
        )
    )


def providers(database: Database, consumer_key: str) -> list[dict[str, Any]]:
    return database.rows(
        select(providers_table)
        .where(providers_table.c.consumer_key == consumer_key)
        .order_by(providers_table.c.created, providers_table.c.provider_consumer_key)
    )


def delete_provider(database: Database, consumer_key: str, provider_consumer_key: str) -> None:
    database.write(
        delete(providers_table).where(
            providers_table.c.consumer_key == consumer_key,
            providers_table.c.provider_consumer_key == provider_consumer_key,
        )
    )


def insert_connect_token(database: Database, token: dict[str, Any]) -> None:
    database.write(tokens.insert(), token)


def _live(now: int):
    return (tokens.c.used > 0) | (tokens.c.expires > now)


def connect_token(database: Database, consumer_key: str, token: str, now: int) -> dict[str, Any] | None:
    """A token of this client that is used, or unused and not yet expired."""
    return database.first(
        select(tokens).where(tokens.c.token == token, tokens.c.consumer_key == consumer_key, _live(now))
    )


def live_connect_token(database: Database, token: str, now: int) -> dict[str, Any] | None:
    """A token as the end user's browser presents it: of whichever client, used or not expired."""
    return database.first(select(tokens).where(tokens.c.token == token, _live(now)))


def connect_tokens(
    database: Database,
    consumer_key: str,
    now: int,
    account_id: str | None = None,
    source_label: str | None = None,
) -> list[dict[str, Any]]:
    query = select(tokens).where(tokens.c.consumer_key == consumer_key, _live(now))
    if account_id is not None:
        query = query.where(tokens.c.account_id == account_id)
    if source_label is not None:
        query = query.where(tokens.c.source_label == source_label)
    return database.rows(query.order_by(tokens.c.created, tokens.c.token))


def mark_connect_token_used(database: Database, token: str, now: int, account_id: str, label: str) -> None:
    database.write(
        update(tokens)
        .where(tokens.c.token == token)
        .values(used=now, account_id=account_id, source_label=label)
    )


def delete_connect_token(database: Database, token: str) -> None:
    database.write(delete(tokens).where(tokens.c.token == token))


def forget_expired_connect_tokens(database: Database, now: int) -> None:
    database.write(delete(tokens).where(tokens.c.used == 0, tokens.c.expires <= now))
