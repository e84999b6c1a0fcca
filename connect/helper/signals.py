"""What the helper tells its host, as blinker signals (the way Flask and Flask-Login do).

Each is sent with the host app as sender and keyword arguments ``user_id`` (the host's own
id, as the user loader gave it), ``account_id`` (the account in the sources API), ``label``
and ``email`` of the mailbox. ``mailbox_connected`` also says whether it was a ``reconnect``.
A handler that raises is logged; the end user's request goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import Namespace
from flask import Flask

logger = logging.getLogger(__name__)
_signals = Namespace()

mailbox_connected = _signals.signal("mailbox-connected")
mailbox_removed = _signals.signal("mailbox-removed")


def send(signal: Any, app: Flask, **details: Any) -> None:
    try:
        signal.send(app, **details)
    except Exception:
        logger.exception("a %s handler failed", signal.name)
