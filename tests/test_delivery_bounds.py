"""Outbound callbacks are bounded: a hard deadline per attempt, one client's slow receiver never
holds up another client's callbacks, and a stopping worker breaks off what is in flight."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from connect import storage
from connect.callbacks.outbound import InFlight, PostFailed, post
from connect.domain import clients
from connect.domain.address_policy import AddressPolicy
from tests.mail_world import MailWorld
from tests.sql import run_sql


class TricklingReceiver:
    """Accepts, reads the request, then answers one byte every few tenths of a second."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if self.stopped.wait(0.2):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def trickling():
    receiver = TricklingReceiver()
    yield receiver
    receiver.stop()


LENIENT = AddressPolicy(allow_private=True)


def test_an_attempt_ends_at_its_deadline_however_the_receiver_trickles(trickling):
    started = time.monotonic()
    with pytest.raises(PostFailed, match="no complete answer within 1 s"):
        post(trickling.url, b"{}", {}, policy=LENIENT, deadline=1)
    assert time.monotonic() - started < 5


def test_breaking_off_in_flight_attempts_ends_them_at_once(trickling):
    in_flight = InFlight()
    failures = []

    def attempt() -> None:
        try:
            post(trickling.url, b"{}", {}, policy=LENIENT, deadline=60, in_flight=in_flight)
        except PostFailed as failure:
            failures.append(str(failure))

    thread = threading.Thread(target=attempt)
    thread.start()
    time.sleep(0.5)
    in_flight.abort_all()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert failures == ["the worker stopped during the attempt"]


def test_a_slow_clients_callbacks_do_not_hold_up_another_clients(
    tmp_path, dovecot, oauth_provider, trickling
):
    world = MailWorld.create(tmp_path, dovecot, oauth_provider)
    with world.app.app_context():
        database = storage.get_db()
        other = clients.create_client(database, world.app.extensions["connect.vault"], "another client")
        now = int(time.time())
        for number, (key, url) in enumerate(
            [
                (world.consumer_key, trickling.url),
                (world.consumer_key, trickling.url),
                (other.consumer_key, "x"),
            ]
        ):
            run_sql(
                database,
                "INSERT INTO callback_events (webhook_id, consumer_key, account_id, source_label, url, "
                "timestamp, token, next_attempt_at, created) "
                "VALUES (:webhook_id, :key, 'a', 's', :url, :now, :token, :now, :now)",
                webhook_id=f"msg_{number}",
                key=key,
                url=url,
                now=now,
                token=f"t{number}",
            )
        first = storage.claim_due_callback(database, now, now + 60)
        second = storage.claim_due_callback(database, now, now + 60)
        third = storage.claim_due_callback(database, now, now + 60)

    assert first["consumer_key"] == world.consumer_key
    assert second["consumer_key"] == other.consumer_key  # not the slow client's second event
    assert third is None  # the slow client's next waits until its attempt in flight ends


def test_sigterm_stops_a_worker_within_seconds_while_a_receiver_trickles(
    tmp_path, dovecot, oauth_provider, mailbox_user, trickling
):
    world = MailWorld.create(tmp_path, dovecot, oauth_provider)
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user(), callback_url=trickling.url)
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--poll", "0.2"],
        env=world.worker_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while trickling.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert trickling.connections == 1, "the worker never started the callback attempt"
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
        stopped_in = time.monotonic() - started
    finally:
        if worker.poll() is None:
            worker.kill()
    log = worker.stdout.read().decode()
    assert worker.returncode == 0, log
    assert stopped_in < 5, log
    [event] = world.query("SELECT * FROM callback_events")
    assert event["state"] == "pending" and event["lease_expires"] == 0  # handed back, not lost
    assert "Traceback" not in log
