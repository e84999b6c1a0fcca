"""The callback receiver: ``POST /connect/callbacks/sync`` (a source's initial sync completed),
``POST /connect/callbacks/status`` (a source's status changed), ``POST
/connect/callbacks/webhook`` (a webhook: a message arrived or changed) and ``flask syncs list``.

The sources API calls these endpoints and retries until they answer 2xx. So each answers 200
to every genuine delivery, retries included, but records each event (and signals the host
app) exactly once, by its token.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import click
from blinker import Namespace
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from .. import storage
from ..commands import CommandGroup
from ..config import warn_when_serving
from .signing import (
    MAX_BODY_BYTES,
    MAX_WEBHOOK_BODY_BYTES,
    CallbackRejected,
    CallbackVerifier,
    MalformedCallback,
    MessageWebhook,
    StatusCallback,
    SyncCallback,
)

logger = logging.getLogger(__name__)

_signals = Namespace()

#: Sent once per completed initial sync, with ``sync`` (a :class:`SyncCallback`), after it is
#: recorded. Subscribe with ``sync_completed.connect_via(app)``.
sync_completed = _signals.signal("sync-completed")
#: Sent once per status callback, with ``status`` (a :class:`StatusCallback`), after it is
#: recorded: a source's status changed (``old_status`` → ``status``).
source_status_changed = _signals.signal("source-status-changed")
#: Sent once per webhook callback, with ``webhook`` (a :class:`MessageWebhook`), after it is
#: recorded: new mail (``event`` ``message_new``) or a change a webhook asked for.
message_received = _signals.signal("message-received")

EXTENSION = "connect.receiver"

bp = Blueprint("connect_receiver", __name__)


class CallbackReceiver:
    """Flask extension that mounts the receiver on a host app.

    Keyword arguments are shorthand for the settings of the same meaning, for a host that
    keeps its configuration elsewhere: ``secrets`` for ``CONTEXTIO_CONSUMER_SECRET`` plus
    ``CONTEXTIO_CALLBACK_SECRETS``, ``database`` for ``CONNECT_DATABASE``, ``tolerance`` for
    ``CONTEXTIO_CALLBACK_TOLERANCE``.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        secrets: Iterable[str] | None = None,
        database: str | None = None,
        tolerance: int | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.secrets = tuple(secrets) if secrets is not None else None
        self.database = database
        self.tolerance = tolerance
        self.max_body_bytes = max_body_bytes
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if self.database is not None:
            app.config["CONNECT_DATABASE"] = self.database
        storage.init_app(app)

        secrets = self.secrets
        if secrets is None:
            secrets = (
                app.config.get("CONTEXTIO_CONSUMER_SECRET"),
                *app.config.get("CONTEXTIO_CALLBACK_SECRETS", ()),
            )
        verifier = CallbackVerifier(
            (secret for secret in secrets if secret),
            tolerance=self.tolerance or app.config.get("CONTEXTIO_CALLBACK_TOLERANCE", 259200),
            max_body_bytes=self.max_body_bytes,
        )
        if not verifier.secrets:
            warn_when_serving(
                app,
                "no callback secret is configured (CONTEXTIO_CONSUMER_SECRET): "
                "every sync callback will be refused",
            )
        app.extensions[EXTENSION] = verifier
        app.register_blueprint(bp)
        app.cli.add_command(syncs_cli)


def _verified(
    kind: str, verify: Callable[[CallbackVerifier, bytes, Mapping[str, str]], Any], limit: int | None = None
) -> Any:
    """The verified callback, or raises ``CallbackRejected`` (logged, answered by the caller)."""
    verifier: CallbackVerifier = current_app.extensions[EXTENSION]
    try:
        return verify(verifier, _read_body(limit or verifier.max_body_bytes), request.headers)
    except CallbackRejected as rejection:
        logger.warning(
            "%s callback from %s refused (%d): %s",
            kind,
            request.remote_addr,
            rejection.status,
            rejection.message,
        )
        raise


@bp.errorhandler(CallbackRejected)
def _rejected(rejection: CallbackRejected) -> tuple[Response, int]:
    return jsonify(type="error", value=rejection.message), rejection.status


