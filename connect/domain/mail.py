"""The merged data set of an account: messages, files and folders, as the API filters them.

Filters are Context.IO's, as ``MailFilters``; the storage module turns them into SQL.
``subject`` and ``file_name`` take a substring or a ``/regex/``.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any, Protocol

import orjson
import re2

from .. import storage
from . import file_names
from .errors import InvalidParameter, NotFound
from .message_shape import section_value
from .tenant import Tenant

_FOLD = re.compile(r"\r?\n(?=[ \t])")
MailFilters = storage.MailFilters
TextMatch = storage.TextMatch
ADDRESS_FIELDS = storage.ADDRESS_FIELDS


class Mailboxes(Protocol):
    """Reads what the index doesn't keep (bodies, files) from the mailboxes themselves."""

    def raw_message(self, locations: list[dict[str, Any]]) -> bytes: ...

    def part(self, locations: list[dict[str, Any]], section: str) -> tuple[bytes, str]: ...

    def flags(self, locations: list[dict[str, Any]]) -> set[str]: ...

    def raw_messages(self, wanted: dict[str, list[dict[str, Any]]]) -> dict[str, bytes]: ...


def text_match(pattern: str, name: str) -> TextMatch:
    """A substring, or a ``/regex/`` (RE2 syntax: linear time whatever the pattern)."""
    if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
        try:
            storage.compile_regex(pattern[1:-1])
        except re2.error as error:
            reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else error
            raise InvalidParameter(f"{name} is not a valid regular expression: {reason}") from None
        return TextMatch(pattern[1:-1], regex=True)
    return TextMatch(pattern, regex=False)


def file_name_match(pattern: str, name: str) -> TextMatch:
    """Like ``text_match``, and shell wildcards (``*.pdf``, ``report-?.doc``, ``[ab]*``) match
    the whole name, in any case (Context.IO's ``contextio*.pdf`` matched
    ``ContextIO - Overview - 20111016.pdf``)."""
    if not (pattern.startswith("/") and pattern.endswith("/")) and any(c in pattern for c in "*?["):
        return TextMatch("^" + _glob(pattern) + "$", regex=True)
    return text_match(pattern, name)


def _glob(pattern: str) -> str:
    out, index = [], 0
    while index < len(pattern):
        character = pattern[index]
        closing = pattern.find("]", index + 2) if character == "[" else -1
        if character == "*":
            out.append(".*")
        elif character == "?":
            out.append(".")
        elif closing > 0:
            body = pattern[index + 1 : closing]
            negated = body.startswith("!")
            out.append("[" + ("^" if negated else "") + re.escape(body[1:] if negated else body) + "]")
            index = closing
        else:
            out.append(re.escape(character))
        index += 1
    return "".join(out)


def list_messages(tenant: Tenant, account_id: str, filters: MailFilters) -> list[dict[str, Any]]:
    rows = storage.find_messages(tenant.database, account_id, filters)
    unshaped = [row["id"] for row in rows if row["shape"] is None]  # indexed before shapes were kept
    if unshaped:
        whole = {row["id"]: row for row in storage.messages_by_ids(tenant.database, unshaped)}
        rows = [whole.get(row["id"], row) for row in rows]
    return with_locations_and_files(tenant, rows)


def find_message(tenant: Tenant, account_id: str, message_id: str) -> dict[str, Any]:
    row = storage.message(tenant.database, account_id, message_id)
    if row is None:
        raise NotFound(f"message {message_id} not found in account {account_id}")
    return with_locations_and_files(tenant, [row])[0]


