"""Changing mail in the mailbox itself, with the source's own credentials: flags, deletions,
new messages, folders. The index is brought up to date by a sync of what changed right after
(``on_demand``), so the next read shows the write.

A server that refuses says why: ``WriteRefused`` (409) with its words; one that can't be
reached is ``MailboxUnavailable`` (502), as for live reads.
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from .. import storage
from ..domain.crypto import Vault
from ..domain.errors import Conflict
from ..storage import Database
from .fetch import MailboxUnavailable
from .imap import SyncFailure, close_quietly, server_text
from .login import Connection, log_in
from .oauth_tokens import AccessTokens

IMAP_ERRORS = (IMAPClientError, imaplib.IMAP4.error, OSError, ssl.SSLError)


class WriteRefused(Conflict):
    """The mail server would not make the change; its reason is in the message."""


class MailWriter:
    def __init__(
        self, database: Database, vault: Vault, tokens: AccessTokens, connection: Connection
    ) -> None:
        self.database, self.vault, self.tokens, self.connection = database, vault, tokens, connection

    @contextmanager
    def _session(self, source_id: int) -> Iterator[IMAPClient]:
        source = storage.sync_context(self.database, source_id)
        if source is None:
            raise MailboxUnavailable("the source is gone")
        try:
            client = log_in(source, self.vault, self.tokens, self.connection)
        except SyncFailure as failure:
            raise MailboxUnavailable(f"the mailbox can't be reached right now: {failure.reason}") from None
        try:
            yield client
        finally:
            close_quietly(client)

    def _run(self, source_id: int, what: str, change: Callable[[IMAPClient], Any]) -> Any:
        with self._session(source_id) as client:
            try:
                return change(client)
            except (IMAPClientError, imaplib.IMAP4.error) as error:
                raise WriteRefused(f"the mail server refused to {what}: {server_text(error)}") from None
            except (OSError, ssl.SSLError) as error:
                broke = f"the connection broke while trying to {what}: {server_text(error)}"
                raise MailboxUnavailable(broke) from None

    def store_flags(self, locations: list[dict[str, Any]], add: list[str], remove: list[str]) -> None:
        """Set and clear flags on every copy of the message."""
        for source_id, here in _by_source(locations).items():

            def change(client: IMAPClient, here=here) -> None:
                for location in here:
                    client.select_folder(location["folder"])
                    if add:
                        client.add_flags([location["uid"]], add, silent=True)
                    if remove:
                        client.remove_flags([location["uid"]], remove, silent=True)

            self._run(source_id, "change the flags", change)

    def delete_message(self, locations: list[dict[str, Any]]) -> None:
        """Gone for good from every folder holding it: ``\\Deleted``, then UID EXPUNGE of just
        that message (other messages marked deleted stay) where the server can."""
        for source_id, here in _by_source(locations).items():

            def change(client: IMAPClient, here=here) -> None:
                for location in here:
                    client.select_folder(location["folder"])
                    _expunge(client, location["uid"])

            self._run(source_id, "delete the message", change)

    def copy(self, location: dict[str, Any], folder: str, move: bool, flags: list[str]) -> None:
        """Copy (or move) a message to another folder of its own source, server side (MOVE
        where offered); ``flags`` are set on the copy, which is found by its Message-ID."""

        def change(client: IMAPClient) -> None:
            client.select_folder(location["folder"])
            header = client.fetch([location["uid"]], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            if move and client.has_capability("MOVE"):
                client.move([location["uid"]], folder)
            else:
                client.copy([location["uid"]], folder)
                if move:
                    _expunge(client, location["uid"])
            message_id = _message_id(header.get(location["uid"], {}))
            if flags and message_id:
                client.select_folder(folder)
                copies = client.search(["HEADER", "Message-ID", message_id])
                if copies:
                    client.add_flags(copies[-1:], flags, silent=True)

        self._run(location["source_id"], f"copy the message to {folder}", change)

    def remove(self, location: dict[str, Any]) -> None:
        """Take the message out of one folder (the others keep it)."""

        def change(client: IMAPClient) -> None:
            client.select_folder(location["folder"])
            _expunge(client, location["uid"])

        self._run(location["source_id"], f"remove the message from {location['folder']}", change)

    def append(self, source_id: int, folder: str, raw: bytes, flags: list[str]) -> None:
        self._run(source_id, f"add the message to {folder}", lambda client: client.append(folder, raw, flags))

    def create_folder(self, source_id: int, name: str) -> None:
        def change(client: IMAPClient) -> None:
            if not client.folder_exists(name):  # PUT twice is still a success
                client.create_folder(name)

        self._run(source_id, f"create {name}", change)

    def expunge(self, source_id: int, name: str) -> None:
        """Remove for good what is marked ``\\Deleted`` in the folder."""

        def change(client: IMAPClient) -> None:
            client.select_folder(name)
            client.expunge()

        self._run(source_id, f"expunge {name}", change)

    def list_folders(self, source_id: int) -> list[tuple[list[str], str, str]]:
        """The folders as the server lists them now: (attributes, delimiter, name)."""

        def listing(client: IMAPClient) -> list[tuple[list[str], str, str]]:
            return [
                ([flag.decode() for flag in flags], (delimiter or b"").decode(), name)
                for flags, delimiter, name in client.list_folders()
            ]

        return self._run(source_id, "list the folders", listing)

    def delete_folder(self, source_id: int, name: str) -> None:
        self._run(source_id, f"delete {name}", lambda client: client.delete_folder(name))


def _expunge(client: IMAPClient, uid: int) -> None:
    """``\\Deleted``, then UID EXPUNGE of just this message where the server has UIDPLUS (a
    plain EXPUNGE would also remove what the user marked deleted and kept)."""
    client.add_flags([uid], [b"\\Deleted"], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])


def _message_id(data: dict[bytes, Any]) -> str | None:
    for key, value in data.items():
        if key.startswith(b"BODY[HEADER") and value:
            text = value.decode("utf-8", "replace").split(":", 1)
            return text[1].strip() if len(text) == 2 else None
    return None


def _by_source(locations: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for location in locations:
        grouped.setdefault(location["source_id"], []).append(location)
    return grouped
