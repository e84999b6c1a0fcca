"""OAuth providers: the client's own OAuth app (e.g. its Google client) that sources'
``provider_*`` tokens were issued to. The secret is write-only: stored encrypted, never shown."""

from __future__ import annotations

from typing import Any

from .. import storage
from .errors import Conflict, InvalidParameter, NotFound
from .tenant import Tenant

PROVIDER_TYPES = ("GMAIL_OAUTH2", "MSLIVECONNECT")


def add_provider(tenant: Tenant, kind: str, provider_consumer_key: str, secret: str) -> dict[str, Any]:
    """Add a provider, or replace the type and secret of one with the same key."""
    if kind not in PROVIDER_TYPES:
        raise InvalidParameter(f"type is required: one of {', '.join(PROVIDER_TYPES)}")
    row = {
        "consumer_key": tenant.consumer_key,
        "provider_consumer_key": provider_consumer_key,
        "type": kind,
        "created": tenant.now,
        "provider_consumer_secret": tenant.vault.encrypt(secret),
    }
    storage.save_provider(tenant.database, row)
    return row


def find_provider(tenant: Tenant, provider_consumer_key: str) -> dict[str, Any]:
    row = storage.provider(tenant.database, tenant.consumer_key, provider_consumer_key)
    if row is None:
        raise NotFound(f"oauth_provider {provider_consumer_key} not found")
    return row


def list_providers(tenant: Tenant) -> list[dict[str, Any]]:
    return storage.providers(tenant.database, tenant.consumer_key)


def delete_provider(tenant: Tenant, provider: dict[str, Any]) -> None:
    in_use = storage.sources_using_provider(
        tenant.database, tenant.consumer_key, provider["provider_consumer_key"]
    )
    if in_use:
        raise Conflict(
            f"oauth_provider {provider['provider_consumer_key']} is used by {in_use} source(s): "
            "delete or reconnect them first"
        )
    storage.delete_provider(tenant.database, tenant.consumer_key, provider["provider_consumer_key"])
