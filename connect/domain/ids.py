"""Identifiers that sort by creation: accounts and messages are listed oldest first on both
engines (PostgreSQL has no rowid to break a tie within a second), and new rows land at the end
of their index instead of all over it."""

from __future__ import annotations

import secrets
import threading
import time

_lock = threading.Lock()
_last = 0


def _moment() -> str:
    """Microseconds since the epoch, strictly increasing in this process, in 12 hex digits."""
    global _last
    with _lock:
        _last = max(_last + 1, time.time_ns() // 1000)
        return f"{_last:012x}"


def time_ordered_id() -> str:
    """24 hex digits, like Context.IO's: the moment, then 48 random bits."""
    return _moment() + secrets.token_hex(6)


def time_ordered_secret() -> str:
    """A value to hand out as a credential (a connect token): the moment, then 128 random bits."""
    return _moment() + secrets.token_hex(16)
