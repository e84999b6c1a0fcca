"""One folder's sync: new messages indexed window by window, changed flags, expunged
messages, a new UIDVALIDITY; and the index record built from each FETCH answer.

The index is written batch by batch with the folder's progress, so a crash or a stopping
worker loses nothing already fetched: the next run resumes after the last stored batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from imapclient import IMAPClient

from .. import storage
from ..domain.ids import time_ordered_id
from ..domain.message_shape import stored_shape
from ..domain.sources import SourceStatus
from ..storage import Database
from . import parse
from .imap import SyncFailure

logger = logging.getLogger("connect.sync")

HEADER_FIELDS = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID REFERENCES IN-REPLY-TO)]"
FETCH_ITEMS = ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", HEADER_FIELDS]
GMAIL_ITEMS = ["X-GM-MSGID", "X-GM-THRID"]
STATUS_ITEMS = (b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES")


class Interrupted(Exception):
    """The worker is stopping or lost its lease: leave the job for the next run."""


def folder_status(client: IMAPClient, name: str, wanted: list[str]) -> dict[bytes, Any]:
    status = client.folder_status(name, wanted)
    missing = [item.decode() for item in STATUS_ITEMS if not isinstance(status.get(item), int)]
    if missing:
        raise SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE,
            f"the server's STATUS answer for folder {name!r} lacks {', '.join(missing)}",
        )
    return status


class FolderSync:
    """One folder: new messages, changed flags, expunged messages, a new UIDVALIDITY."""

    def __init__(
        self,
        database: Database,
        batch_size: int,
        client: IMAPClient,
        source: dict[str, Any],
        folder: dict[str, Any],
        condstore: bool,
        items: list[str],
        keep_going: Callable[[], bool],
        counting: bool = False,
        announce_since: int | None = None,
    ) -> None:
        self.database = database
        self.counting_source = source["id"] if counting else None
        # An incremental sync records what changed for webhooks; the initial one does not.
        self.announce_since = None if counting else announce_since
        self.batch = batch_size
        self.client, self.source, self.folder = client, source, folder
        self.condstore, self.items, self.keep_going = condstore, items, keep_going

    def run(self, status: dict[bytes, Any]) -> None:
        """Bring the folder up to the state its STATUS (taken up front) describes."""
        uidvalidity, uidnext = status[b"UIDVALIDITY"], status[b"UIDNEXT"]
        count, modseq = status[b"MESSAGES"], status.get(b"HIGHESTMODSEQ", 0)
        folder = self.folder
        if folder["uidvalidity"] is not None and folder["uidvalidity"] != uidvalidity:
            logger.info(
                "folder %s of source %s has a new UIDVALIDITY: re-indexing it",
                folder["name"],
                self.source["label"],
            )
            storage.reset_folder(self.database, self.source["account_id"], folder["id"], uidvalidity)
            self.announce_since = None  # everything is indexed anew: none of it is news
            folder = {**folder, "uidvalidity": uidvalidity, "uidnext": 1, "highestmodseq": 0, "synced_uid": 0}
        unchanged = (
            folder["uidvalidity"] == uidvalidity
            and folder["uidnext"] == uidnext
            and folder["nb_messages"] == count
            and folder["synced_uid"] >= uidnext - 1
            and (not self.condstore or folder["highestmodseq"] == modseq)
        )
        if unchanged:
            return
        self.client.select_folder(folder["name"], readonly=True)
        previously_synced = folder["synced_uid"]
        self._index_new(folder["id"], previously_synced + 1, uidnext, uidvalidity)
        if previously_synced:
            self._refresh_flags(folder, previously_synced, modseq)
            # Every message the STATUS counted is indexed: nothing was expunged meanwhile.
            if storage.folder_count(self.database, folder["id"]) != count:
                self._forget_expunged(folder["id"], previously_synced)
        storage.update_folder(
            self.database,
            folder["id"],
            {
                "uidvalidity": uidvalidity,
                "uidnext": uidnext,
                "highestmodseq": modseq,
                "nb_messages": count,
                "nb_unseen_messages": status.get(b"UNSEEN", 0),
            },
        )

    def _windows(self, low: int, high: int):
        """UID ranges of at most one batch: memory stays flat however large the folder."""
        while low <= high:
            top = min(low + self.batch - 1, high)
            yield low, top
            low = top + 1
            if not self.keep_going():
                raise Interrupted()

    def _uids(self, low: int, high: int) -> list[int]:
        return [uid for uid in self.client.search(["UID", f"{low}:{high}"]) if low <= uid <= high]

    def _index_new(self, folder_id: int, low: int, uidnext: int, uidvalidity: int) -> None:
        """Window by window, the next one fetched while this one is stored: Dovecot's answer,
        the TLS reads and SQLite's writes (all outside the GIL) overlap with the parsing."""
        with ThreadPoolExecutor(1, thread_name_prefix="connect-fetch") as fetcher:
            stored: tuple[tuple[int, int], Future] | None = None
            for window in self._windows(low, uidnext - 1):
                fetching = fetcher.submit(self._fetch_window, *window)
                if stored is not None:
                    self._store_window(folder_id, uidvalidity, stored[0][1], stored[1].result())
                stored = (window, fetching)
            if stored is not None:
                self._store_window(folder_id, uidvalidity, stored[0][1], stored[1].result())

    def _fetch_window(self, low: int, high: int) -> dict[int, dict[bytes, Any]]:
        uids = self._uids(low, high)
        return self.client.fetch(uids, self.items) if uids else {}

    def _store_window(
        self, folder_id: int, uidvalidity: int, high: int, fetched: dict[int, dict[bytes, Any]]
    ) -> None:
        now = int(time.time())
        records = [_record(uid, data, now) for uid, data in sorted(fetched.items()) if b"ENVELOPE" in data]
        storage.index_batch(
            self.database,
            self.source["account_id"],
            folder_id,
            records,
            {"synced_uid": high, "uidvalidity": uidvalidity},
            self.counting_source,
            self.announce_since,
        )

    def _refresh_flags(self, folder: dict[str, Any], known_up_to: int, modseq: int) -> None:
        if self.condstore:
            if not folder["highestmodseq"] or modseq == folder["highestmodseq"]:
                return
            changed = [
                uid
                for uid in self.client.search(["MODSEQ", str(folder["highestmodseq"] + 1)])
                if uid <= known_up_to
            ]
            for start in range(0, len(changed), self.batch):
                self._store_flags(folder["id"], changed[start : start + self.batch])
            return
        for low, high in self._windows(1, known_up_to):
            self._store_flags(folder["id"], self._uids(low, high))

    def _store_flags(self, folder_id: int, uids: list[int]) -> None:
        if uids:
            fetched = self.client.fetch(uids, ["FLAGS"])
            storage.update_flags(
                self.database,
                folder_id,
                {uid: _flags(data) for uid, data in fetched.items()},
                None if self.announce_since is None else self.source["account_id"],
            )

    def _forget_expunged(self, folder_id: int, known_up_to: int) -> None:
        """One UID SEARCH of the known range, however large the folder, against the index."""
        present = set(self._uids(1, known_up_to))
        gone = sorted(storage.folder_uids(self.database, folder_id, 1, known_up_to) - present)
        for start in range(0, len(gone), self.batch):
            window = set(gone[start : start + self.batch])
            storage.forget_locations(
                self.database, self.source["account_id"], folder_id, window, self.announce_since is not None
            )


