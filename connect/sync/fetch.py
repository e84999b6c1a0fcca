"""Reading a message or a file from its mailbox, live: the index keeps metadata, not bodies.

The message is read from whichever source and folder holds it, with that source's own
credentials; parts come back decoded from their transfer encoding.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import ssl
from typing import Any

from imapclient.exceptions import IMAPClientError

from .. import storage
from ..domain.crypto import Vault
from ..domain.errors import ConnectError, NotFound
from ..storage import Database
from .imap import SyncFailure, close_quietly, server_text
from .login import Connection, log_in
from .oauth_tokens import AccessTokens


class MailboxUnavailable(ConnectError):
    """The mailbox holding the message could not be read just now."""

    status = 502


class LiveMail:
    def __init__(
        self, database: Database, vault: Vault, tokens: AccessTokens, connection: Connection
    ) -> None:
        self.database = database
        self.vault = vault
        self.tokens = tokens
        self.connection = connection

    def raw_message(self, locations: list[dict[str, Any]]) -> bytes:
        """The whole RFC 822 message."""
        return self._fetch(locations, "BODY.PEEK[]", b"BODY[]")

    def raw_messages(self, wanted: dict[str, list[dict[str, Any]]]) -> dict[str, bytes]:
        """Several whole messages (by message id, with their locations) in one FETCH per
        folder and one login per source; one that can't be read that way is read alone."""
        by_folder: dict[tuple[int, str], dict[int, str]] = {}
        for message_id, locations in wanted.items():
            if locations:
                first = locations[0]
                by_folder.setdefault((first["source_id"], first["folder"]), {})[first["uid"]] = message_id
        found: dict[str, bytes] = {}
        by_source: dict[int, list[tuple[str, dict[int, str]]]] = {}
        for (source_id, folder), uids in by_folder.items():
            by_source.setdefault(source_id, []).append((folder, uids))
        for source_id, folders in by_source.items():
            found.update(self._fetch_folders(source_id, folders))
        for message_id, locations in wanted.items():  # elsewhere, or gone from where it was
            if message_id not in found:
                found[message_id] = self.raw_message(locations)
        return found

    def _fetch_folders(self, source_id: int, folders: list[tuple[str, dict[int, str]]]) -> dict[str, bytes]:
        source = storage.sync_context(self.database, source_id)
        if source is None:
            return {}
        try:
            client = log_in(source, self.vault, self.tokens, self.connection)
        except SyncFailure:
            return {}
        found = {}
        try:
            for folder, uids in folders:
                client.select_folder(folder, readonly=True)
                for uid, data in client.fetch(sorted(uids), ["BODY.PEEK[]"]).items():
                    if uid in uids and data.get(b"BODY[]") is not None:
                        found[uids[uid]] = data[b"BODY[]"]
        except (IMAPClientError, imaplib.IMAP4.error, OSError, ssl.SSLError):
            pass  # what was not read here is read one by one, with its reason if it fails
        finally:
            close_quietly(client)
        return found

    def part(self, locations: list[dict[str, Any]], section: str) -> tuple[bytes, str]:
        """One body part, decoded, and its MIME type."""
        headers = self._fetch(locations, f"BODY.PEEK[{section}.MIME]", f"BODY[{section}.MIME]".encode())
        content = self._fetch(locations, f"BODY.PEEK[{section}]", f"BODY[{section}]".encode())
        part = email.message_from_bytes(headers + content, policy=email.policy.default)
        payload = part.get_payload(decode=True)
        return (payload if payload is not None else content), part.get_content_type()

    def flags(self, locations: list[dict[str, Any]]) -> set[str]:
        """The message's flags and keywords as the server holds them now."""
        return {flag.decode() for flag in self._fetch(locations, "FLAGS", b"FLAGS")}

    def _fetch(self, locations: list[dict[str, Any]], item: str, key: bytes) -> Any:
        failures = []
        for location in locations:  # any copy will do: try each source until one answers
            source = storage.sync_context(self.database, location["source_id"])
            if source is None:
                continue
            try:
                client = log_in(source, self.vault, self.tokens, self.connection)
            except SyncFailure as failure:
                failures.append(failure.reason)
                continue
            try:
                client.select_folder(location["folder"], readonly=True)
                fetched = client.fetch([location["uid"]], [item])
            except (IMAPClientError, imaplib.IMAP4.error, OSError, ssl.SSLError) as error:
                failures.append(f"{location['folder']}: {server_text(error)}")
                continue
            finally:
                close_quietly(client)
            data = fetched.get(location["uid"], {})
            if key in data and data[key] is not None:
                return data[key]
            failures.append(f"no longer in {location['folder']}")
        if failures and all(failure.startswith("no longer") for failure in failures):
            raise NotFound("the message is no longer in the mailbox; the next sync will drop it")
        raise MailboxUnavailable(
            "the mailbox can't be read right now" + (f": {failures[0]}" if failures else "")
        )
