"""Signing and verifying callbacks: "initial sync completed", a source's status changed, and
webhooks (a message arrived or changed).

Two schemes authenticate the same event. Context.IO's own (the seed): the body carries
``signature`` = hex HMAC-SHA256 over ``str(timestamp) + token``, keyed with the API client's
consumer secret. Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` headers over ``id.timestamp.body``, keyed with the same secret's UTF-8
bytes. The sender uses both; a receiver accepts a request that either one vouches for.

No Flask here: the sync engine signs with this module and the receiver verifies with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ..domain.errors import ConnectError, InvalidParameter, Unauthorized

SEED_SCHEME = "contextio"
STANDARD_SCHEME = "standard-webhooks"

DEFAULT_TOLERANCE = 259200  # three days: longer than the sender retries
FUTURE_TOLERANCE = 300  # clocks drift; an event from further ahead is forged or broken
MAX_BODY_BYTES = 16 * 1024
MAX_WEBHOOK_BODY_BYTES = 4 * 1024 * 1024  # a webhook may carry the message's body
MAX_FIELD_LENGTH = 512

_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class CallbackRejected(ConnectError):
    """The callback cannot be accepted; ``status`` is the HTTP answer that says why."""


class MalformedCallback(CallbackRejected, InvalidParameter):
    """Not a callback at all: not JSON, a field missing or of the wrong type, too large."""


class UnauthenticCallback(CallbackRejected, Unauthorized):
    """Well formed, but no configured secret vouches for it, or it is stale."""


@dataclass(frozen=True)
class SyncCallback:
    """A verified callback: which source finished its initial sync, and how we know."""

    account_id: str
    source_label: str
    timestamp: int
    token: str
    scheme: str
    webhook_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)  # flat fields: no deep copy (asdict's) on the hot path


@dataclass(frozen=True)
class StatusCallback:
    """A verified status callback: a source's status changed from ``old_status`` to ``status``."""

    account_id: str
    source_label: str
    email: str
    status: str
    old_status: str
    status_message: str
    timestamp: int
    token: str
    scheme: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)  # flat fields: no deep copy (asdict's) on the hot path


@dataclass(frozen=True)
class MessageWebhook:
    """A verified webhook callback: ``event`` (``message_new``, …) on the message described by
    ``message_data`` (the 2.0 message shape), for webhook ``webhook_id``."""

    account_id: str
    webhook_id: str
    event: str
    message_data: dict[str, Any]
    timestamp: int
    token: str
    scheme: str

    @property
    def message_id(self) -> str:
        return self.message_data["message_id"]


def seed_signature(secret: str, timestamp: int, token: str) -> str:
    message = f"{timestamp}{token}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_callback(
    secret: str,
    *,
    account_id: str,
    source_label: str,
    timestamp: int,
    token: str,
    webhook_id: str,
    signed_at: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one delivery attempt, signed under both schemes.

    ``timestamp`` is when the sync completed and stays fixed across retries; ``signed_at``
    is when this attempt is sent, which the Standard Webhooks timestamp must be.
    """
    fields = {"account_id": account_id, "source_label": source_label}
    return sign_event(
        secret, fields, timestamp=timestamp, token=token, webhook_id=webhook_id, signed_at=signed_at
    )


def sign_event(
    secret: str,
    fields: Mapping[str, Any],
    *,
    timestamp: int,
    token: str,
    webhook_id: str,
    signed_at: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Any callback's body (``fields`` with ``timestamp``, ``token`` and the seed's
    ``signature``) and headers, signed as ``sign_callback`` signs the initial-sync one."""
    body = json.dumps(
        {
            **fields,
            "timestamp": timestamp,
            "token": token,
            "signature": seed_signature(secret, timestamp, token),
        }
    ).encode()
    signed_at = int(time.time()) if signed_at is None else signed_at
    signature = Webhook(secret.encode()).sign(
        webhook_id, datetime.fromtimestamp(signed_at, UTC), body.decode()
    )
    headers = {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(signed_at),
        "webhook-signature": signature,
    }
    return body, headers


