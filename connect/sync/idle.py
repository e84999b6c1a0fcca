"""New mail seen within seconds: an IMAP IDLE (RFC 2177) session on each source a worker holds.

One thread waits on every session's socket at once (``selectors``): an idle session costs a
socket and a little memory, not a thread. Connecting, logging in and re-issuing IDLE block on
the network, so a few pool threads do them. A pushed ``EXISTS``, ``EXPUNGE`` or ``FETCH``
asks for a sync of that folder at once; the periodic sync still covers the other folders.

IDLE is re-issued well before the 30 minutes after which RFC 2177 lets a server drop a
silent client; a server without IDLE is polled with NOOP; a dropped session reconnects with
back-off. Which worker holds which source is decided in the database (``storage.idle``).
"""

from __future__ import annotations

import json
import logging
import queue
import random
import re
import selectors
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .. import storage
from ..domain.crypto import Vault
from ..storage import Database
from .imap import SyncFailure, close_quietly
from .login import Connection, log_in
from .oauth_tokens import AccessTokens
from .transport import BoundedIMAPClient

logger = logging.getLogger("connect.idle")

RENEW_AFTER = 24 * 60  # seconds in IDLE before DONE and IDLE again (servers may drop at 30 min)
POLL_EVERY = 15  # seconds between NOOPs where the server has no IDLE
REFRESH_EVERY = 5  # seconds between two looks at which sources this worker should hold
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 300.0
SETUP_THREADS = 4
_CHANGE = re.compile(rb"^\* \d+ (EXISTS|EXPUNGE|FETCH)\b", re.IGNORECASE)
_BYE = re.compile(rb"^\* BYE\b", re.IGNORECASE)


@dataclass(eq=False)
class _Session:
    source_id: int
    folder: str
    client: BoundedIMAPClient | None = None
    idling: bool = True  # False: the server has no IDLE, so it is polled
    since: float = 0.0  # when IDLE (or the last poll) began
    failures: int = 0  # connection attempts failed in a row
    retry_at: float = 0.0
    busy: bool = False  # a pool thread has it
    wanted: bool = True  # False once the worker no longer holds the source


def watched_folder(server: str, folders: list[tuple[str, str]], gmail_host: str) -> str:
    """INBOX; on Gmail, All Mail (the folder with ``\\All``), which sees every label."""
    if server.lower() == gmail_host.lower():
        for name, attributes in folders:
            if "\\All" in json.loads(attributes or "[]"):
                return name
    return "INBOX"


def _hang_up(client: BoundedIMAPClient) -> None:
    """Close without a LOGOUT: a session in IDLE takes no other command, and a worker
    stopping with hundreds of them must not wait on each."""
    try:
        client.shutdown()
    except Exception:
        pass


def _changes(lines: list[bytes]) -> tuple[bool, bool]:
    """Whether the responses say the folder changed, and whether the server is leaving."""
    return any(_CHANGE.match(line) for line in lines), any(_BYE.match(line) for line in lines)


