"""The initial-sync callback: signed, sent once per source, retried until the receiver takes it."""

from __future__ import annotations

import json
import threading
import time

import pytest
from flask import Flask, redirect

from connect import storage
from connect.callbacks.delivery import RETRY_FOR, CallbackSender, DeliverySettings
from connect.domain.address_policy import AddressPolicy
from tests.dovecot import message
from tests.mail_world import MailWorld, Receiver
from tests.oauth_provider import ServerThread
from tests.servers import free_port


@pytest.fixture
def receiver_factory(tmp_path, world):
    started = []

    def start(refuse_first: int = 0) -> Receiver:
        receiver = Receiver(tmp_path / f"receiver-{len(started)}", world.consumer_secret, refuse_first)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


def events(world):
    return world.query("SELECT * FROM callback_events ORDER BY id")


def test_the_first_completed_sync_is_called_back_once(world, dovecot, mailbox_user, receiver_factory):
    receiver = receiver_factory()
    user = mailbox_user()
    dovecot.deliver(user, message("First"))
    account_id = world.add_account()
    label = world.add_source(account_id, user, callback_url=receiver.url)

    world.sync()
    world.update_source(account_id, label, force_status_check=1)
    world.sync()  # a second sync is not an initial sync: no second callback

    [recorded] = receiver.recorded()
    assert (recorded["account_id"], recorded["source_label"]) == (account_id, label)
    assert recorded["scheme"] == "standard-webhooks"
    [event] = events(world)
    assert event["state"] == "delivered"
    assert recorded["token"] == event["token"] and recorded["timestamp"] == event["timestamp"]
    assert receiver.requests == 1


def test_a_refusing_receiver_gets_retries_until_it_takes_the_callback(
    world, dovecot, mailbox_user, receiver_factory
):
    receiver = receiver_factory(refuse_first=2)
    user = mailbox_user()
    account_id = world.add_account()
    world.add_source(account_id, user, callback_url=receiver.url)

    world.sync()
    [event] = events(world)
    assert (event["state"], event["attempts"]) == ("pending", 1)
    assert event["next_attempt_at"] > event["created"]
    later = event["next_attempt_at"]
    world.sync(now=later)
    [event] = events(world)
    world.sync(now=event["next_attempt_at"])

    [event] = events(world)
    assert (event["state"], event["attempts"]) == ("delivered", 3)
    assert len(receiver.recorded()) == 1
    attempts = world.query("SELECT * FROM callback_attempts ORDER BY id")
    assert [a["status"] for a in attempts] == [503, 503, 200]
    assert all(a["latency_ms"] >= 0 for a in attempts)
    assert attempts[0]["error"] == "answered 503"


def sync_calling_back(world, user, host: Flask) -> None:
    """Add a source whose callback_url is served by ``host``, and sync it."""
    port = free_port()
    server = ServerThread(host, port).start()
    try:
        account_id = world.add_account()
        world.add_source(account_id, user, callback_url=f"http://127.0.0.1:{port}/hook")
        world.sync()
    finally:
        server.stop()


def test_410_gone_stops_at_once_and_can_be_resent(world, mailbox_user):
    gone = Flask("gone")
    gone.add_url_rule("/hook", "hook", lambda: ("", 410), methods=["POST"])
    sync_calling_back(world, mailbox_user(), gone)
    [event] = events(world)
    assert event["state"] == "failed" and "410" in event["last_error"]

    runner = world.app.test_cli_runner()
    listed = json.loads(runner.invoke(args=["callbacks", "list", "--json"]).output)
    assert listed[0]["attempt_log"][0]["status"] == 410
    assert "Callback #1 queued" in runner.invoke(args=["callbacks", "resend", str(event["id"])]).output
    assert events(world)[0]["state"] == "pending"


def test_a_redirect_is_not_followed(world, mailbox_user):
    mover = Flask("mover")
    followed = []
    mover.add_url_rule("/hook", "hook", lambda: redirect("/elsewhere", 307), methods=["POST"])
    mover.add_url_rule("/elsewhere", "elsewhere", lambda: followed.append(1) or "", methods=["POST"])
    sync_calling_back(world, mailbox_user(), mover)
    [event] = events(world)
    assert event["state"] == "pending" and event["last_error"] == "redirects are not followed"
    assert followed == []


