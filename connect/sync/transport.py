"""The IMAP connection itself, bounded: the server at the other end may be hostile.

imaplib trusts its peer: a literal announced as ``{10000000000}`` is allocated whole, an
answer trickled a byte at a time never times out (the socket timeout is per ``recv``), and
nothing caps how much one answer may hold. Here every command has a total deadline, literals
and answers have a size cap, the connection goes to the address the policy checked (the
certificate is still verified against the server's name), and another thread can abort the
connection at once (a worker told to stop).
"""

from __future__ import annotations

import imaplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from imapclient import IMAPClient

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    idle_seconds: float = 30  # silence allowed between two reads
    command_seconds: float = 120  # a whole command, from sending it to its tagged answer
    max_literal: int = 64 * MiB  # one message or part (Gmail's own limit is 50 MB with encoding)
    max_answer: int = 256 * MiB  # everything one command's answer may hold


class ServerMisbehaved(imaplib.IMAP4.abort):
    """The server sent more than any sane answer holds; the connection is dropped."""


class DeadlineReader:
    """The file imaplib reads from, with the deadline and the caps applied to every read."""

    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self.sock = sock
        self.limits = limits
        self.buffer = bytearray()
        self.deadline = time.monotonic() + limits.command_seconds
        self.received = 0

    def begin_command(self) -> None:
        self.deadline = time.monotonic() + self.limits.command_seconds
        self.received = 0

    def readline(self, limit: int = -1) -> bytes:
        start = 0
        while True:
            end = self.buffer.find(b"\n", start)
            if end >= 0:
                return self._take(end + 1)
            if 0 <= limit <= len(self.buffer):
                return self._take(limit)  # imaplib reports the over-long line itself
            start = len(self.buffer)
            if not self._fill():
                return self._take(len(self.buffer))

    def read(self, size: int = -1) -> bytes:
        if size > self.limits.max_literal:
            raise ServerMisbehaved(f"the server announced a {size:,}-byte literal, over the limit")
        while len(self.buffer) < size:
            if not self._fill():
                break
        return self._take(min(size, len(self.buffer)))

    def close(self) -> None:
        self.buffer.clear()

    def take_available(self) -> list[bytes] | None:
        """Without waiting: the complete lines the server has sent so far (a partial one
        stays buffered); None once it closed the connection."""
        self.sock.setblocking(False)
        closed = False
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                self.buffer += chunk
                if len(self.buffer) > self.limits.max_answer:
                    raise ServerMisbehaved("the server's pushed responses are larger than any should be")
        except (BlockingIOError, ssl.SSLWantReadError):
            pass
        lines = []
        while (end := self.buffer.find(b"\n")) >= 0:
            lines.append(self._take(end + 1))
        if closed and not lines:
            return None
        return lines

    def _take(self, count: int) -> bytes:
        chunk = bytes(self.buffer[:count])
        del self.buffer[:count]
        return chunk

    def _fill(self) -> bool:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the server did not finish its answer in time")
        self.sock.settimeout(min(remaining, self.limits.idle_seconds))
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            if time.monotonic() >= self.deadline:
                raise TimeoutError("the server did not finish its answer in time") from None
            raise TimeoutError("the server went silent") from None
        if not chunk:
            return False
        self.received += len(chunk)
        if self.received > self.limits.max_answer:
            raise ServerMisbehaved("the server's answer is larger than any answer should be")
        self.buffer += chunk
        return True


class BoundedIMAP4(imaplib.IMAP4):
    """imaplib's client on a pinned address, reading through a DeadlineReader."""

    def __init__(
        self, host: str, port: int, *, address: str, ssl_context: ssl.SSLContext | None, limits: Limits
    ) -> None:
        self._address = address
        self._ssl_context = ssl_context
        self.limits = limits
        self._reader: DeadlineReader | None = None
        super().__init__(host, port, timeout=limits.idle_seconds)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), timeout=timeout)
        if self._ssl_context is not None:
            try:
                return self._ssl_context.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        return sock

    @property
    def file(self) -> DeadlineReader:  # type: ignore[override]
        assert self._reader is not None
        return self._reader

    @file.setter
    def file(self, opened) -> None:
        # imaplib opens a buffered file on each new socket (connect, STARTTLS); read the socket
        # ourselves instead. Nothing buffered before STARTTLS survives it, as it must not.
        opened.close()
        self._reader = DeadlineReader(self.sock, self.limits)

    def _command(self, name, *args):
        if self._reader is not None:
            self._reader.begin_command()
        return super()._command(name, *args)


class BoundedIMAPClient(IMAPClient):
    """IMAPClient over a BoundedIMAP4 connected to ``address`` (checked by the address policy)."""

    def __init__(
        self,
        host: str,
        *,
        address: str,
        port: int,
        use_ssl: bool,
        ssl_context: ssl.SSLContext,
        limits: Limits,
    ) -> None:
        self._address = address
        self._limits = limits
        super().__init__(host, port=port, ssl=use_ssl, ssl_context=ssl_context, timeout=limits.idle_seconds)

    def _create_IMAP4(self) -> BoundedIMAP4:
        return BoundedIMAP4(
            self.host,
            self.port,
            address=self._address,
            ssl_context=self.ssl_context if self.ssl else None,
            limits=self._limits,
        )

    def hurry(self, seconds: float) -> None:
        """From now on, give every command at most ``seconds`` (a LOGOUT after a failure)."""
        self._imap.limits = Limits(seconds, seconds, self._limits.max_literal, self._limits.max_answer)
        if self._imap._reader is not None:
            self._imap._reader.limits = self._imap.limits
            self._imap._reader.deadline = min(self._imap._reader.deadline, time.monotonic() + seconds)

    def idle(self) -> None:
        """Enter IDLE (RFC 2177); the server's pushed responses are then read with
        ``pushed()`` whenever ``fileno()`` is readable, without a thread waiting on it."""
        self._imap._reader.begin_command()
        super().idle()

    def idle_done(self):
        """Leave IDLE: the command's deadline counts from now, not from when IDLE began."""
        self._imap._reader.begin_command()
        return super().idle_done()

    def pushed(self) -> list[bytes] | None:
        """The untagged responses received while idling (``* 3 EXISTS``…); None when the
        server closed the connection."""
        return self._imap._reader.take_available()

    def fileno(self) -> int:
        return self._imap.sock.fileno()

    def abort(self) -> None:
        """Break the connection from another thread: whatever is blocked on it returns now."""
        try:
            self._imap.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class ActiveConnections:
    """The connections a worker has open, so that stopping it breaks them at once instead of
    waiting out a slow server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[BoundedIMAPClient] = set()

    def add(self, client: BoundedIMAPClient) -> None:
        with self._lock:
            self._open.add(client)

    def discard(self, client: BoundedIMAPClient) -> None:
        with self._lock:
            self._open.discard(client)

    def abort_all(self) -> None:
        with self._lock:
            clients = list(self._open)
        for client in clients:
            client.abort()