class IdleKeeper:
    """Holds IDLE on up to ``capacity`` sources for worker ``owner``; ``push(source_id, folder)``
    is called (from one thread of its own) when a folder changed."""

    def __init__(
        self,
        database: Database,
        vault: Vault,
        tokens: AccessTokens,
        connection: Connection,
        *,
        owner: str,
        gmail_host: str,
        push: Callable[[int, str], None],
        capacity: int,
        dead_after: int,
    ) -> None:
        self.database, self.vault, self.tokens, self.connection = database, vault, tokens, connection
        self.owner, self.gmail_host, self.push = owner, gmail_host, push
        self.capacity, self.dead_after = capacity, dead_after
        self.sessions: dict[int, _Session] = {}
        self.ready: queue.SimpleQueue[_Session] = queue.SimpleQueue()
        self.pushes: queue.SimpleQueue[tuple[int, str] | None] = queue.SimpleQueue()
        self.jitter = random.Random()
        self.closed = False

    # --- the loop ---------------------------------------------------------------------

    def run(self, stopping: threading.Event) -> None:
        """Until ``stopping`` is set: wait on every session, keep each one alive."""
        self.selector = selectors.DefaultSelector()
        self.pool = ThreadPoolExecutor(SETUP_THREADS, thread_name_prefix="connect-idle-setup")
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self.selector.register(self._wake_reader, selectors.EVENT_READ, None)
        pusher = threading.Thread(target=self._push_loop, name="connect-idle-push", daemon=True)
        pusher.start()
        next_refresh = 0.0
        try:
            while not stopping.is_set():
                now = time.monotonic()
                if now >= next_refresh:
                    self._refresh()
                    next_refresh = now + REFRESH_EVERY
                for key, _ in self.selector.select(timeout=1.0):
                    if key.data is None:
                        self._drain_wakeups()
                    else:
                        self._readable(key.data)
                self._take_ready()
                self._tend(time.monotonic())
        finally:
            self._close_all()
            self.pushes.put(None)
            pusher.join(timeout=5)

    def held(self) -> int:
        """Sessions idling (or polling) right now."""
        return sum(1 for session in list(self.sessions.values()) if session.client and not session.busy)

    def _refresh(self) -> None:
        """Hold what the database gives this worker; drop what it no longer does."""
        try:
            now = int(time.time())
            rows = storage.hold_idle_sources(
                self.database, self.owner, now, now - self.dead_after, self.capacity
            )
        except Exception:
            logger.exception("worker %s could not look up its IDLE sources", self.owner)
            return
        wanted = {row["source_id"]: row for row in rows}
        for source_id, session in list(self.sessions.items()):
            if source_id not in wanted:
                session.wanted = False
                if not session.busy:
                    self._forget(session)
        for source_id, row in wanted.items():
            if source_id not in self.sessions:
                folder = watched_folder(row["server"], row["folders"], self.gmail_host)
                self.sessions[source_id] = _Session(source_id, folder)

    def _tend(self, now: float) -> None:
        """Connect what is not connected, renew old IDLEs, poll where IDLE is not offered."""
        for session in list(self.sessions.values()):
            if session.busy:
                continue
            if session.client is None:
                if now >= session.retry_at:
                    self._hand_over(session, self._open)
            elif session.idling and now - session.since >= RENEW_AFTER:
                self._hand_over(session, self._renew)
            elif not session.idling and now - session.since >= POLL_EVERY:
                self._hand_over(session, self._poll)

    def _hand_over(self, session: _Session, task: Callable[[_Session], None]) -> None:
        if session.client is not None:
            self._unregister(session)
        session.busy = True
        self.pool.submit(self._run_task, task, session)

    def _run_task(self, task: Callable[[_Session], None], session: _Session) -> None:
        try:
            task(session)
        except Exception as error:
            self._dropped(session, error)
        if self.closed:  # the worker stopped while this was under way
            if session.client is not None:
                _hang_up(session.client)
            return
        self.ready.put(session)
        try:
            self._wake_writer.send(b"\0")
        except OSError:
            pass

    def _take_ready(self) -> None:
        while True:
            try:
                session = self.ready.get_nowait()
            except queue.Empty:
                return
            session.busy = False
            if not session.wanted:
                self._forget(session)
            elif session.client is not None:
                self.selector.register(session.client.fileno(), selectors.EVENT_READ, session)

    def _readable(self, session: _Session) -> None:
        try:
            lines = session.client.pushed()
        except Exception as error:
            self._unregister(session)
            self._dropped(session, error)
            return
        if lines is None:
            self._unregister(session)
            self._dropped(session, ConnectionError("the server closed the connection"))
            return
        changed, leaving = _changes(lines)
        if changed:
            self.pushes.put((session.source_id, session.folder))
        if leaving:
            self._unregister(session)
            self._dropped(session, ConnectionError("the server said BYE"))

    # --- the pool's work ------------------------------------------------------------------

    def _open(self, session: _Session) -> None:
        source = storage.sync_context(self.database, session.source_id)
        if source is None or source["status"] != "OK":
            session.wanted = False
            return
        try:
            client = log_in(source, self.vault, self.tokens, self.connection)
        except SyncFailure as failure:
            # The sync engine decides what a failure means for the source (its status, a
            # status callback): let it find out now rather than at the next period.
            if session.failures == 0:
                self.pushes.put((session.source_id, session.folder))
            raise ConnectionError(failure.reason) from None
        try:
            client.select_folder(session.folder, readonly=True)
            session.idling = client.has_capability("IDLE")
            if session.idling:
                client.idle()
        except BaseException:
            close_quietly(client)
            raise
        if session.retry_at:  # back after a drop: catch up on what arrived meanwhile
            self.pushes.put((session.source_id, session.folder))
        session.client, session.since, session.failures, session.retry_at = client, time.monotonic(), 0, 0.0

    def _renew(self, session: _Session) -> None:
        _, responses = session.client.idle_done()
        session.client.idle()
        self._answered(session, responses)

    def _poll(self, session: _Session) -> None:
        _, responses = session.client.noop()
        self._answered(session, responses)

    def _answered(self, session: _Session, responses: list[Any]) -> None:
        """Untagged responses that came with a command's answer count as pushed ones."""
        session.since = time.monotonic()
        kinds = {response[1] for response in responses if isinstance(response, tuple) and len(response) > 1}
        if kinds & {b"EXISTS", b"EXPUNGE", b"FETCH"}:
            self.pushes.put((session.source_id, session.folder))

    # --- endings ----------------------------------------------------------------------

    def _dropped(self, session: _Session, error: BaseException) -> None:
        """Close the session and try again later, a little later each time in a row."""
        if session.client is not None:
            _hang_up(session.client)
            session.client = None
        session.failures += 1
        delay = min(FIRST_BACKOFF * 2 ** (session.failures - 1), MAX_BACKOFF) * self.jitter.uniform(0.8, 1.2)
        session.retry_at = time.monotonic() + delay
        logger.info(
            "IDLE on source %d (%s) dropped (%s); reconnecting in %.1f s",
            session.source_id, session.folder, error, delay,
        )  # fmt: skip

    def _unregister(self, session: _Session) -> None:
        try:
            self.selector.unregister(session.client.fileno())
        except (KeyError, ValueError, OSError):
            pass

    def _forget(self, session: _Session) -> None:
        if session.client is not None:
            self._unregister(session)
            _hang_up(session.client)
            session.client = None
        self.sessions.pop(session.source_id, None)

    def _close_all(self) -> None:
        """Hang up everything now; a login still under way in the pool hangs up when it ends
        (stopping never waits on a slow server)."""
        self.closed = True
        self.pool.shutdown(wait=False, cancel_futures=True)
        for session in list(self.sessions.values()):
            self._forget(session)
        self.selector.close()
        self._wake_reader.close()
        self._wake_writer.close()

    def _drain_wakeups(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _push_loop(self) -> None:
        while (item := self.pushes.get()) is not None:
            try:
                self.push(*item)
            except Exception:
                logger.exception("source %d: the push could not be queued", item[0])