def test_delivery_gives_up_after_a_day(world, mailbox_user):
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user(), callback_url=f"http://127.0.0.1:{free_port()}/nobody-home")
    world.sync()
    [event] = events(world)
    world.sync(now=event["created"] + RETRY_FOR + 1)
    [event] = events(world)
    assert event["state"] == "failed"
    assert "gave up after 2 attempts over 24 hours" in event["last_error"]


def test_private_callback_addresses_are_refused_at_delivery_in_production(
    tmp_path, dovecot, oauth_provider, mailbox_user
):
    world = MailWorld.create(tmp_path, dovecot, oauth_provider)
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user(), callback_url="http://127.0.0.1:9/hook")
    world.sync()  # synced from the loopback Dovecot; the first attempt finds nobody on port 9
    [event] = events(world)
    with world.app.app_context():
        strict = DeliverySettings(policy=AddressPolicy(allow_private=False))
        CallbackSender(storage.get_db(), world.app.extensions["connect.vault"], strict).deliver_due(
            now=event["next_attempt_at"]
        )
    [event] = events(world)
    assert event["attempts"] == 2
    assert "private, loopback or link-local" in event["last_error"]


def test_no_callback_without_a_callback_url(world, mailbox_user):
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user())
    world.sync()
    assert events(world) == []
    assert world.query("SELECT initial_import_finished FROM sources")[0]["initial_import_finished"] == 1


def test_two_workers_never_claim_the_same_source(world, mailbox_user):
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user())
    with world.app.app_context():
        database = storage.get_db()
        now = int(time.time())
        alive_since = now - 60
        storage.heartbeat(database, "worker-a", now)
        first = storage.claim_sync_job(database, "worker-a", now, now + 300, alive_since)
        storage.queue_sync(database, first["source_id"], "requested", now)  # queued behind the running one
        assert storage.claim_sync_job(database, "worker-b", now, now + 300, alive_since) is None
        storage.heartbeat(database, "worker-a", now + 301)  # still alive, but its lease ran out
        taken_over = storage.claim_sync_job(database, "worker-b", now + 301, now + 601, now + 301 - 60)
        assert taken_over["id"] == first["id"] and taken_over["lease_owner"] == "worker-b"
        assert storage.renew_sync_lease(database, first["id"], "worker-a", now + 900) is False


def test_a_claim_waiting_on_another_sees_the_job_that_one_took(world, mailbox_user):
    """Two workers claim at the same moment: the one that waits must choose by what the first
    wrote, not by what it saw when it began (the job as still queued)."""
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user())
    with world.app.app_context():
        database = storage.get_db()
        now = int(time.time())
        storage.heartbeat(database, "worker-a", now)
        second: list = []

        def claim_as_worker_b() -> None:
            second.append(storage.claim_sync_job(database, "worker-b", now, now + 300, now - 60))

        waiting = threading.Thread(target=claim_as_worker_b)
        with database.transaction():
            first = storage.claim_sync_job(database, "worker-a", now, now + 300, now - 60)
            waiting.start()
            waiting.join(timeout=1)  # worker-b is now waiting for worker-a's claim to commit
            assert waiting.is_alive()
        waiting.join(timeout=30)
    assert first is not None and second == [None]
    [job] = world.query("SELECT lease_owner, attempts FROM sync_jobs")
    assert job == {"lease_owner": "worker-a", "attempts": 1}


def test_a_job_whose_worker_stopped_beating_is_taken_over_before_its_lease_ends(world, mailbox_user):
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user())
    with world.app.app_context():
        database = storage.get_db()
        now = int(time.time())
        storage.heartbeat(database, "worker-a", now)
        first = storage.claim_sync_job(database, "worker-a", now, now + 300, now - 60)
        assert storage.claim_sync_job(database, "worker-b", now + 30, now + 330, now + 30 - 60) is None
        # worker-a was killed: no heartbeat for over a minute, though its lease runs for minutes more
        taken_over = storage.claim_sync_job(database, "worker-b", now + 61, now + 361, now + 61 - 60)
        assert taken_over["id"] == first["id"] and taken_over["lease_owner"] == "worker-b"