@bp.post("/connect/callbacks/sync")
def receive_sync() -> tuple[Response, int]:
    sync: SyncCallback = _verified("sync", CallbackVerifier.verify)

    recorded = storage.record_completed_sync(
        storage.get_db(), {**sync.as_dict(), "received_at": int(time.time())}
    )
    if not recorded:
        logger.info(
            "sync callback for account %s source %s repeated; already recorded",
            sync.account_id,
            sync.source_label,
        )
        return _answer("duplicate")

    logger.info(
        "initial sync completed: account %s source %s (verified by %s)",
        sync.account_id,
        sync.source_label,
        sync.scheme,
    )
    _announce(sync)
    return _answer("recorded")


@bp.post("/connect/callbacks/status")
def receive_status() -> tuple[Response, int]:
    """A source's status changed: recorded once per token, whatever the retries."""
    status: StatusCallback = _verified("status", CallbackVerifier.verify_status)
    received = {**status.as_dict(), "received_at": int(time.time())}
    if not storage.record_received_status(storage.get_db(), received):
        return _answer("duplicate")
    logger.info(
        "source %s of account %s: %s -> %s",
        status.source_label, status.account_id, status.old_status, status.status,
    )  # fmt: skip
    _tell(source_status_changed, status=status)
    return _answer("recorded")


@bp.post("/connect/callbacks/webhook")
def receive_webhook() -> tuple[Response, int]:
    """A webhook fired: recorded once per token, whatever the retries."""
    hook: MessageWebhook = _verified("webhook", CallbackVerifier.verify_message, MAX_WEBHOOK_BODY_BYTES)
    received = {
        "token": hook.token,
        "account_id": hook.account_id,
        "webhook_id": hook.webhook_id,
        "event": hook.event,
        "message_id": hook.message_id,
        "message_data": json.dumps(hook.message_data),
        "timestamp": hook.timestamp,
        "received_at": int(time.time()),
        "scheme": hook.scheme,
    }
    if not storage.record_received_webhook(storage.get_db(), received):
        return _answer("duplicate")
    logger.info(
        "webhook %s of account %s: %s, message %s",
        hook.webhook_id, hook.account_id, hook.event, hook.message_id,
    )  # fmt: skip
    _tell(message_received, webhook=hook)
    return _answer("recorded")


_ANSWERS = {status: json.dumps({"status": status}).encode() + b"\n" for status in ("recorded", "duplicate")}


def _answer(status: str) -> tuple[Response, int]:
    """The answer to a delivery, its body made once: senders retry on anything but a 2xx."""
    return current_app.response_class(_ANSWERS[status], mimetype="application/json"), 200


def _read_body(limit: int) -> bytes:
    """At most ``limit + 1`` bytes, so an oversized body is refused without reading it all."""
    if request.content_length is not None and request.content_length > limit:
        raise MalformedCallback(f"body is larger than {limit} bytes")
    return request.stream.read(limit + 1)


def _announce(sync: SyncCallback) -> None:
    _tell(sync_completed, sync=sync)


def _tell(signal, **details: SyncCallback | StatusCallback | MessageWebhook) -> None:
    """Tell the host app. Its handlers' failures are logged, not answered: the event is
    recorded, and a 5xx would only make the sender retry into a duplicate."""
    try:
        signal.send(current_app._get_current_object(), **details)
    except Exception:
        logger.exception("a %s handler failed", signal.name)


syncs_cli = CommandGroup("syncs", help="Completed initial syncs recorded by the callback receiver.")


@syncs_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_syncs(as_json: bool) -> None:
    """List every completed sync, oldest first."""
    rows = list(storage.completed_syncs(storage.get_db()))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No completed syncs recorded yet.")
        return
    for row in rows:
        click.echo(
            f"{_iso(row['received_at'])}  account {row['account_id']}  "
            f"source {row['source_label']}  completed {_iso(row['timestamp'])}  "
            f"token {row['token']}  ({row['scheme']})"
        )


def _iso(epoch: int) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(epoch)
