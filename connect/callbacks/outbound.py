"""One outbound POST to a URL someone else chose, with a hard deadline.

A timeout on each socket operation does not bound a request: a receiver that accepts the
connection and then trickles its answer a byte at a time keeps each ``recv`` under the timeout
forever. Here a watchdog closes the socket when the attempt's total time (connect, TLS, send,
read) is up, and whoever stops the worker can close every attempt in flight at once. The
connection goes to the address the policy checked; TLS still verifies the URL's host name.
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from ..domain.address_policy import AddressPolicy, url_host


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying context per process (building one loads the CA store, ~20 ms)."""
    return ssl.create_default_context()


class PostFailed(Exception):
    """No HTTP answer: the reason, short and readable."""


class _Attempt:
    """The connection of one attempt. TLS takes over the socket object (the plain one is left
    without a descriptor), so a breaker shuts the connection down through a duplicate of the
    original descriptor, which works at any stage."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._descriptor, self._family, self._type = sock.fileno(), sock.family, sock.type
        self._lock = threading.Lock()
        self._done = False

    def abort(self) -> None:
        with self._lock:
            if self._done:
                return
            try:
                with socket.fromfd(self._descriptor, self._family, self._type) as duplicate:
                    duplicate.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            self._done = True
            self.sock.close()


class InFlight:
    """The attempts under way, so that a stopping worker can break them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: set[_Attempt] = set()
        self.closed = False

    def add(self, attempt: _Attempt) -> None:
        with self._lock:
            self._attempts.add(attempt)
            closed = self.closed
        if closed:
            attempt.abort()

    def discard(self, attempt: _Attempt) -> None:
        with self._lock:
            self._attempts.discard(attempt)

    def abort_all(self) -> None:
        with self._lock:
            self.closed = True
            attempts = list(self._attempts)
        for attempt in attempts:
            attempt.abort()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    policy: AddressPolicy,
    deadline: float,
    in_flight: InFlight | None = None,
) -> int:
    """POST and return the status code, within ``deadline`` seconds in all; redirects are
    answers like any other (never followed). PostFailed when there is no answer."""
    host, port = url_host(url, "the callback URL")
    parts = urlsplit(url)
    address = policy.connect_address(host, port, "the callback URL", parts.scheme)
    started = time.monotonic()
    try:
        sock = socket.create_connection((address, port), timeout=deadline)
    except TimeoutError:
        raise PostFailed(f"no connection within {deadline:g} s") from None
    except OSError as error:
        raise PostFailed(f"cannot connect: {error.strerror or error}") from None
    attempt = _Attempt(sock)
    watchdog = threading.Timer(max(0.0, deadline - (time.monotonic() - started)), attempt.abort)
    watchdog.daemon = True
    watchdog.start()
    if in_flight is not None:
        in_flight.add(attempt)
    try:
        if parts.scheme == "https":
            attempt.sock = tls_context().wrap_socket(sock, server_hostname=host)
        connection = http.client.HTTPConnection(host, port)
        connection.sock = attempt.sock
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        response.close()
        return status
    except (OSError, http.client.HTTPException) as error:
        if time.monotonic() - started >= deadline:
            raise PostFailed(f"no complete answer within {deadline:g} s") from None
        if in_flight is not None and in_flight.closed:
            raise PostFailed("the worker stopped during the attempt") from None
        raise PostFailed(f"{type(error).__name__}: {error}"[:300]) from None
    finally:
        watchdog.cancel()
        if in_flight is not None:
            in_flight.discard(attempt)
        attempt.close()
