"""Accounts: an API client's end users, each merging its sources into one data set."""

from __future__ import annotations

from typing import Any

from . import sources, storage
from .errors import NotFound
from .ids import time_ordered_id
from .parameters import Parameters
from .tenant import Tenant

MAX_PAGE = 1000


def create_account(tenant: Tenant, parameters: Parameters) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The new account, and its first source when the call carried source parameters."""
    email = parameters.email("email", required=True)
    account = {
        "id": time_ordered_id(),
        "consumer_key": tenant.consumer_key,
        "email": email,
        "first_name": parameters.text("first_name", max_length=200) or "",
        "last_name": parameters.text("last_name", max_length=200) or "",
        "created": tenant.now,
        "suspended": 0,
    }
    if not parameters.any_given(("server", "username", "password", *sources.PROVIDER_PARAMETERS)):
        storage.insert_account(tenant.database, account)
        return account, None
    with storage.transaction(tenant.database):  # the account with its source, or neither
        storage.insert_account(tenant.database, account)
        source = sources.add_source(tenant, account["id"], email, parameters)
    return account, source


def find_account(tenant: Tenant, account_id: str) -> dict[str, Any]:
    account = storage.account(tenant.database, tenant.consumer_key, account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


def list_accounts(
    tenant: Tenant, parameters: Parameters
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Accounts with their sources; with a status filter, only the matching sources are listed."""
    statuses = sources.status_filter(parameters)
    rows = storage.accounts(
        tenant.database,
        tenant.consumer_key,
        email=parameters.email("email"),
        statuses=statuses,
        limit=parameters.integer("limit", minimum=0, maximum=MAX_PAGE),
        offset=parameters.integer("offset", minimum=0) or 0,
    )
    by_account: dict[str, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    for source in storage.sources_of(tenant.database, list(by_account), statuses):
        by_account[source["account_id"]].append(source)
    return [(row, by_account[row["id"]]) for row in rows]


def account_sources(
    tenant: Tenant, account_id: str, statuses: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    return storage.sources_of(tenant.database, [account_id], statuses)


def update_account(tenant: Tenant, account: dict[str, Any], parameters: Parameters) -> dict[str, Any]:
    changes = {
        name: parameters.text(name, max_length=200)
        for name in ("first_name", "last_name")
        if parameters.given(name)
    }
    if changes:
        storage.update_account(tenant.database, account["id"], changes)
    return {**account, **changes}


def delete_account(tenant: Tenant, account: dict[str, Any]) -> None:
    """Everything of the account goes with it: sources, credentials, index, pending syncs."""
    storage.delete_account(tenant.database, account["id"])
