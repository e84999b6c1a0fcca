"""One source's sync: log in, list its folders with their STATUS up front, sync each
(``folders.FolderSync``), then set the source's status, its retry, or its first callback.

A folder whose STATUS (UIDVALIDITY, UIDNEXT, MESSAGES, HIGHESTMODSEQ) is unchanged costs one
round trip and no SELECT.
"""

from __future__ import annotations

import imaplib
import json
import logging
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, ProtocolError

from .. import storage
from ..domain import webhook_events
from ..domain.crypto import Vault
from ..domain.sources import PAUSED, SourceStatus
from ..storage import Database
from .fetch import LiveMail
from .folders import FETCH_ITEMS, GMAIL_ITEMS, FolderSync, Interrupted, folder_status
from .imap import SyncFailure, close_quietly, server_text
from .login import Connection, log_in
from .oauth_tokens import AccessTokens
from .transport import ActiveConnections

logger = logging.getLogger("connect.sync")

# Folders Context.IO left out unless sync_all_folders=1.
SKIPPED_FOLDERS = {b"\\Trash", b"\\Junk", b"\\Drafts"}
PERIOD_SECONDS = {"1h": 3600, "4h": 14400, "12h": 43200, "24h": 86400}
# More folders than any real mailbox has; a server listing more is not believed past this.
MAX_FOLDERS = 2000


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

    def sync(
        self, source_id: int, keep_going: Callable[[], bool] = lambda: True, folder: str | None = None
    ) -> str:
        """Run one sync of the source — of one ``folder`` only, when a push named it — and
        queue the webhook callbacks of what it found; the outcome in a word (for logs)."""
        try:
            return self._sync(source_id, keep_going, folder)
        finally:
            self.announce()

    def _sync(self, source_id: int, keep_going: Callable[[], bool], folder: str | None) -> str:
        source = storage.sync_context(self.database, source_id)
        if source is None:
            return "gone"
        if source["status"] in PAUSED:
            return "paused"
        started = int(time.time())
        known = {row["name"]: row for row in storage.folders_of(self.database, source_id)}
        only = [known[folder]] if folder in known and source["initial_import_finished"] else None
        if only is None:
            storage.record_sync_start(self.database, source_id, started)
        try:
            self._sync_source(source, keep_going, started, only, known)
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
            self.database, source_id, now, f"Synced at {_iso(now)}", _callback(source, now), only is None
        )
        logger.info(
            "source %s of account %s synced%s", source["label"], source["account_id"], " (initial)" * first
        )
        return "synced"

    def announce(self) -> int:
        """Queue the webhook callbacks of what the index recorded (this sync's, and any a
        stopped worker left); how many."""
        mailboxes = LiveMail(self.database, self.vault, self.tokens, self.settings.connection)
        return webhook_events.announce(self.database, mailboxes)

    def _sync_source(
        self,
        source: dict[str, Any],
        keep_going: Callable[[], bool],
        started: int,
        only: list[dict[str, Any]] | None,
        known: dict[str, dict[str, Any]],
    ) -> None:
        """``known``: the folders the index holds, by name."""
        client = log_in(source, self.vault, self.tokens, self.settings.connection)
        self.active.add(client)
        try:
            if only is not None:
                self._sync_folders(client, source, keep_going, started, only)
            else:
                self._sync_mailbox(client, source, keep_going, started, known)
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
        self,
        client: IMAPClient,
        source: dict[str, Any],
        keep_going: Callable[[], bool],
        started: int,
        known: dict[str, dict[str, Any]],
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

        names = {name for _, _, name in listed}
        gone = [folder for name, folder in known.items() if name not in names]
        for folder in gone:
            storage.delete_folder(self.database, folder["id"])
        if gone:
            storage.forget_orphan_messages(self.database, source["account_id"])
        saved = []
        for flags, delimiter, name in listed:
            separator, attributes = (delimiter or b"").decode(), json.dumps([flag.decode() for flag in flags])
            folder = known.get(name)
            if folder is None or (folder["delimiter"], folder["attributes"]) != (separator, attributes):
                folder = storage.save_folder(self.database, source["id"], name, separator, attributes)
            saved.append(folder)  # a folder as it was is not written again on every sync
        self._sync_folders(client, source, keep_going, started, saved)

    def _sync_folders(
        self,
        client: IMAPClient,
        source: dict[str, Any],
        keep_going: Callable[[], bool],
        started: int,
        folders: list[dict[str, Any]],
    ) -> None:
        capabilities = set(client.capabilities())
        condstore = b"CONDSTORE" in capabilities
        if condstore:
            client.enable("CONDSTORE")
        items = FETCH_ITEMS + (GMAIL_ITEMS if b"X-GM-EXT-1" in capabilities else [])
        wanted = ["UIDVALIDITY", "UIDNEXT", "MESSAGES", "UNSEEN"] + (["HIGHESTMODSEQ"] if condstore else [])
        statuses = [folder_status(client, folder["name"], wanted) for folder in folders]
        initial = not source["initial_import_finished"]
        if initial:  # the end user sees "1,200 of 10,000 messages" while it runs
            total = sum(status[b"MESSAGES"] for status in statuses)
            storage.start_initial_sync_progress(self.database, source["id"], total)
        for folder, status in zip(folders, statuses, strict=True):
            FolderSync(
                self.database,
                self.settings.batch_size,
                client,
                source,
                folder,
                condstore,
                items,
                keep_going,
                initial,
                started,
            ).run(status)
            if not keep_going():
                raise Interrupted()


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