def _flags(data: dict[bytes, Any]) -> str:
    return json.dumps([flag.decode() for flag in data.get(b"FLAGS", ()) if flag != b"\\Recent"])


def _hex(gmail_id: int | None) -> str | None:
    """Gmail's ids as Gmail shows them (lowercase hex), not as IMAP sends them (decimal)."""
    return None if gmail_id is None else format(int(gmail_id), "x")


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


def _record(uid: int, data: dict[bytes, Any], now: int) -> dict[str, Any]:
    envelope = data[b"ENVELOPE"]
    header_bytes = next((value for key, value in data.items() if key.startswith(b"BODY[HEADER.FIELDS")), None)
    headers = parse.threading_headers(header_bytes)
    size = int(data.get(b"RFC822.SIZE") or 0)
    email_message_id = headers["message_id"] or (parse.text(envelope.message_id) or None)
    message_id = time_ordered_id()
    received = _epoch(data.get(b"INTERNALDATE"))
    addresses = parse.envelope_addresses(envelope)
    files = []
    for file in parse.attachments(data.get(b"BODYSTRUCTURE")):
        file_id = hashlib.sha1(f"{message_id}:{file['body_section']}".encode()).hexdigest()[:24]
        files.append({**file, "id": file_id, "is_noise": int(parse.is_noise(file))})
    record = {
        "id": message_id,
        "uid": uid,
        "flags": _flags(data),
        "files": files,
        "dedupe_key": parse.dedupe_key(email_message_id, envelope, size),
        "email_message_id": email_message_id,
        "gmail_message_id": _hex(data.get(b"X-GM-MSGID")),
        "gmail_thread_id": _hex(data.get(b"X-GM-THRID")),
        "subject": parse.text(envelope.subject),
        "date": _epoch(envelope.date) or received or now,
        "date_received": received,
        "date_indexed": now,
        "addresses": json.dumps(addresses),
        "in_reply_to": headers["in_reply_to"],
        "references": headers["references"],
        "size": size,
    }
    record["shape"] = stored_shape({**record, "addresses": addresses})
    return record
