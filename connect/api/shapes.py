"""The JSON shapes of Context.IO 2.0 resources (``contextio-2.0.md``), from stored rows.

Credentials never appear here: a shape is built from an allow-list of fields.
"""

from __future__ import annotations

import json
from typing import Any

from ..domain.message_shape import file_shape, message_json, message_shape

__all__ = ["file_shape", "message_json", "message_shape"]


def source_shape(source: dict[str, Any], account_url: str) -> dict[str, Any]:
    return {
        "label": source["label"],
        "email": source["email"],
        "username": source["username"],
        "server": source["server"],
        "port": source["port"],
        "use_ssl": bool(source["use_ssl"]),
        "type": source["type"].lower(),
        "authentication_type": source["authentication_type"],
        "provider_consumer_key": source["provider_consumer_key"],
        "status": source["status"],
        "status_message": source["status_message"],
        "sync_period": source["sync_period"],
        "raw_file_list": bool(source["raw_file_list"]),
        "sync_all_folders": bool(source["sync_all_folders"]),
        "sync_flags": bool(source["sync_flags"]),
        "expunge_on_deleted_flag": bool(source["expunge_on_deleted_flag"]),
        "callback_url": source["callback_url"],
        "status_callback_url": source["status_callback_url"],
        "created": source["created"],
        "resource_url": f"{account_url}/sources/{source['label']}",
        # Beyond Context.IO (its clients ignore unknown keys): the initial sync's progress.
        "initial_sync": {
            "finished": bool(source["initial_import_finished"]),
            "messages_total": source["initial_sync_total"],
            "messages_indexed": source["initial_sync_indexed"],
        },
    }


def account_shape(
    account: dict[str, Any],
    sources: list[dict[str, Any]],
    api_root: str,
    counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    url = f"{api_root}/accounts/{account['id']}"
    aliases = [alias["email"] for alias in json.loads(account.get("aliases") or "[]")]
    addresses = list(dict.fromkeys([account["email"], *aliases, *(source["email"] for source in sources)]))
    counts = counts or {}
    return {
        "id": account["id"],
        "username": account["id"],
        "created": account["created"],
        "suspended": account["suspended"],
        "email_addresses": addresses,
        "first_name": account["first_name"],
        "last_name": account["last_name"],
        "password_expired": 0,
        "sources": [source_shape(source, url) for source in sources],
        "nb_messages": counts.get("messages", 0),
        "nb_files": counts.get("files", 0),
        "resource_url": url,
    }


def provider_shape(provider: dict[str, Any], api_root: str) -> dict[str, Any]:
    return {
        "type": provider["type"],
        "provider_consumer_key": provider["provider_consumer_key"],
        "resource_url": f"{api_root}/oauth_providers/{provider['provider_consumer_key']}",
    }


def token_shape(
    token: dict[str, Any], resource_url: str, browser_redirect_url: str, account: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "token": token["token"],
        "email": token["email"],
        "created": token["created"],
        "used": token["used"],
        "expires": False if token["used"] else token["expires"],
        "callback_url": token["callback_url"],
        "first_name": token["first_name"],
        "last_name": token["last_name"],
        "account": account or {},
        "resource_url": resource_url,
        "browser_redirect_url": browser_redirect_url,
    }


SPECIAL_USE = ("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash", "\\Important")


def folder_shape(folder: dict[str, Any], url: str, extended_counts: bool = False) -> dict[str, Any]:
    """``url`` is the source's. A folder in the index is one the sync covers (``included_in_sync``)."""
    shape = {
        "name": folder["name"],
        "attributes": {attribute.lstrip("\\"): True for attribute in folder["attributes"]},
        "delim": folder["delimiter"],
        "nb_messages": folder["nb_messages"],
        "included_in_sync": True,
        "resource_url": f"{url}/folders/{folder['name']}",
    }
    if extended_counts:
        shape["nb_unseen_messages"] = folder["nb_unseen_messages"]
    return {**shape, **folder_reference(folder["name"], folder["attributes"])}


def folder_reference(name: str, attributes: list[str]) -> dict[str, str]:
    """A folder as a message's list of folders names it: its name and, where the server marks
    it special-use (or it is the INBOX), its ``symbolic_name``."""
    special = [a for a in attributes if a.lower() in {s.lower() for s in SPECIAL_USE}]
    if special:
        return {"name": name, "symbolic_name": special[0]}
    if name.upper() == "INBOX":
        return {"name": name, "symbolic_name": "\\Inbox"}
    return {"name": name}