def with_locations_and_files(tenant: Tenant, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Message rows with where each lives and its files, as every message answer needs."""
    ids = [row["id"] for row in rows]
    locations: dict[str, list[dict[str, Any]]] = {message_id: [] for message_id in ids}
    for location in storage.locations_of(tenant.database, ids):
        locations[location["message_id"]].append(location)
    files: dict[str, list[dict[str, Any]]] = {message_id: [] for message_id in ids}
    for file in storage.files_of_messages(tenant.database, ids):
        files[file["message_id"]].append(file)
    # Addresses stay encoded: a page's answer copies the stored shape, which holds them.
    return [{**row, "locations": locations[row["id"]], "files": files[row["id"]]} for row in rows]


def list_files(tenant: Tenant, account_id: str, filters: MailFilters) -> list[dict[str, Any]]:
    rows = storage.find_files(tenant.database, account_id, filters)
    return [{**row, "addresses": orjson.loads(row["addresses"])} for row in rows]


def find_file(tenant: Tenant, account_id: str, file_id: str) -> dict[str, Any]:
    row = storage.file(tenant.database, account_id, file_id)
    if row is None:
        raise NotFound(f"file {file_id} not found in account {account_id}")
    return {**row, "addresses": orjson.loads(row["addresses"])}


def similar_files(tenant: Tenant, account_id: str, file_id: str, same_type: bool) -> list[dict[str, Any]]:
    """Other files of the account named like this one (``file_names``): its revisions
    (``same_type``) or its related files; newest first."""
    this = find_file(tenant, account_id, file_id)
    main = file_names.main_key(this["file_name"])
    if not main:
        return []
    wanted = file_names.revision_key(this["file_name"]) if same_type else main
    first_word = main.split()[0]
    named_alike = MailFilters(file_name=TextMatch(first_word, regex=False), limit=1000)
    candidates = list_files(tenant, account_id, named_alike)
    key = file_names.revision_key if same_type else file_names.main_key
    return [f for f in candidates if f["id"] != file_id and key(f["file_name"]) == wanted]


def folders(tenant: Tenant, source: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**row, "attributes": json.loads(row["attributes"])}
        for row in storage.folders_of(tenant.database, source["id"])
    ]


def find_folder(tenant: Tenant, source: dict[str, Any], name: str) -> dict[str, Any]:
    """A folder of the source, by full name or symbolic name; a raw ``+`` in a URL's folder
    path means a space (Context.IO's documented spelling) unless a folder has the ``+``."""
    row = storage.folder_of(tenant.database, source["id"], name)
    if row is None and "+" in name:
        row = storage.folder_of(tenant.database, source["id"], name.replace("+", " "))
    if row is None:
        raise NotFound(f"folder {name} not found in source {source['label']}")
    return {**row, "attributes": json.loads(row["attributes"])}


def counts(tenant: Tenant, account_id: str) -> dict[str, int]:
    return storage.account_counts(tenant.database, account_id)


def message_source(tenant: Tenant, live: Mailboxes, account_id: str, message_id: str) -> bytes:
    return live.raw_message(find_message(tenant, account_id, message_id)["locations"])


def read_message(tenant: Tenant, live: Mailboxes, account_id: str, message_id: str) -> EmailMessage:
    """The message as its mailbox holds it, parsed (one fetch for its body and headers)."""
    return parse(message_source(tenant, live, account_id, message_id))


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def header_map(message: EmailMessage) -> dict[str, list[str]]:
    """Every header, named as its first occurrence spells it (``Subject``, ``X-Mailer``), each
    value in a list as the message holds it: unfolded, not decoded."""
    headers: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in message.raw_items():
        key = spelling.setdefault(name.lower(), name)
        headers.setdefault(key, []).append(_FOLD.sub("", str(value)).strip())
    return headers


def header_text(raw: bytes) -> str:
    """The header block as the message holds it, without the blank line that ends it."""
    block = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    return block.decode("utf-8", "replace").replace("\n", "\r\n")


def _sections(part: EmailMessage, prefix: str = "") -> Iterator[tuple[str, EmailMessage]]:
    """Each leaf part with its IMAP section number (``1``, ``2.1``…)."""
    if not part.is_multipart():
        yield prefix or "1", part
        return
    for number, child in enumerate(part.iter_parts(), start=1):
        yield from _sections(child, f"{prefix}.{number}" if prefix else str(number))


def body_parts(message: EmailMessage, body_type: str | None = None) -> list[dict[str, Any]]:
    """The message's text parts (``text/plain``, ``text/html``), decoded to text."""
    parts = []
    for section, part in _sections(message):
        if part.get_content_maintype() != "text" or part.get_content_disposition() == "attachment":
            continue
        if body_type and part.get_content_type() != body_type:
            continue
        try:
            content = part.get_content()
        except (LookupError, UnicodeError):  # an unknown or lying charset
            content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        parts.append(
            {
                "type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "content": content,
                "body_section": section_value(section),
            }
        )
    return parts


def message_flags(tenant: Tenant, live: Mailboxes, account_id: str, message_id: str) -> set[str]:
    """Read from the mailbox, never the index: a flag set a second ago in a mail client shows."""
    return live.flags(find_message(tenant, account_id, message_id)["locations"])


def file_content(tenant: Tenant, live: Mailboxes, account_id: str, file_id: str) -> tuple[bytes, str, str]:
    """The file's bytes, its MIME type and its name."""
    file = find_file(tenant, account_id, file_id)
    locations = find_message(tenant, account_id, file["message_id"])["locations"]
    content, _ = live.part(locations, file["body_section"])
    return content, file["type"], file["file_name"]
