"""API clients: who may call the sources API, and the secret each signs with.

A consumer secret is both what a client signs its requests with and what the server signs
that client's callbacks with, so the server must be able to read it back: it is stored
encrypted, not hashed, and shown to a person once, when it is made.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from .. import storage
from ..storage import Database
from .crypto import Vault
from .errors import InvalidParameter
from .tenant import Tenant


@dataclass(frozen=True)
class ApiClient:
    name: str
    consumer_key: str
    consumer_secret: str


def create_client(database: Database, vault: Vault, name: str) -> ApiClient:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidParameter("an API client needs a name of 1 to 200 characters")
    client = ApiClient(
        name=name,
        consumer_key=secrets.token_hex(12),  # 96 bits: an identifier, not a secret
        consumer_secret=secrets.token_urlsafe(24),  # 192 bits
    )
    storage.insert_api_client(
        database,
        {
            "consumer_key": client.consumer_key,
            "name": client.name,
            "consumer_secret": vault.encrypt(client.consumer_secret),
            "created": int(time.time()),
        },
    )
    return client


def consumer_secret(database: Database, vault: Vault, consumer_key: str) -> str | None:
    row = storage.api_client(database, consumer_key)
    return None if row is None else vault.decrypt(row["consumer_secret"])


def development_client(database: Database, vault: Vault, name: str) -> ApiClient:
    """The client a development setup's own helper uses, made on first run and kept."""
    with storage.exclusive(database, f"client {name}"):  # every process starts at once
        row = storage.api_client_named(database, name)
        if row is None:
            return create_client(database, vault, name)
    return ApiClient(row["name"], row["consumer_key"], vault.decrypt(row["consumer_secret"]))


def app_status_callback_url(tenant: Tenant) -> str | None:
    """Where every status change of every source of this client is told (``/app/…``)."""
    row = storage.api_client(tenant.database, tenant.consumer_key)
    return row["status_callback_url"] if row else None


def set_app_status_callback_url(tenant: Tenant, url: str | None) -> None:
    checked = None if url is None else tenant.policy.check_url(url, "status_callback_url")
    storage.set_app_status_callback_url(tenant.database, tenant.consumer_key, checked)
