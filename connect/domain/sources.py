"""Sources: the mailboxes an account syncs from, their credentials, statuses and syncs.

The rules are Context.IO's (``seed-contextio-sources.txt``): a password, or the ``provider_*``
credentials of an OAuth provider the client configured. A new source or new credentials queue
a sync for the engine. The API parses its request strings into the values below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .. import storage
from .address_policy import normalise_hostname
from .errors import InvalidParameter, NotFound
from .tenant import Tenant

SYNC_PERIODS = ("1h", "4h", "12h", "24h")
DEFAULT_SYNC_PERIOD = "24h"
SYNC_OPTIONS = ("raw_file_list", "sync_all_folders", "sync_flags", "expunge_on_deleted_flag")


class SourceStatus(StrEnum):
    OK = "OK"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    CONNECTION_IMPOSSIBLE = "CONNECTION_IMPOSSIBLE"
    NO_ACCESS_TO_ALL_MAIL = "NO_ACCESS_TO_ALL_MAIL"
    TEMP_DISABLED = "TEMP_DISABLED"
    DISABLED = "DISABLED"


# Statuses the engine will not attempt a sync in, until the client resets them.
PAUSED = (SourceStatus.TEMP_DISABLED, SourceStatus.DISABLED)
WAITING_FOR_FIRST_SYNC = "Waiting for the initial sync"


@dataclass(frozen=True)
class Password:
    password: str


@dataclass(frozen=True)
class ProviderTokens:
    """Tokens issued to one of the client's ``oauth_providers``: an OAuth 2.0 refresh token,
    or an OAuth 1.0 token and its secret."""

    provider_consumer_key: str
    refresh_token: str | None = None
    token: str | None = None
    token_secret: str | None = None


Credentials = Password | ProviderTokens


@dataclass(frozen=True)
class SyncOptions:
    sync_period: str = DEFAULT_SYNC_PERIOD
    raw_file_list: bool = False
    sync_all_folders: bool = False
    sync_flags: bool = False
    expunge_on_deleted_flag: bool = False


@dataclass(frozen=True)
class NewSource:
    server: str
    port: int
    use_ssl: bool
    username: str
    credentials: Credentials | None
    options: SyncOptions = SyncOptions()
    callback_url: str | None = None
    status_callback_url: str | None = None


@dataclass(frozen=True)
class SourceChanges:
    """What an update asks for; None leaves a setting as it is."""

    sync_period: str | None = None
    options: dict[str, bool] | None = None  # of SYNC_OPTIONS, only those given
    status_callback_url: str | None = None
    credentials: Credentials | None = None
    enabled: bool | None = None  # True re-enables a paused source, False disables it
    force_status_check: bool = False


def status_filter(status: str | None, status_ok: bool | None) -> tuple[str, ...] | None:
    """The statuses that ``status`` / ``status_ok`` select; None selects every source."""
    selected = {status} if status else {s.value for s in SourceStatus}
    if status_ok is True:
        selected &= {SourceStatus.OK.value}
    elif status_ok is False:
        selected -= {SourceStatus.OK.value}
    if status is None and status_ok is None:
        return None
    return tuple(sorted(selected))


def find_source(tenant: Tenant, account_id: str, label: str) -> dict[str, Any]:
    """The source with this label (``0``: the account's first), or NotFound."""
    if storage.account(tenant.database, tenant.consumer_key, account_id) is None:
        raise NotFound(f"account {account_id} not found")
    row = (
        storage.first_source(tenant.database, account_id)
        if label == "0"
        else storage.source(tenant.database, account_id, label)
    )
    if row is None:
        raise NotFound(f"source {label} not found in account {account_id}")
    return row


def add_source(tenant: Tenant, account_id: str, email: str, source: NewSource) -> dict[str, Any]:
    """Check the server, URLs and credentials, store the source with its credentials encrypted,
    queue its first sync."""
    options = source.options
    if options.sync_period not in SYNC_PERIODS:
        raise InvalidParameter(f"sync_period must be one of {', '.join(SYNC_PERIODS)}")
    row = {
        "account_id": account_id,
        "email": email,
        "server": _server(tenant, source.server, source.port),
        "username": source.username,
        "port": source.port,
        "use_ssl": int(source.use_ssl),
        "type": "IMAP",
        "sync_period": options.sync_period,
        **{name: int(getattr(options, name)) for name in SYNC_OPTIONS},
        "callback_url": _callback_url(tenant, source.callback_url, "callback_url"),
        "status_callback_url": _callback_url(tenant, source.status_callback_url, "status_callback_url"),
        "status": SourceStatus.OK.value,
        "status_message": WAITING_FOR_FIRST_SYNC,
        "created": tenant.now,
    }
    if source.credentials is None:
        raise InvalidParameter(
            "a password, or provider_consumer_key with provider_refresh_token "
            "(or provider_token and provider_token_secret), is required"
        )
    row.update(_credential_columns(tenant, source.credentials))
    with storage.transaction(tenant.database):
        row["label"] = _new_label(email, storage.source_labels(tenant.database, account_id))
        row["id"] = storage.insert_source(tenant.database, row)
        storage.queue_sync(tenant.database, row["id"], "initial", tenant.now)
    return row


def update_source(tenant: Tenant, source: dict[str, Any], update: SourceChanges) -> dict[str, Any]:
    """Apply the seed's updates: ``status`` (1 re-enables, 0 disables), ``sync_period``,
    new credentials (which clear a credentials failure) and the sync options."""
    changes: dict[str, Any] = {}
    resync = update.force_status_check
    if update.sync_period is not None:
        if update.sync_period not in SYNC_PERIODS:
            raise InvalidParameter(f"sync_period must be one of {', '.join(SYNC_PERIODS)}")
        changes["sync_period"] = update.sync_period
    for name, value in (update.options or {}).items():
        if name not in SYNC_OPTIONS:
            raise InvalidParameter(f"{name} is not a sync option")
        changes[name] = int(value)
    if update.status_callback_url is not None:
        changes["status_callback_url"] = _callback_url(
            tenant, update.status_callback_url, "status_callback_url"
        )

    status = source["status"]
    if update.credentials is not None:
        changes.update(_credential_columns(tenant, update.credentials))
        resync = True
        if status in (SourceStatus.INVALID_CREDENTIALS, SourceStatus.TEMP_DISABLED):
            status = SourceStatus.OK.value
            changes["status_message"] = "New credentials: checking them"
    if update.enabled is not None:
        if update.enabled:
            if status in PAUSED:
                status = SourceStatus.OK.value
                changes["status_message"] = "Re-enabled: checking the connection"
            resync = True
        else:
            status = SourceStatus.DISABLED.value
            changes["status_message"] = "Disabled by the API client"
    if status != source["status"]:
        changes["status"] = status

    with storage.transaction(tenant.database):
        if changes:
            storage.update_source(tenant.database, source["id"], changes)
        if resync and status not in PAUSED:
            storage.queue_sync(tenant.database, source["id"], "update", tenant.now)
    return {**source, **changes}


def delete_source(tenant: Tenant, source: dict[str, Any]) -> None:
    storage.delete_source(tenant.database, source["id"])


def sync_status(tenant: Tenant, sources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    pending = storage.pending_syncs(tenant.database, [source["id"] for source in sources])
    return {
        source["label"]: {
            "initial_import_finished": bool(source["initial_import_finished"]),
            "last_sync_start": source["last_sync_start"],
            "last_sync_stop": source["last_sync_stop"],
            "last_expunge": source["last_expunge"],
            "sync_queued": source["id"] in pending,
        }
        for source in sources
    }


def queue_syncs(tenant: Tenant, sources: list[dict[str, Any]]) -> list[str]:
    """Queue a sync of every source that is not paused; the labels that will sync."""
    queued = []
    for source in sources:
        if source["status"] not in PAUSED:
            storage.queue_sync(tenant.database, source["id"], "requested", tenant.now)
            queued.append(source["label"])
    return queued


def _server(tenant: Tenant, server: str, port: int) -> str:
    """A well-formed host the address policy lets the server connect to (checked again, on
    the address actually connected to, at every sync)."""
    host = normalise_hostname(server, "server")
    tenant.policy.check_host(host, port, "server")
    return host


def _callback_url(tenant: Tenant, url: str | None, name: str) -> str | None:
    if url is None:
        return None
    return tenant.policy.check_url(url, name)


def _credential_columns(tenant: Tenant, credentials: Credentials) -> dict[str, Any]:
    """The credential columns, encrypted; those of the other kinds of credentials cleared."""
    vault = tenant.vault
    columns: dict[str, Any] = dict.fromkeys(
        ("password", "provider_consumer_key", "provider_token", "provider_token_secret",
         "provider_refresh_token")
    )  # fmt: skip
    if isinstance(credentials, Password):
        return {**columns, "authentication_type": "password", "password": vault.encrypt(credentials.password)}
    key = credentials.provider_consumer_key
    if storage.provider(tenant.database, tenant.consumer_key, key) is None:
        raise InvalidParameter(
            f"provider_consumer_key {key!r} is not one of your oauth_providers: add it there first"
        )
    if credentials.refresh_token is not None:
        return {
            **columns,
            "authentication_type": "oauth2",
            "provider_consumer_key": key,
            "provider_refresh_token": vault.encrypt(credentials.refresh_token),
        }
    if credentials.token is None or credentials.token_secret is None:
        raise InvalidParameter(
            "with provider_consumer_key, give provider_refresh_token (OAuth 2.0) "
            "or both provider_token and provider_token_secret (OAuth 1.0)"
        )
    return {
        **columns,
        "authentication_type": "oauth1",
        "provider_consumer_key": key,
        "provider_token": vault.encrypt(credentials.token),
        "provider_token_secret": vault.encrypt(credentials.token_secret),
    }


def _new_label(email: str, taken: set[str]) -> str:
    """A URL-safe label from the address (``alice.example.com``), unique in the account.

    ``0`` is never a label: it is the alias of an account's first source."""
    base = re.sub(r"[^a-z0-9._-]+", ".", email.lower().replace("@", ".")).strip(".") or "source"
    label, number = base, 1
    while label in taken or label == "0":
        number += 1
        label = f"{base}-{number}"
    return label
