"""The 2.0 message and file shapes (``contextio-2.0-more.md`` §5.1), from the index's rows.

Both the API's answers and the webhooks' ``message_data`` are built here, so a message looks
the same whichever way a client learns of it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import orjson

from . import file_names

FLAG_NAMES = {
    "\\Seen": "seen",
    "\\Answered": "answered",
    "\\Flagged": "flagged",
    "\\Deleted": "deleted",
    "\\Draft": "draft",
}


@functools.lru_cache(maxsize=4096)
def thumbnail(email: str) -> str:
    """Gravatar's picture for the address (computed; no request is made). The same people
    appear on most messages of a page: each address is hashed once."""
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}?s=50"


def _person_info(addresses: dict[str, Any]) -> dict[str, dict[str, str]]:
    people: dict[str, dict[str, str]] = {}
    for field in ("from", "to", "cc", "bcc", "reply_to"):
        entries = addresses.get(field) or []
        for entry in [entries] if isinstance(entries, dict) else entries:
            if entry.get("email"):
                person = {"name": entry.get("name", ""), "thumbnail": thumbnail(entry["email"])}
                people.setdefault(entry["email"], person)
    return people


def file_shape(
    file: dict[str, Any], account_url: str, message: dict[str, Any] | None = None
) -> dict[str, Any]:
    source = message or file
    return {
        "file_id": file["id"],
        "file_name": file["file_name"],
        "file_name_structure": file_names.structure(file["file_name"] or ""),
        "size": file["size"],
        "type": file["type"],
        "subject": source["subject"],
        "date": source["date"],
        "date_indexed": source["date_indexed"],
        "addresses": source["addresses"],
        "person_info": _person_info(source["addresses"]),
        "body_section": section_value(file["body_section"]),
        "is_embedded": bool(file["is_embedded"]),
        "is_tnef_part": (file["file_name"] or "").lower() == "winmail.dat",
        "content_disposition": file["content_disposition"],
        "content_id": file["content_id"],
        "supports_preview": False,
        "message_id": file["message_id"],
        "email_message_id": source["email_message_id"],
        "gmail_message_id": source.get("gmail_message_id"),
        "gmail_thread_id": source.get("thread_id") or source.get("gmail_thread_id"),
        "resource_url": f"{account_url}/files/{file['id']}",
    }


def section_value(section: str) -> int | str:
    """A top-level part's section is a number, a nested one a string (a number can't say 1.10)."""
    return int(section) if str(section).isdigit() else section


NOT_JUNK = {"$notjunk", "notjunk", "nonjunk"}


def flags_shape(present: set[str]) -> dict[str, bool]:
    """The six booleans of §5.3: the system flags, and ``nonjunk`` for the ``$NotJunk`` keyword."""
    shape = {name: flag in present for flag, name in FLAG_NAMES.items()}
    shape["nonjunk"] = bool(NOT_JUNK & {flag.lower() for flag in present})
    return shape


def indexed_part(message: dict[str, Any]) -> dict[str, Any]:
    """What a message answer holds that is fixed once the message is indexed."""
    addresses = message["addresses"]
    if isinstance(addresses, str):
        addresses = orjson.loads(addresses)
    return {
        "message_id": message["id"],
        "email_message_id": message["email_message_id"],
        "gmail_message_id": message["gmail_message_id"],
        "subject": message["subject"],
        "date": message["date"],
        "date_received": message["date_received"],
        "date_indexed": message["date_indexed"],
        "addresses": addresses,
        "person_info": _person_info(addresses),
        "in_reply_to": message["in_reply_to"],
        "references": (message["references"] or "").split(),
    }


def stored_shape(message: dict[str, Any]) -> str:
    """The indexed part, encoded, as the index keeps it beside the message: a page then copies
    it into the answer, where decoding the addresses and building each message's people again
    was most of a page's work."""
    return orjson.dumps(indexed_part(message), option=orjson.OPT_SORT_KEYS).decode()


def live_part(message: dict[str, Any], account_url: str, include_flags: bool = False) -> dict[str, Any]:
    """What may change after indexing: where the message lives, its thread, its flags; and
    what names this server (the URLs)."""
    locations = message["locations"]
    shape: dict[str, Any] = {
        # Every message has a thread id, Gmail's or Connect's (the official client needs one)
        "gmail_thread_id": message.get("thread_id") or message["gmail_thread_id"],
        "folders": list(dict.fromkeys(location["folder"] for location in locations)),
        "sources": [
            {"label": label, "resource_url": f"{account_url}/sources/{label}"}
            for label in dict.fromkeys(location["label"] for location in locations)
        ],
        "files": [],
        "resource_url": f"{account_url}/messages/{message['id']}",
    }
    if message["files"]:
        source = {**indexed_of(message), "gmail_thread_id": shape["gmail_thread_id"]}
        shape["files"] = [file_shape(file, account_url, source) for file in message["files"]]
    if include_flags:
        present = {flag for location in locations for flag in json.loads(location["flags"])}
        shape["flags"] = flags_shape(present)
    if "thread_size" in message:
        shape["thread_size"] = message["thread_size"]
    return shape


def message_shape(message: dict[str, Any], account_url: str, include_flags: bool = False) -> dict[str, Any]:
    """A message as a dict, for answers that add to it (bodies, headers) and for webhooks."""
    return {**indexed_of(message), **live_part(message, account_url, include_flags)}


def indexed_of(message: dict[str, Any]) -> dict[str, Any]:
    """The indexed part: as stored, or from the columns of a message indexed before shapes
    were kept (a page reads only the stored shape of the others)."""
    stored = message.get("shape")
    return orjson.loads(stored) if stored else indexed_part(message)


def message_json(message: dict[str, Any], account_url: str, include_flags: bool = False) -> orjson.Fragment:
    """The same message, already encoded: the stored indexed part and the live part joined as
    one JSON object, for a page that adds nothing to its messages."""
    stored = message.get("shape") or stored_shape(message)
    live = orjson.dumps(live_part(message, account_url, include_flags), option=orjson.OPT_SORT_KEYS)
    return orjson.Fragment(b"%s,%s" % (stored[:-1].encode(), live[1:]))
