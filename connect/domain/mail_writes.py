"""Changes to the mail itself (``contextio-2.0-more.md`` §5.2, §6): made in the mailbox with
the source's credentials, then the changed folders are synced, so the answer's next read shows
them. Nothing in the index changes when the server refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .. import storage
from .errors import InvalidParameter, NotFound
from .mail import Mailboxes, find_folder, find_message
from .tenant import Tenant
from .threads import thread_message_ids

FLAGS = {
    "seen": "\\Seen",
    "answered": "\\Answered",
    "flagged": "\\Flagged",
    "deleted": "\\Deleted",
    "draft": "\\Draft",
    "nonjunk": "$NotJunk",
}


class Writer(Protocol):
    def store_flags(self, locations: list[dict[str, Any]], add: list[str], remove: list[str]) -> None: ...

    def delete_message(self, locations: list[dict[str, Any]]) -> None: ...

    def append(self, source_id: int, folder: str, raw: bytes, flags: list[str]) -> None: ...

    def copy(self, location: dict[str, Any], folder: str, move: bool, flags: list[str]) -> None: ...

    def remove(self, location: dict[str, Any]) -> None: ...

    def create_folder(self, source_id: int, name: str) -> None: ...

    def delete_folder(self, source_id: int, name: str) -> None: ...

    def expunge(self, source_id: int, name: str) -> None: ...

    def list_folders(self, source_id: int) -> list[tuple[list[str], str, str]]: ...


#: Brings one folder of a source into the index now: ``(source_id, folder name)``.
Refresh = Callable[[int, str], object]


@dataclass(frozen=True)
class MailChanges:
    """One API client's changes to the mail of its accounts."""

    tenant: Tenant
    writer: Writer
    refresh: Refresh
    reader: Mailboxes  # reads a message whole, to copy it to another source

    def _refresh_where(self, locations: list[dict[str, Any]]) -> None:
        for source_id, folder in dict.fromkeys((loc["source_id"], loc["folder"]) for loc in locations):
            self.refresh(source_id, folder)

    def set_flags(self, account_id: str, message_id: str, wanted: dict[str, bool]) -> list[dict[str, Any]]:
        """Set (True) and clear (False) the named flags on every copy; none named, no change.
        The message's locations, for reading its flags back."""
        locations = find_message(self.tenant, account_id, message_id)["locations"]
        add = [FLAGS[name] for name, on in wanted.items() if on]
        remove = [FLAGS[name] for name, on in wanted.items() if not on]
        if add or remove:
            self.writer.store_flags(locations, add, remove)
            self._refresh_where(locations)
        return locations

    def delete_message(self, account_id: str, message_id: str) -> None:
        locations = find_message(self.tenant, account_id, message_id)["locations"]
        self.writer.delete_message(locations)
        self._refresh_where(locations)

    def delete_thread(self, account_id: str, thread_id: str) -> None:
        """Every message of the thread, as ``delete_message`` deletes one; each folder once."""
        ids = thread_message_ids(self.tenant, account_id, thread_id)
        locations = storage.locations_of(self.tenant.database, ids)  # no need for the messages
        self.writer.delete_message(locations)
        self._refresh_where(locations)

    def change_thread_folders(
        self, account_id: str, thread_id: str, add: list[str], remove: list[str]
    ) -> None:
        for message_id in thread_message_ids(self.tenant, account_id, thread_id):
            self.change_folders(account_id, message_id, add, remove)

    def set_thread_folders(self, account_id: str, thread_id: str, names: list[str]) -> None:
        for message_id in thread_message_ids(self.tenant, account_id, thread_id):
            self.set_folders(account_id, message_id, names)

    def append_message(
        self, account_id: str, source_label: str | None, folder: str, raw: bytes, flags: dict[str, bool]
    ) -> None:
        """Add a message to a folder of one of the account's sources (the only one, when the
        account has one and none is named)."""
        sources = storage.sources_of(self.tenant.database, [account_id])
        if source_label is None:
            if len(sources) != 1:
                raise InvalidParameter("dst_source is required: the account has several sources")
            source = sources[0]
        else:
            source = next((s for s in sources if s["label"] == source_label), None)
            if source is None:
                raise NotFound(f"source {source_label} not found in account {account_id}")
        target = find_folder(self.tenant, source, folder)
        on = [FLAGS[name] for name, wanted in flags.items() if wanted]
        self.writer.append(source["id"], target["name"], raw, on)
        self.refresh(source["id"], target["name"])

    def _source(self, account_id: str, label: str | None, default: dict[str, Any]) -> dict[str, Any]:
        if label is None:
            return default
        found = storage.source(self.tenant.database, account_id, label)
        if found is None:
            raise NotFound(f"source {label} not found in account {account_id}")
        return found

    def copy_message(
        self,
        account_id: str,
        message_id: str,
        folder: str,
        source_label: str | None,
        move: bool,
        flags: dict[str, bool],
    ) -> None:
        """Copy, or move, to a folder of the source holding it (or of ``source_label``'s)."""
        locations = find_message(self.tenant, account_id, message_id)["locations"]
        here = locations[0]
        holder = storage.source_by_id(self.tenant.database, here["source_id"])
        target_source = self._source(account_id, source_label, holder)
        target = find_folder(self.tenant, target_source, folder)
        on = [FLAGS[name] for name, wanted in flags.items() if wanted]
        if target_source["id"] == holder["id"]:
            self.writer.copy(here, target["name"], move, on)
        else:
            self.writer.append(target_source["id"], target["name"], self.reader.raw_message([here]), on)
            if move:
                self.writer.remove(here)
        self.refresh(target_source["id"], target["name"])
        if move:
            self._refresh_where([here])

    def change_folders(self, account_id: str, message_id: str, add: list[str], remove: list[str]) -> None:
        """File the message in (``add``: a copy) or take it out of (``remove``) folders of the
        source holding it; a folder it is already in, or not in, is no change."""
        locations = find_message(self.tenant, account_id, message_id)["locations"]
        here = locations[0]
        holder = storage.source_by_id(self.tenant.database, here["source_id"])
        mine = [loc for loc in locations if loc["source_id"] == holder["id"]]
        targets = [find_folder(self.tenant, holder, name)["name"] for name in add]
        leaving = [find_folder(self.tenant, holder, name)["name"] for name in remove]
        for name in dict.fromkeys(targets):
            if name not in {loc["folder"] for loc in mine}:
                self.writer.copy(here, name, False, [])
                self.refresh(holder["id"], name)
        for location in mine:
            if location["folder"] in leaving:
                self.writer.remove(location)
                self.refresh(holder["id"], location["folder"])

    def set_folders(self, account_id: str, message_id: str, names: list[str]) -> None:
        """Make the set of folders holding it exactly ``names`` (never empty: that would delete)."""
        if not names:
            raise InvalidParameter("a message must stay in at least one folder (DELETE removes it)")
        locations = find_message(self.tenant, account_id, message_id)["locations"]
        holder = storage.source_by_id(self.tenant.database, locations[0]["source_id"])
        wanted = {find_folder(self.tenant, holder, name)["name"] for name in names}
        current = {loc["folder"] for loc in locations if loc["source_id"] == holder["id"]}
        self.change_folders(account_id, message_id, sorted(wanted - current), sorted(current - wanted))

    def create_folder(self, source: dict[str, Any], path: str, delim: str) -> None:
        """``path`` uses ``delim`` between levels; the server's own separator is used on it."""
        known = storage.folders_of(self.tenant.database, source["id"])
        separator = next((row["delimiter"] for row in known if row["delimiter"]), "/")
        name = separator.join(part for part in path.split(delim or "/") if part)
        if not name:
            raise InvalidParameter("a folder needs a name")
        self.writer.create_folder(source["id"], name)
        self.refresh(source["id"], name)

    def expunge_folder(self, source: dict[str, Any], path: str) -> None:
        folder = find_folder(self.tenant, source, path)
        self.writer.expunge(source["id"], folder["name"])
        self.refresh(source["id"], folder["name"])

    def live_folders(self, source: dict[str, Any]) -> list[dict[str, Any]]:
        """The folders as the server lists them this moment (``no_cache=1``), with the counts
        the index has for those it knows."""
        known = {row["name"]: row for row in storage.folders_of(self.tenant.database, source["id"])}
        listed = []
        for attributes, delimiter, name in self.writer.list_folders(source["id"]):
            row = known.get(name, {"nb_messages": 0, "nb_unseen_messages": 0})
            listed.append({**row, "name": name, "delimiter": delimiter, "attributes": attributes})
        return listed

    def delete_folder(self, source: dict[str, Any], path: str) -> None:
        """The folder and its messages, for good; never INBOX."""
        folder = find_folder(self.tenant, source, path)
        if folder["name"].upper() == "INBOX":
            raise InvalidParameter("INBOX cannot be deleted")
        self.writer.delete_folder(source["id"], folder["name"])
        storage.delete_folder(self.tenant.database, folder["id"])
        storage.forget_orphan_messages(self.tenant.database, source["account_id"])
