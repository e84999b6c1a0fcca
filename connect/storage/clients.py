"""API clients of the sources API, the nonces their signed requests used, and the rewrite of
every encrypted column when ``SECRET_KEY`` rotates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from .database import Database
from .dialect import prepared_insert_ignoring_conflicts
from .schema import api_clients, oauth_nonces, oauth_providers, settings, sources
from .statements import Prepared

_NEW_NONCE = prepared_insert_ignoring_conflicts(oauth_nonces)


def insert_api_client(database: Database, client: dict[str, Any]) -> None:
    database.write(api_clients.insert(), client)


# Built once: the statements every signed request runs (building one costs more than running it).
_API_CLIENT = Prepared(select(api_clients).where(api_clients.c.consumer_key == bindparam("key")))
_FORGET_NONCES = delete(oauth_nonces).where(oauth_nonces.c.timestamp < bindparam("before"))


def api_client(database: Database, consumer_key: str) -> dict[str, Any] | None:
    return database.first(_API_CLIENT, {"key": consumer_key})


def api_client_named(database: Database, name: str) -> dict[str, Any] | None:
    return database.first(
        select(api_clients).where(api_clients.c.name == name).order_by(api_clients.c.created).limit(1)
    )


def api_clients_list(database: Database) -> list[dict[str, Any]]:
    return database.rows(select(api_clients).order_by(api_clients.c.created, api_clients.c.consumer_key))


def api_client_name(database: Database, consumer_key: str) -> str:
    name = database.scalar(select(api_clients.c.name).where(api_clients.c.consumer_key == consumer_key))
    return name or "this app"


def set_app_status_callback_url(database: Database, consumer_key: str, url: str | None) -> None:
    database.write(
        update(api_clients).where(api_clients.c.consumer_key == consumer_key).values(status_callback_url=url)
    )


def use_nonce(database: Database, consumer_key: str, nonce: str, timestamp: int, forget_before: int) -> bool:
    """Record a nonce; False when it was already used. Forgets nonces older than the window."""
    if database.due("forget-nonces", 60):  # once a minute is enough to keep the table small
        database.run(_FORGET_NONCES, {"before": forget_before})
    new = {"consumer_key": consumer_key, "nonce": nonce, "timestamp": timestamp}
    return database.run(_NEW_NONCE[database.dialect], new) == 1


_ENCRYPTED = (
    (api_clients, (api_clients.c.consumer_key,), ("consumer_secret",)),
    (
        oauth_providers,
        (oauth_providers.c.consumer_key, oauth_providers.c.provider_consumer_key),
        ("provider_consumer_secret",),
    ),
    (
        sources,
        (sources.c.id,),
        ("password", "provider_token", "provider_token_secret", "provider_refresh_token"),
    ),
)


def replace_encrypted(database: Database, transform: Callable[[bytes], bytes]) -> int:
    """Rewrite every encrypted column through ``transform``; how many values changed.

    One transaction: a key rotation either re-encrypts everything or nothing."""
    changed = 0
    with database.transaction() as connection:
        for table, keys, names in _ENCRYPTED:
            columns = [table.c[name] for name in names]
            for row in connection.execute(select(*keys, *columns)).mappings().all():
                updates = {name: transform(row[name]) for name in names if row[name] is not None}
                if updates:
                    where = [key == row[key.name] for key in keys]
                    connection.execute(update(table).where(*where).values(**updates))
                    changed += len(updates)
    return changed


KEY_FINGERPRINT = "secret_key_fingerprint"


def bind_secret_key(database: Database, fingerprint: str, accepted: tuple[str, ...]) -> str | None:
    """Record the key this database's credentials are encrypted under, on first use; the
    recorded one when it is neither ``fingerprint`` nor one of ``accepted`` (a mismatch)."""
    with database.exclusive(KEY_FINGERPRINT) as connection:
        row = connection.execute(select(settings.c.value).where(settings.c.name == KEY_FINGERPRINT)).first()
        if row is None:
            connection.execute(settings.insert().values(name=KEY_FINGERPRINT, value=fingerprint))
            return None
    return None if row.value in (fingerprint, *accepted) else row.value


def rebind_secret_key(database: Database, fingerprint: str) -> None:
    """After re-encrypting every credential: the database now belongs to the current key."""
    database.write(update(settings).where(settings.c.name == KEY_FINGERPRINT).values(value=fingerprint))


def any_consumer_secret(database: Database) -> bytes | None:
    """One stored ciphertext, to check a key against."""
    return database.scalar(select(api_clients.c.consumer_secret).limit(1))
