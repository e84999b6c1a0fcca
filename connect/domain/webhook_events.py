"""Turning what the index saw happen into webhook callbacks: one per event and matching
webhook, with the message in the 2.0 shape, queued on the one outbound delivery pipeline.

The index records an event once per message however many folders, labels and sources hold
it; here each becomes a callback only for webhooks active since before it happened (events
of a paused webhook are dropped, never replayed).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import defaultdict
from typing import Any

from .. import storage
from ..storage import Database
from .errors import ConnectError
from .mail import Mailboxes, body_parts, header_map, header_text, parse
from .message_shape import message_shape
from .webhook_matching import matches

logger = logging.getLogger("connect.webhooks")

BATCH = 500


def announce(database: Database, mailboxes: Mailboxes | None, limit: int = BATCH) -> int:
    """Queue the callbacks of the events recorded so far (at most ``limit`` events); how many.
    ``mailboxes`` reads bodies and headers for webhooks that want them."""
    events = storage.pending_message_events(database, limit)
    if not events:
        return 0
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_account[event["account_id"]].append(event)
    callbacks: list[dict[str, Any]] = []
    for account_id, its_events in by_account.items():
        hooks = storage.live_webhooks(database, account_id)
        if hooks:
            callbacks += _AccountEvents(database, mailboxes, account_id).callbacks(its_events, hooks)
    return storage.take_message_events(database, [event["id"] for event in events], callbacks)


class _AccountEvents:
    def __init__(self, database: Database, mailboxes: Mailboxes | None, account_id: str) -> None:
        self.database, self.mailboxes, self.account_id = database, mailboxes, account_id
        self.raw: dict[str, bytes | None] = {}

    def callbacks(self, events: list[dict[str, Any]], hooks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        messages = self._messages([e["message_id"] for e in events if not e["snapshot"]])
        if self.mailboxes is not None and any(h["include_body"] or h["include_header"] != "0" for h in hooks):
            self._read_all(messages)
        made = []
        for event in events:
            message = (
                json.loads(event["snapshot"]) if event["snapshot"] else messages.get(event["message_id"])
            )
            if message is None:
                continue  # gone from the index since (its removal has an event of its own)
            if isinstance(message["addresses"], str):
                message["addresses"] = json.loads(message["addresses"])
            for hook in hooks:
                if event["created"] >= hook["resumed"] and matches(hook, event, message, self._find):
                    made.append(self._callback(hook, event, message))
        return made

    def _messages(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        rows = {
            row["id"]: {**row, "locations": [], "files": []}
            for row in storage.messages_by_ids(self.database, ids)
        }
        for location in storage.locations_of(self.database, list(rows)):
            rows[location["message_id"]]["locations"].append(location)
        for file in storage.files_of_messages(self.database, list(rows)):
            rows[file["message_id"]]["files"].append(file)
        return rows

    def _find(self, message_id: str) -> dict[str, Any] | None:
        return storage.message(self.database, self.account_id, message_id)

    def _callback(
        self, hook: dict[str, Any], event: dict[str, Any], message: dict[str, Any]
    ) -> dict[str, Any]:
        data = message_shape(message, f"{hook['api_root']}/accounts/{self.account_id}", include_flags=True)
        if hook["include_body"] or hook["include_header"] != "0":
            self._add_content(data, hook, message)
        now = int(time.time())
        labels = [location["label"] for location in message["locations"]]
        return {
            "event": event["id"],
            "kind": storage.WEBHOOK_KIND,
            "webhook": hook["id"],
            "webhook_id": f"msg_{secrets.token_hex(16)}",
            "consumer_key": hook["consumer_key"],
            "account_id": self.account_id,
            "source_label": labels[0] if labels else "",
            "url": hook["callback_url"],
            "timestamp": event["created"],
            "token": secrets.token_hex(16),
            "next_attempt_at": now,
            "created": now,
            "payload": json.dumps(
                {
                    "account_id": self.account_id,
                    "webhook_id": hook["webhook_id"],
                    "event": event["event"],
                    "message_data": data,
                }
            ),
        }

    def _add_content(self, data: dict[str, Any], hook: dict[str, Any], message: dict[str, Any]) -> None:
        raw = self._raw(message)
        if raw is None:
            return
        parsed = parse(raw)
        if hook["include_body"]:
            data["body"] = body_parts(parsed, hook["body_type"])
        if hook["include_header"] == "raw":
            data["headers"] = header_text(raw)
        elif hook["include_header"] == "1":
            data["headers"] = header_map(parsed)

    def _read_all(self, messages: dict[str, dict[str, Any]]) -> None:
        """The messages webhooks may want whole, read at once (one FETCH per folder); what
        can't be read that way is tried one by one when a callback needs it."""
        wanted = {message_id: m["locations"] for message_id, m in messages.items() if m["locations"]}
        try:
            self.raw.update(self.mailboxes.raw_messages(wanted))
        except ConnectError:
            pass

    def _raw(self, message: dict[str, Any]) -> bytes | None:
        """The message from its mailbox, read once however many webhooks want it; None when it
        can't be read now (the callback then goes without body and headers, and says nothing
        false)."""
        if message["id"] not in self.raw:
            self.raw[message["id"]] = None
            if self.mailboxes is not None and message["locations"]:
                try:
                    self.raw[message["id"]] = self.mailboxes.raw_message(message["locations"])
                except ConnectError as error:
                    logger.warning(
                        "message %s: body not read for its webhooks: %s", message["id"], error.message
                    )
        return self.raw[message["id"]]
