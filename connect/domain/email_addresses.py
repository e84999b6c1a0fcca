"""An account's email addresses (``contextio-2.0-more.md`` §8): its primary one (the account's
``email``) and aliases. All of them count as the account's own: never its contacts."""

from __future__ import annotations

import json
from typing import Any

from .. import storage
from .errors import Conflict, NotFound
from .tenant import Tenant


def addresses(account: dict[str, Any]) -> list[dict[str, Any]]:
    """The primary address first; ``validated`` is when each was added (nothing is mailed)."""
    aliases = json.loads(account.get("aliases") or "[]")
    return [{"email": account["email"], "validated": account["created"], "primary": 1}] + [
        {"email": alias["email"], "validated": alias["validated"], "primary": 0} for alias in aliases
    ]


def find_address(account: dict[str, Any], email: str) -> dict[str, Any]:
    for address in addresses(account):
        if address["email"].lower() == email.strip().lower():
            return address
    raise NotFound(f"{email} is not an address of account {account['id']}")


def add_address(tenant: Tenant, account: dict[str, Any], email: str) -> dict[str, Any]:
    """Add an alias; one the account has already is left as it is."""
    try:
        return find_address(account, email)
    except NotFound:
        pass
    aliases = json.loads(account.get("aliases") or "[]") + [{"email": email, "validated": tenant.now}]
    storage.update_account(tenant.database, account["id"], {"aliases": json.dumps(aliases)})
    return {"email": email, "validated": tenant.now, "primary": 0}


def make_primary(tenant: Tenant, account: dict[str, Any], email: str) -> None:
    """The address becomes the account's ``email``; the old primary one stays as an alias."""
    chosen = find_address(account, email)
    if chosen["primary"]:
        return
    others = [a for a in addresses(account) if a["email"] != chosen["email"]]
    aliases = [{"email": a["email"], "validated": a["validated"]} for a in others]
    storage.update_account(
        tenant.database, account["id"], {"email": chosen["email"], "aliases": json.dumps(aliases)}
    )


def remove_address(tenant: Tenant, account: dict[str, Any], email: str) -> None:
    chosen = find_address(account, email)
    if chosen["primary"]:
        raise Conflict(f"{chosen['email']} is the account's primary address: make another one primary first")
    aliases = [
        {"email": a["email"], "validated": a["validated"]}
        for a in addresses(account)
        if not a["primary"] and a["email"] != chosen["email"]
    ]
    storage.update_account(tenant.database, account["id"], {"aliases": json.dumps(aliases)})
