"""Sources: the mailboxes an account syncs from, their credentials, statuses and syncs.

Parameters and their rules are Context.IO's (``seed-contextio-sources.txt``): a password, or
the ``provider_*`` credentials of an OAuth provider the client configured, in which case the
password is ignored. A new source or new credentials queue a sync for the engine.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from . import storage
from .address_policy import normalise_hostname
from .errors import InvalidParameter, NotFound
from .parameters import Parameters
from .tenant import Tenant

SYNC_PERIODS = ("1h", "4h", "12h", "24h")
DEFAULT_SYNC_PERIOD = "24h"
PROVIDER_PARAMETERS = (
    "provider_token",
    "provider_token_secret",
    "provider_refresh_token",
    "provider_consumer_key",
)


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


def status_filter(parameters: Parameters) -> tuple[str, ...] | None:
    """The statuses that ``status`` / ``status_ok`` select; None selects every source."""
    status = parameters.choice("status", [status.value for status in SourceStatus])
    status_ok = parameters.flag("status_ok") if parameters.given("status_ok") else None
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


def add_source(tenant: Tenant, account_id: str, email: str, parameters: Parameters) -> dict[str, Any]:
    """Validate every parameter, store the source with encrypted credentials, queue its first sync."""
    row = {
        "account_id": account_id,
        "email": email,
        "server": _server(tenant, parameters),
        "username": parameters.text("username", required=True, max_length=320),
        "port": parameters.integer("port", minimum=1, maximum=65535, required=True),
        "use_ssl": _use_ssl(parameters),
        "type": _source_type(parameters),
        "sync_period": parameters.choice("sync_period", SYNC_PERIODS, default=DEFAULT_SYNC_PERIOD),
        "raw_file_list": int(parameters.flag("raw_file_list")),
        "sync_all_folders": int(parameters.flag("sync_all_folders")),
        "sync_flags": int(parameters.flag("sync_flags")),
        "expunge_on_deleted_flag": int(parameters.flag("expunge_on_deleted_flag")),
        "callback_url": _callback_url(tenant, parameters, "callback_url"),
        "status_callback_url": _callback_url(tenant, parameters, "status_callback_url"),
        "status": SourceStatus.OK.value,
        "status_message": WAITING_FOR_FIRST_SYNC,
        "created": tenant.now,
    }
    credentials = _credentials(tenant, parameters)
    if credentials is None:
        raise InvalidParameter(
            "a password, or provider_consumer_key with provider_refresh_token "
            "(or provider_token and provider_token_secret), is required"
        )
    row.update(credentials)
    with storage.transaction(tenant.database):
        row["label"] = _new_label(email, storage.source_labels(tenant.database, account_id))
        row["id"] = storage.insert_source(tenant.database, row)
        storage.queue_sync(tenant.database, row["id"], "initial", tenant.now)
    return row


def update_source(tenant: Tenant, source: dict[str, Any], parameters: Parameters) -> dict[str, Any]:
    """Apply the seed's updates: ``status`` (1 re-enables, 0 disables), ``sync_period``,
    new credentials (which clear a credentials failure) and the sync options."""
    changes: dict[str, Any] = {}
    resync = parameters.flag("force_status_check")
    if parameters.given("sync_period"):
        changes["sync_period"] = parameters.choice("sync_period", SYNC_PERIODS)
    for name in ("raw_file_list", "sync_all_folders", "sync_flags", "expunge_on_deleted_flag"):
        if parameters.given(name):
            changes[name] = int(parameters.flag(name))
    if parameters.given("status_callback_url"):
        changes["status_callback_url"] = _callback_url(tenant, parameters, "status_callback_url")

    credentials = _credentials(tenant, parameters)
    status = source["status"]
    if credentials is not None:
        changes.update(credentials)
        resync = True
        if status in (SourceStatus.INVALID_CREDENTIALS, SourceStatus.TEMP_DISABLED):
            status = SourceStatus.OK.value
            changes["status_message"] = "New credentials: checking them"
    if parameters.given("status"):
        if parameters.flag("status"):
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


def _server(tenant: Tenant, parameters: Parameters) -> str:
    """A well-formed host the address policy lets the server connect to (checked again, on
    the address actually connected to, at every sync)."""
    server = normalise_hostname(parameters.text("server", required=True, max_length=253), "server")
    port = parameters.integer("port", minimum=1, maximum=65535) or 993
    tenant.policy.check_host(server, port, "server")
    return server


def _use_ssl(parameters: Parameters) -> int:
    # The seed: "Set to 1 if you want SSL … Any other value will be considered as do not use SSL".
    value = parameters.text("use_ssl", required=True)
    return int(value.lower() in ("1", "true"))


def _source_type(parameters: Parameters) -> str:
    value = parameters.text("type", required=True)
    if value.upper() != "IMAP":
        raise InvalidParameter("type must be IMAP, the only supported source type")
    return "IMAP"


def _callback_url(tenant: Tenant, parameters: Parameters, name: str) -> str | None:
    url = parameters.text(name, max_length=2048)
    if url is None:
        return None
    return tenant.policy.check_url(url, name)


def _credentials(tenant: Tenant, parameters: Parameters) -> dict[str, Any] | None:
    """Encrypted credential columns for what the parameters carry; None when they carry none."""
    vault = tenant.vault
    if parameters.any_given(PROVIDER_PARAMETERS):
        key = parameters.text("provider_consumer_key", max_length=512)
        if key is None:
            raise InvalidParameter("provider_consumer_key is required with provider_* credentials")
        if storage.provider(tenant.database, tenant.consumer_key, key) is None:
            raise InvalidParameter(
                f"provider_consumer_key {key!r} is not one of your oauth_providers: add it there first"
            )
        cleared = {"password": None, "provider_token": None, "provider_token_secret": None}
        refresh_token = parameters.secret("provider_refresh_token")
        if refresh_token is not None:
            return {
                **cleared,
                "authentication_type": "oauth2",
                "provider_consumer_key": key,
                "provider_refresh_token": vault.encrypt(refresh_token),
            }
        token, token_secret = parameters.secret("provider_token"), parameters.secret("provider_token_secret")
        if token is None or token_secret is None:
            raise InvalidParameter(
                "with provider_consumer_key, give provider_refresh_token (OAuth 2.0) "
                "or both provider_token and provider_token_secret (OAuth 1.0)"
            )
        return {
            **cleared,
            "authentication_type": "oauth1",
            "provider_consumer_key": key,
            "provider_token": vault.encrypt(token),
            "provider_token_secret": vault.encrypt(token_secret),
            "provider_refresh_token": None,
        }
    password = parameters.secret("password")
    if password is None:
        return None
    return {
        "authentication_type": "password",
        "password": vault.encrypt(password),
        "provider_consumer_key": None,
        "provider_token": None,
        "provider_token_secret": None,
        "provider_refresh_token": None,
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
