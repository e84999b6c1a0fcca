"""One source's sync: log in, walk its folders, index what changed, set its status.

The index is written batch by batch with the folder's progress, so a crash or a stopping
worker loses nothing already fetched: the next run resumes after the last stored batch. A
folder whose STATUS (UIDVALIDITY, UIDNEXT, MESSAGES, HIGHESTMODSEQ) is unchanged costs one
round trip and no SELECT.
"""

from __future__ import annotations

import hashlib
import imaplib
import json
import logging
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, ProtocolError

from .. import storage
from ..domain.crypto import Vault
from ..domain.ids import time_ordered_id
from ..domain.sources import PAUSED, SourceStatus
from ..storage import Database
from . import parse
from .imap import SyncFailure, close_quietly, server_text
from .login import Connection, log_in
from .oauth_tokens import AccessTokens
from .transport import ActiveConnections

logger = logging.getLogger("connect.sync")

HEADER_FIELDS = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID REFERENCES IN-REPLY-TO)]"
FETCH_ITEMS = ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", HEADER_FIELDS]
GMAIL_ITEMS = ["X-GM-MSGID", "X-GM-THRID"]
# Folders Context.IO left out unless sync_all_folders=1.
SKIPPED_FOLDERS = {b"\\Trash", b"\\Junk", b"\\Drafts"}
PERIOD_SECONDS = {"1h": 3600, "4h": 14400, "12h": 43200, "24h": 86400}
# More folders than any real mailbox has; a server listing more is not believed past this.
MAX_FOLDERS = 2000
STATUS_ITEMS = (b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES")


class Interrupted(Exception):
    """The worker is stopping or lost its lease: leave the job for the next run."""


@dataclass(frozen=True)
class SyncSettings:
    gmail_host: str
    connection: Connection
    batch_size: int = 200
    max_failures: int = 5  # failed attempts in a row before TEMP_DISABLED
    retry_base: int = 60  # seconds before the first retry; multiplied by 4 each time


class SyncEngine:
    def __init__(
        self,
        database: Database,
        vault: Vault,
        tokens: AccessTokens,
        settings: SyncSettings,
        active: ActiveConnections | None = None,
    ) -> None:
        self.database = database
        self.vault = vault
        self.tokens = tokens
        self.settings = settings
        self.active = active or ActiveConnections()

    def sync(self, source_id: int, keep_going: Callable[[], bool] = lambda: True) -> str:
        """Run one sync of the source; the outcome in a word (for logs and tests)."""
        source = storage.sync_context(self.database, source_id)
        if source is None:
            return "gone"
        if source["status"] in PAUSED:
            return "paused"
        storage.record_sync_start(self.database, source_id, int(time.time()))
        try:
            self._sync_source(source, keep_going)
        except Interrupted:
            raise
        except SyncFailure as failure:
            self._record_failure(source, failure)
            return "failed"
        except Exception as error:
            if not keep_going():  # the worker broke the connection to stop: not the server's fault
                raise Interrupted() from None
            self._record_failure(source, _failure_from(error, source))
            return "failed"
        now = int(time.time())
        first = storage.record_sync_success(
            self.database, source_id, now, f"Synced at {_iso(now)}", _callback(source, now)
        )
        logger.info(
            "source %s of account %s synced%s", source["label"], source["account_id"], " (initial)" * first
        )
        return "synced"

    def _sync_source(self, source: dict[str, Any], keep_going: Callable[[], bool]) -> None:
        client = log_in(source, self.vault, self.tokens, self.settings.connection)
        self.active.add(client)
        try:
            self._sync_mailbox(client, source, keep_going)
        finally:
            self.active.discard(client)
            close_quietly(client)

    def _record_failure(self, source: dict[str, Any], failure: SyncFailure) -> None:
        """Set the status the failure earned, then retry later, or stop retrying."""
        now = int(time.time())
        failures = storage.record_sync_failure(
            self.database, source["id"], failure.status.value, failure.reason, now
        )
        logger.warning(
            "source %s of account %s: %s: %s",
            source["label"],
            source["account_id"],
            failure.status,
            failure.reason,
        )
        if failure.status == SourceStatus.INVALID_CREDENTIALS:
            return  # the same credentials again would only risk locking the mailbox: wait for new ones
        if failures >= self.settings.max_failures:
            storage.update_source(
                self.database,
                source["id"],
                {
                    "status": SourceStatus.TEMP_DISABLED.value,
                    "status_message": f"{failures} failed attempts in a row, the last: {failure.reason}. "
                    "POST status=1 to try again.",
                },
            )
            return
        delay = min(self.settings.retry_base * 4 ** (failures - 1), PERIOD_SECONDS[source["sync_period"]])
        storage.queue_retry(self.database, source["id"], now + delay, now)

    # --- folders ------------------------------------------------------------------------

    def _sync_mailbox(
        self, client: IMAPClient, source: dict[str, Any], keep_going: Callable[[], bool]
    ) -> None:
        listed = [
            entry for entry in client.list_folders() if not {b"\\Noselect", b"\\NonExistent"} & set(entry[0])
        ]
        if len(listed) > MAX_FOLDERS:
            logger.warning(
                "source %s of account %s lists %d folders; syncing the first %d",
                source["label"], source["account_id"], len(listed), MAX_FOLDERS,
            )  # fmt: skip
            listed = listed[:MAX_FOLDERS]
        gmail = source["server"].lower() == self.settings.gmail_host.lower()
        if gmail and not any(b"\\All" in flags for flags, _, _ in listed):
            raise SyncFailure(
                SourceStatus.NO_ACCESS_TO_ALL_MAIL,
                "the All Mail folder is not visible over IMAP: "
                "show it in Gmail's settings (Labels, Show in IMAP)",
            )
        if not source["sync_all_folders"]:
            listed = [entry for entry in listed if not SKIPPED_FOLDERS & set(entry[0])]
        capabilities = set(client.capabilities())
        condstore = b"CONDSTORE" in capabilities
        if condstore:
            client.enable("CONDSTORE")
        items = FETCH_ITEMS + (GMAIL_ITEMS if b"X-GM-EXT-1" in capabilities else [])

        names = {name for _, _, name in listed}
        for folder in storage.folders_of(self.database, source["id"]):
            if folder["name"] not in names:
                storage.delete_folder(self.database, folder["id"])
        storage.forget_orphan_messages(self.database, source["account_id"])

        wanted = ["UIDVALIDITY", "UIDNEXT", "MESSAGES", "UNSEEN"] + (["HIGHESTMODSEQ"] if condstore else [])
        statuses = [_folder_status(client, name, wanted) for _, _, name in listed]
        initial = not source["initial_import_finished"]
        if initial:  # the end user sees "1,200 of 10,000 messages" while it runs
            total = sum(status[b"MESSAGES"] for status in statuses)
            storage.start_initial_sync_progress(self.database, source["id"], total)
        for (flags, delimiter, name), status in zip(listed, statuses, strict=True):
            attributes = json.dumps([flag.decode() for flag in flags])
            folder = storage.save_folder(
                self.database, source["id"], name, (delimiter or b"").decode(), attributes
            )
            FolderSync(self, client, source, folder, condstore, items, keep_going, initial).run(status)
            if not keep_going():
                raise Interrupted()


def _folder_status(client: IMAPClient, name: str, wanted: list[str]) -> dict[bytes, Any]:
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
        engine: SyncEngine,
        client: IMAPClient,
        source: dict[str, Any],
        folder: dict[str, Any],
        condstore: bool,
        items: list[str],
        keep_going: Callable[[], bool],
        counting: bool = False,
    ) -> None:
        self.database = engine.database
        self.counting_source = source["id"] if counting else None
        self.batch = engine.settings.batch_size
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
        for window_low, window_high in self._windows(low, uidnext - 1):
            uids = self._uids(window_low, window_high)
            fetched = self.client.fetch(uids, self.items) if uids else {}
            now = int(time.time())
            records = [
                _record(uid, data, now) for uid, data in sorted(fetched.items()) if b"ENVELOPE" in data
            ]
            storage.index_batch(
                self.database,
                self.source["account_id"],
                folder_id,
                records,
                {"synced_uid": window_high, "uidvalidity": uidvalidity},
                self.counting_source,
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
                self.database, folder_id, {uid: _flags(data) for uid, data in fetched.items()}
            )

    def _forget_expunged(self, folder_id: int, known_up_to: int) -> None:
        for low, high in self._windows(1, known_up_to):
            gone = storage.folder_uids(self.database, folder_id, low, high) - set(self._uids(low, high))
            if gone:
                storage.forget_locations(self.database, self.source["account_id"], folder_id, gone)


