"""A broken or hostile IMAP server never leaves a source stuck, the worker hung or memory unbounded.

Each fault ends with a status that says what happened and a retry queued; none allocates what
the server announces or waits on it past a deadline; a stopping worker breaks off at once.
"""

from __future__ import annotations

import threading
import time

import pytest

from connect import storage
from connect.sync import engine
from connect.sync.transport import Limits
from tests.dovecot import message
from tests.hostile_imap import HostileImap
from tests.mail_world import MailWorld


@pytest.fixture
def world(tmp_path, dovecot, oauth_provider):
    """On SQLite only: what these tests probe is the IMAP connection, not the store."""
    return MailWorld.create(tmp_path, dovecot, oauth_provider)


@pytest.fixture
def hostile():
    started = []

    def start(mode: str, **options) -> HostileImap:
        server = HostileImap(mode, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def sync_against(world, server: HostileImap, **worker_options) -> dict:
    account_id = world.add_account()
    label = world.add_source(account_id, "victim@example.com", port=server.port, use_ssl=0, password="pw")
    world.sync(**worker_options)
    return world.source(account_id, label)


def queued_retries(world) -> list[dict]:
    return world.query("SELECT * FROM sync_jobs WHERE state = 'queued' AND reason = 'retry'")


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("no_uidvalidity", "STATUS answer for folder 'INBOX' lacks UIDVALIDITY"),
        ("malformed_fetch", "answer that could not be understood"),
        ("huge_literal", "literal, over the limit"),
    ],
)
def test_an_unexpected_answer_is_a_status_with_a_reason_and_a_retry(world, hostile, mode, reason):
    source = sync_against(world, hostile(mode))

    assert source["status"] == "CONNECTION_IMPOSSIBLE"
    assert reason in source["status_message"]
    assert len(source["status_message"]) <= 400
    [retry] = queued_retries(world)
    assert retry["run_after"] > retry["queued_at"]


def test_an_answer_trickled_a_byte_at_a_time_hits_the_command_deadline(world, hostile):
    source = sync_against(world, hostile("trickle"), limits=Limits(idle_seconds=5, command_seconds=1))

    assert source["status"] == "CONNECTION_IMPOSSIBLE"
    assert "did not finish its answer in time" in source["status_message"]
    assert len(queued_retries(world)) == 1


def test_a_server_listing_too_many_folders_is_believed_only_so_far(world, hostile, monkeypatch):
    monkeypatch.setattr(engine, "MAX_FOLDERS", 5)
    source = sync_against(world, hostile("fine", folders=40))

    assert source["status"] == "OK"
    assert len(world.query("SELECT * FROM folders")) == 5


def test_a_stopping_worker_breaks_off_a_stalled_command_and_hands_the_job_back(world, hostile):
    from connect.sync.worker import Worker

    server = hostile("stall")
    account_id = world.add_account()
    label = world.add_source(account_id, "victim@example.com", port=server.port, use_ssl=0, password="pw")
    worker = Worker(world.app, poll_seconds=0.2)
    thread = threading.Thread(target=worker.run)
    thread.start()
    deadline = time.monotonic() + 20
    while not world.query("SELECT 1 FROM sync_jobs WHERE state = 'running'") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # into the stalled FETCH

    worker.stop()
    thread.join(timeout=10)

    assert not thread.is_alive()
    [job] = world.query("SELECT * FROM sync_jobs")
    assert job["state"] == "queued" and job["lease_owner"] is None  # resumes on the next run
    assert world.source(account_id, label)["status"] == "OK"  # the server did nothing wrong


def test_a_non_ascii_password_logs_in_with_authenticate_plain(world, dovecot, mailbox_user):
    user = mailbox_user(password="pässwörd-ñ")
    dovecot.deliver(user, message("Unicode password"))
    account_id = world.add_account()
    label = world.add_source(account_id, user)

    world.sync()

    source = world.source(account_id, label)
    assert source["status"] == "OK" and source["initial_import_finished"] == 1


def test_a_non_ascii_password_where_the_server_cannot_take_it_is_invalid_credentials(world, hostile):
    server = hostile("no_plain")
    account_id = world.add_account()
    label = world.add_source(
        account_id, "victim@example.com", port=server.port, use_ssl=0, password="pässwort"
    )

    world.sync()

    source = world.source(account_id, label)
    assert source["status"] == "INVALID_CREDENTIALS"
    assert "does not accept non-ASCII" in source["status_message"]
    assert server.logins == []  # the password was never sent in a form the server can't take


def test_a_source_whose_initial_sync_job_ended_without_a_retry_is_queued_again(world, dovecot, mailbox_user):

    user = mailbox_user()
    dovecot.deliver(user, message("Eventually"))
    account_id = world.add_account()
    label = world.add_source(account_id, user)
    # the job ended as if the database had failed mid-sync
    world.query("UPDATE sync_jobs SET state = 'failed', error = 'OperationalError: disk I/O error'")
    world.query("UPDATE sources SET last_sync_start = created")
    created = world.source(account_id, label)["created"]

    assert world.sync(now=created + 60)["scheduled"] == 0  # give the failed run a moment
    world.sync(now=created + storage.STALLED_INITIAL_SYNC)

    source = world.source(account_id, label)
    assert source["initial_import_finished"] == 1 and source["status"] == "OK"


def test_a_server_without_idle_is_polled_with_noop_and_new_mail_is_synced_at_once(
    world, hostile, monkeypatch
):
    from connect.sync import idle
    from connect.sync.worker import Worker

    monkeypatch.setattr(idle, "POLL_EVERY", 0.2)
    server = hostile("fine")
    source = sync_against(world, server)
    assert source["status"] == "OK"
    worker = Worker(world.app, idle_capacity=10)
    worker._beat()  # the holder of an IDLE session must be a live worker
    running = threading.Thread(target=worker.idle.run, args=(worker.stopping,))
    running.start()
    try:
        deadline = time.monotonic() + 20
        while worker.idle.held() != 1 or server.noops == 0:
            assert time.monotonic() < deadline, "never polled"
            time.sleep(0.05)
        server.new_mail.set()
        while not world.query("SELECT * FROM sync_jobs WHERE reason = 'push'"):
            assert time.monotonic() < deadline, "the new mail was not pushed"
            time.sleep(0.05)
    finally:
        worker.stop()
        running.join(timeout=20)
    [push] = world.query("SELECT folder, state FROM sync_jobs WHERE reason = 'push'")
    assert push == {"folder": "INBOX", "state": "queued"}