class CallbackVerifier:
    """Decides whether a request is a genuine, fresh callback, under any configured secret.

    Several secrets may be live at once while one is being rotated out. Every comparison is
    constant-time; the error raised names the problem without echoing secrets.
    """

    def __init__(
        self,
        secrets: Iterable[str],
        *,
        tolerance: int = DEFAULT_TOLERANCE,
        max_body_bytes: int = MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secrets = tuple(dict.fromkeys(secret for secret in secrets if secret))
        self._webhooks = tuple(Webhook(secret.encode()) for secret in self.secrets)
        self.tolerance = tolerance
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    def verify(self, body: bytes, headers: Mapping[str, str]) -> SyncCallback:
        fields, scheme, webhook_id = self._authentic(body, headers, ("account_id", "source_label", "token"))
        return SyncCallback(
            account_id=fields["account_id"],
            source_label=fields["source_label"],
            timestamp=fields["timestamp"],
            token=fields["token"],
            scheme=scheme,
            webhook_id=webhook_id,
        )

    def verify_message(self, body: bytes, headers: Mapping[str, str]) -> MessageWebhook:
        """A genuine webhook callback (§1.5): a message arrived or changed."""
        names = ("account_id", "webhook_id", "token")
        fields, scheme, _ = self._authentic(body, headers, names, MAX_WEBHOOK_BODY_BYTES)
        document = json.loads(body)
        data = document.get("message_data")
        if not isinstance(data, dict) or not isinstance(data.get("message_id"), str):
            raise MalformedCallback("message_data must be an object with a message_id")
        event = document.get("event", "message_new")
        if not isinstance(event, str) or len(event) > 64:
            raise MalformedCallback("event must be a short string")
        return MessageWebhook(
            account_id=fields["account_id"],
            webhook_id=fields["webhook_id"],
            event=event,
            message_data=data,
            timestamp=fields["timestamp"],
            token=fields["token"],
            scheme=scheme,
        )

    def _authentic(
        self, body: bytes, headers: Mapping[str, str], names: tuple[str, ...], limit: int | None = None
    ) -> tuple[dict[str, Any], str, str | None]:
        """The body's fields (``names``, ``timestamp``), the scheme that vouched for them, and
        the Standard Webhooks id when that scheme did; or raises ``CallbackRejected``."""
        limit = limit or self.max_body_bytes
        if len(body) > limit:
            raise MalformedCallback(f"body is larger than {limit} bytes")
        fields = parse_callback_body(body, names)
        headers = _standard_headers(headers)
        has_standard_headers = all(headers.get(name) for name in _STANDARD_HEADERS)
        if fields["signature"] is None and not has_standard_headers:
            raise UnauthenticCallback("signature is missing")

        webhook_id = None
        if has_standard_headers and self._standard_signature_matches(body, headers):
            scheme, webhook_id = STANDARD_SCHEME, headers["webhook-id"]
        elif fields["signature"] is not None and self._seed_signature_matches(fields):
            scheme = SEED_SCHEME
        else:
            raise UnauthenticCallback("signature does not match")

        now = self.clock()
        if fields["timestamp"] < now - self.tolerance:
            raise UnauthenticCallback("timestamp is older than the accepted tolerance")
        if fields["timestamp"] > now + FUTURE_TOLERANCE:
            raise UnauthenticCallback("timestamp is in the future")
        return fields, scheme, webhook_id

    def verify_status(self, body: bytes, headers: Mapping[str, str]) -> StatusCallback:
        """A genuine status callback (signed as any callback is), with its status fields."""
        sync = self.verify(body, headers)
        document = json.loads(body)
        message = document.get("status_message")
        if not isinstance(message, str) or len(message) > 4 * MAX_FIELD_LENGTH:
            raise MalformedCallback("status_message must be a string")
        return StatusCallback(
            account_id=sync.account_id,
            source_label=sync.source_label,
            email=_text_field(document, "email"),
            status=_text_field(document, "status"),
            old_status=_text_field(document, "old_status"),
            status_message=message,
            timestamp=sync.timestamp,
            token=sync.token,
            scheme=sync.scheme,
        )

    def _seed_signature_matches(self, fields: Mapping[str, Any]) -> bool:
        given = fields["signature"]
        if not _HEX_SIGNATURE.fullmatch(given):
            return False
        given = given.lower().encode()
        return any(
            hmac.compare_digest(expected.encode(), given)
            for expected in (
                seed_signature(secret, fields["timestamp"], fields["token"]) for secret in self.secrets
            )
        )

    def _standard_signature_matches(self, body: bytes, headers: Mapping[str, str]) -> bool:
        for webhook in self._webhooks:
            try:
                webhook.verify(body, headers, json_parse=False)
            except (WebhookVerificationError, ValueError):
                # ValueError covers what the library does not catch itself: undecodable
                # bytes, malformed base64, an entry without a version.
                continue
            return True
        return False


def _standard_headers(headers: Mapping[str, str]) -> dict[str, str | None]:
    """The Standard Webhooks headers, whatever their case: a request's headers look them up
    case-insensitively already; a plain mapping is lowered first."""
    if isinstance(headers, dict):
        headers = {name.lower(): value for name, value in headers.items()}
    return {name: headers.get(name) for name in _STANDARD_HEADERS}


def parse_callback_body(
    body: bytes, names: tuple[str, ...] = ("account_id", "source_label", "token")
) -> dict[str, Any]:
    """The body's fields, checked for presence and type; ``signature`` is None when absent."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedCallback("body is not JSON") from None
    if not isinstance(document, dict):
        raise MalformedCallback("body is not a JSON object")

    fields: dict[str, Any] = {}
    for name in names:
        fields[name] = _text_field(document, name)
    timestamp = document.get("timestamp")
    if timestamp is None:
        raise MalformedCallback("timestamp is missing")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise MalformedCallback("timestamp must be a whole number of seconds")
    fields["timestamp"] = timestamp
    has_signature = document.get("signature") is not None
    fields["signature"] = _text_field(document, "signature") if has_signature else None
    return fields


def _text_field(document: Mapping[str, Any], name: str) -> str:
    value = document.get(name)
    if value is None:
        raise MalformedCallback(f"{name} is missing")
    if not isinstance(value, str):
        raise MalformedCallback(f"{name} must be a string")
    if not value or len(value) > MAX_FIELD_LENGTH or not value.isprintable():
        raise MalformedCallback(f"{name} must be 1 to {MAX_FIELD_LENGTH} printable characters")
    return value
