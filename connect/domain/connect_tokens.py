"""Connect tokens: a one-time link the API client hands its end user, who connects a mailbox
on this server's hosted page and is sent back to the client's ``callback_url``.

Three scopes, as in Context.IO: a new account (``/connect_tokens``), a new source on an
existing account (``/accounts/<id>/connect_tokens``), or reconnecting one source
(``/accounts/<id>/sources/<label>/connect_tokens``). Unused tokens expire after 24 hours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from .. import storage
from ..storage import Database
from . import accounts, sources
from .errors import Conflict, NotFound
from .ids import time_ordered_secret
from .tenant import Tenant

LIFETIME = 24 * 3600


@dataclass(frozen=True)
class TokenRequest:
    """What the client asks of the source its end user will connect."""

    callback_url: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    source_callback_url: str | None = None
    status_callback_url: str | None = None
    source_sync_all_folders: bool = False
    source_sync_flags: bool = False
    source_raw_file_list: bool = False


def create_token(
    tenant: Tenant, request: TokenRequest, account_id: str | None = None, source_label: str | None = None
) -> dict[str, Any]:
    def url(value: str | None, name: str) -> str | None:
        return None if value is None else tenant.policy.check_url(value, name)

    row = {
        "token": time_ordered_secret(),
        "consumer_key": tenant.consumer_key,
        "scope": "source" if source_label else "account" if account_id else "client",
        "account_id": account_id,
        "source_label": source_label,
        "callback_url": url(request.callback_url, "callback_url"),
        "email": request.email,
        "first_name": request.first_name,
        "last_name": request.last_name,
        "source_callback_url": url(request.source_callback_url, "source_callback_url"),
        "status_callback_url": url(request.status_callback_url, "status_callback_url"),
        "source_sync_all_folders": int(request.source_sync_all_folders),
        "source_sync_flags": int(request.source_sync_flags),
        "source_raw_file_list": int(request.source_raw_file_list),
        "created": tenant.now,
        "used": 0,
        "expires": tenant.now + LIFETIME,
    }
    with storage.transaction(tenant.database):
        storage.forget_expired_connect_tokens(tenant.database, tenant.now)
        storage.insert_connect_token(tenant.database, row)
    return row


def live_token(database: Database, token: str) -> dict[str, Any] | None:
    """The token behind a hosted page's link, whoever owns it, while it is good."""
    return storage.live_connect_token(database, token, int(time.time()))


def find_token(
    tenant: Tenant, token: str, account_id: str | None = None, source_label: str | None = None
) -> dict[str, Any]:
    row = storage.connect_token(tenant.database, tenant.consumer_key, token, tenant.now)
    outside_scope = row is not None and (
        (account_id is not None and row["account_id"] != account_id)
        or (source_label is not None and row["source_label"] != source_label)
    )
    if row is None or outside_scope:
        raise NotFound(f"connect_token {token} not found")
    return row


def list_tokens(
    tenant: Tenant, account_id: str | None = None, source_label: str | None = None
) -> list[dict[str, Any]]:
    return storage.connect_tokens(tenant.database, tenant.consumer_key, tenant.now, account_id, source_label)


def delete_token(tenant: Tenant, token: dict[str, Any]) -> None:
    storage.delete_connect_token(tenant.database, token["token"])


def gmail_provider(tenant: Tenant) -> dict[str, Any] | None:
    """The token owner's Google OAuth app, which the hosted page signs in with."""
    return next(
        (p for p in storage.providers(tenant.database, tenant.consumer_key) if p["type"] == "GMAIL_OAUTH2"),
        None,
    )


def use_token(tenant: Tenant, token: dict[str, Any], email: str, mailbox: sources.NewSource) -> str:
    """Create what the token was made for (an account with its source, a source on an
    account, or new credentials for a source) from the end user's mailbox; the source label.

    ``mailbox`` carries how to reach it; the token adds the client's options."""
    with storage.transaction(tenant.database):
        if token["scope"] == "source":
            source = sources.find_source(tenant, token["account_id"], token["source_label"])
            if source["email"].lower() != email.lower():
                raise Conflict(f"This link reconnects {source['email']}, not {email}.")
            sources.update_source(
                tenant, source, sources.SourceChanges(credentials=mailbox.credentials, enabled=True)
            )
            account_id, label = source["account_id"], source["label"]
        else:
            account_id = token["account_id"]
            if account_id is None:
                names = accounts.NewAccount(email, token["first_name"], token["last_name"])
                account_id = accounts.create_account(tenant, names)[0]["id"]
            source = replace(
                mailbox,
                callback_url=token["source_callback_url"],
                status_callback_url=token["status_callback_url"],
                options=sources.SyncOptions(
                    sync_all_folders=bool(token["source_sync_all_folders"]),
                    sync_flags=bool(token["source_sync_flags"]),
                    raw_file_list=bool(token["source_raw_file_list"]),
                ),
            )
            label = sources.add_source(tenant, account_id, email, source)["label"]
        storage.mark_connect_token_used(tenant.database, token["token"], tenant.now, account_id, label)
    return label


def return_url(token: dict[str, Any]) -> str:
    """Where the browser goes when the mailbox is connected: the client's callback_url."""
    separator = "&" if "?" in token["callback_url"] else "?"
    return f"{token['callback_url']}{separator}contextio_token={token['token']}"