def _failure_from(error: Exception, source: dict[str, Any]) -> SyncFailure:
    """A status for whatever stopped the sync: the source says what happened, and a retry is
    scheduled as for any connection failure. Never a source left waiting with nothing queued."""
    if isinstance(error, ProtocolError | ValueError | TypeError | KeyError | AttributeError | IndexError):
        logger.warning(
            "source %s of account %s: the server's answer could not be understood",
            source["label"], source["account_id"], exc_info=True,
        )  # fmt: skip
        return SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE,
            f"the server sent an answer that could not be understood: {server_text(error)}",
        )
    if isinstance(error, IMAPClientError | imaplib.IMAP4.error | OSError | ssl.SSLError):
        return SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE, f"the connection broke during the sync: {server_text(error)}"
        )
    logger.exception("source %s of account %s: the sync failed", source["label"], source["account_id"])
    return SyncFailure(
        SourceStatus.CONNECTION_IMPOSSIBLE,
        f"the sync stopped on an unexpected error ({type(error).__name__}); it is logged and will be retried",
    )


def _flags(data: dict[bytes, Any]) -> str:
    return json.dumps([flag.decode() for flag in data.get(b"FLAGS", ()) if flag != b"\\Recent"])


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
    files = []
    for file in parse.attachments(data.get(b"BODYSTRUCTURE")):
        file_id = hashlib.sha1(f"{message_id}:{file['body_section']}".encode()).hexdigest()[:24]
        files.append({**file, "id": file_id, "is_noise": int(parse.is_noise(file))})
    return {
        "id": message_id,
        "uid": uid,
        "flags": _flags(data),
        "files": files,
        "dedupe_key": parse.dedupe_key(email_message_id, envelope, size),
        "email_message_id": email_message_id,
        "gmail_message_id": str(data[b"X-GM-MSGID"]) if b"X-GM-MSGID" in data else None,
        "gmail_thread_id": str(data[b"X-GM-THRID"]) if b"X-GM-THRID" in data else None,
        "subject": parse.text(envelope.subject),
        "date": _epoch(envelope.date) or received or now,
        "date_received": received,
        "date_indexed": now,
        "addresses": json.dumps(parse.envelope_addresses(envelope)),
        "in_reply_to": headers["in_reply_to"],
        "references": headers["references"],
        "size": size,
    }


def _callback(source: dict[str, Any], now: int) -> dict[str, Any]:
    """The event the first completed sync sends (stored only if the source has a callback_url)."""
    return {
        "webhook_id": f"msg_{secrets.token_hex(16)}",
        "consumer_key": source["consumer_key"],
        "account_id": source["account_id"],
        "source_label": source["label"],
        "timestamp": now,
        "token": secrets.token_hex(16),
        "next_attempt_at": now,
        "created": now,
    }


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
