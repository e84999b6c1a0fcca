"""Whether an event of a message is one a webhook asked for (``contextio-2.0-more.md`` §1.4).

Filters combine with AND; a comma list inside one is OR. An address item with ``@`` is that
exact address; without, a substring of the name or the address. A domain item matches the
domain or any sub-domain. ``/regex/`` works where the API's own filters take one.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

from .. import storage
from .mail import text_match

NEW = "message_new"
HISTORICAL = "historical"  # a message from before an account's first sync (app level, on request)
DRAFTS_FOLDER = "\\Drafts"


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _people(message: dict[str, Any], field: str) -> list[dict[str, str]]:
    entries = message["addresses"].get(field) or []
    return [entries] if isinstance(entries, dict) else list(entries)


def _address_matches(value: str, people: list[dict[str, str]]) -> bool:
    for item in _items(value.lower()):
        for person in people:
            address, name = (person.get("email") or "").lower(), (person.get("name") or "").lower()
            if address == item if "@" in item else (item in address or item in name):
                return True
    return False


def _domain_matches(value: str, people: list[dict[str, str]]) -> bool:
    domains = [(person.get("email") or "").rpartition("@")[2].lower() for person in people]
    return any(
        domain == item or domain.endswith("." + item) for item in _items(value.lower()) for domain in domains
    )


def _text_matches(pattern: str, value: str) -> bool:
    match = text_match(pattern, "filter")
    if match.regex:
        return storage.compile_regex(match.value).search(value) is not None
    return match.value.lower() in value.lower()


def _file_name_matches(pattern: str, names: list[str]) -> bool:
    """Shell wildcards match the whole name, case-insensitively; else as ``_text_matches``."""
    if not (pattern.startswith("/") and pattern.endswith("/")) and any(c in pattern for c in "*?["):
        return any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for name in names)
    return any(_text_matches(pattern, name) for name in names)


def folder_is(wanted: str, name: str, attributes: list[str]) -> bool:
    """A folder by its full name (INBOX in any case) or a symbolic name (``\\Sent``)."""
    if wanted.startswith("\\"):
        symbolic = wanted.lower()
        if symbolic == "\\inbox":
            return name.upper() == "INBOX"
        return symbolic in (attribute.lower() for attribute in attributes)
    return name == wanted or (wanted.upper() == "INBOX" and name.upper() == "INBOX")


def _places(message: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (location["folder"], json.loads(location.get("folder_attributes") or "[]"))
        for location in message["locations"]
    ]


def is_draft(message: dict[str, Any]) -> bool:
    return any("\\Draft" in json.loads(location["flags"]) for location in message["locations"]) or any(
        folder_is(DRAFTS_FOLDER, name, attributes) for name, attributes in _places(message)
    )


def _in_thread(wanted: str, message: dict[str, Any], find: Callable[[str], dict[str, Any] | None]) -> bool:
    """``wanted``: a thread id (``gm-`` or bare), or a message of the thread (its id or
    Message-ID)."""
    thread = message.get("thread_id")
    if thread and thread == wanted.removeprefix("gm-").lower():
        return True
    other = find(wanted)
    if other is None:
        return False
    return other["id"] == message["id"] or bool(thread) and other.get("thread_id") == thread


def matches(
    webhook: dict[str, Any],
    event: dict[str, Any],
    message: dict[str, Any],
    find: Callable[[str], dict[str, Any] | None],
) -> bool:
    """``find`` looks up another message of the account (by id or Message-ID), for threads."""
    filters: dict[str, str] = json.loads(webhook["filters"])
    kind, folder = event["event"], event["folder"] or ""
    attributes = next((a for name, a in _places(message) if name == folder), [])
    added, removed = filters.get("filter_folder_added"), filters.get("filter_folder_removed")
    everything = bool(webhook["receive_all_changes"])
    if kind == "folder_added":
        wanted = not removed and (folder_is(added, folder, attributes) if added else everything)
    elif kind == "folder_removed":
        wanted = not added and (folder_is(removed, folder, attributes) if removed else everything)
    elif kind in (NEW, HISTORICAL):  # arriving in a folder is being filed into it
        filed = not added or any(folder_is(added, n, a) for n, a in _places(message))
        wanted = not removed and filed and (kind == NEW or bool(webhook["receive_historical"]))
    else:
        wanted = everything and not added and not removed
    if not wanted:
        return False
    if is_draft(message) and not webhook["receive_drafts"]:
        return False
    checks = {
        "filter_to": lambda v: _address_matches(v, _people(message, "to")),
        "filter_from": lambda v: _address_matches(v, _people(message, "from")),
        "filter_cc": lambda v: _address_matches(v, _people(message, "cc")),
        "filter_to_domain": lambda v: _domain_matches(v, _people(message, "to")),
        "filter_from_domain": lambda v: _domain_matches(v, _people(message, "from")),
        "filter_subject": lambda v: _text_matches(v, message.get("subject") or ""),
        "filter_thread": lambda v: _in_thread(v, message, find),
        "filter_new_important": lambda v: any(
            folder_is("\\Important", name, a) for name, a in _places(message)
        ),
        "filter_file_name": lambda v: _file_name_matches(v, [f["file_name"] for f in message["files"]]),
        "filter_file_revisions": lambda v: any(
            v.lower() in (f["file_name"].lower(), f["id"]) for f in message["files"]
        ),
    }
    return all(check(filters[name]) for name, check in checks.items() if filters.get(name))
