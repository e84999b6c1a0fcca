"""Accounts: an API client's end users, each merging its sources into one data set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import storage
from . import sources
from .errors import NotFound
from .ids import time_ordered_id
from .tenant import Tenant


@dataclass(frozen=True)
class NewAccount:
    email: str
    first_name: str = ""
    last_name: str = ""


def create_account(
    tenant: Tenant, new: NewAccount, source: sources.NewSource | None = None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The new account, and its first source when the call carried one."""
    account = {
        "id": time_ordered_id(),
        "consumer_key": tenant.consumer_key,
        "email": new.email,
        "first_name": new.first_name,
        "last_name": new.last_name,
        "created": tenant.now,
        "suspended": 0,
        "aliases": "[]",
    }
    if source is None:
        storage.insert_account(tenant.database, account)
        return account, None
    with storage.transaction(tenant.database):  # the account with its source, or neither
        storage.insert_account(tenant.database, account)
        row = sources.add_source(tenant, account["id"], new.email, source)
    return account, row


def find_account(tenant: Tenant, account_id: str) -> dict[str, Any]:
    account = storage.account(tenant.database, tenant.consumer_key, account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


def list_accounts(
    tenant: Tenant,
    *,
    email: str | None = None,
    statuses: tuple[str, ...] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Accounts with their sources; with a status filter, only the matching sources are listed."""
    rows = storage.accounts(
        tenant.database, tenant.consumer_key, email=email, statuses=statuses, limit=limit, offset=offset
    )
    by_account: dict[str, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    for source in storage.sources_of(tenant.database, list(by_account), statuses):
        by_account[source["account_id"]].append(source)
    return [(row, by_account[row["id"]]) for row in rows]


def account_sources(
    tenant: Tenant, account_id: str, statuses: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    return storage.sources_of(tenant.database, [account_id], statuses)


def update_account(tenant: Tenant, account: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """New ``first_name`` / ``last_name``; names not given stay."""
    changes = {name: value for name, value in names.items() if name in ("first_name", "last_name")}
    if changes:
        storage.update_account(tenant.database, account["id"], changes)
    return {**account, **changes}


def delete_account(tenant: Tenant, account: dict[str, Any]) -> None:
    """Everything of the account goes with it: sources, credentials, index, pending syncs."""
    storage.delete_account(tenant.database, account["id"])
