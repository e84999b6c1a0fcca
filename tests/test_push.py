"""New mail pushed within seconds: the worker holds IMAP IDLE on each synced source, a pushed
EXISTS syncs that folder at once, and the webhook fires from that sync — through a real
Dovecot, a real worker and the project's own receiver."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from connect.sync.worker import Worker
from tests.dovecot import message
from tests.mail_world import MailWorld, Receiver


@contextlib.contextmanager
def running(world: MailWorld) -> Iterator[Worker]:
    worker = Worker(world.app, concurrency=2, poll_seconds=0.5)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the worker did not stop"


def eventually(condition: Callable[[], object], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def connected_account(world, mailbox_user, receiver, **webhook) -> tuple[str, str]:
    """An account with a synced mailbox and a webhook for it."""
    user = mailbox_user()
    account_id = world.add_account()
    world.add_source(account_id, user)
    world.sync()
    answer = world.signed(
        "POST", f"/2.0/accounts/{account_id}/webhooks", callback_url=receiver.webhook_url, **webhook
    )
    assert answer.status_code == 200
    return account_id, user


def append(dovecot, user: str, subject: str) -> None:
    with dovecot.imap(user) as session:
        session.append("INBOX", message(subject))


def subjects(receiver: Receiver) -> list[str]:
    return [row["message_data"]["subject"] for row in receiver.webhooks()]


def test_an_appended_message_reaches_the_webhook_without_waiting_for_the_period(
    world, dovecot, mailbox_user, receiver
):
    account_id, user = connected_account(world, mailbox_user, receiver)
    [before] = world.query("SELECT last_sync_stop FROM sources")
    with running(world) as worker:
        eventually(lambda: worker.idle.held() == 1)
        append(dovecot, user, "Pushed")
        eventually(lambda: receiver.webhooks())
        append(dovecot, user, "Pushed again")
        eventually(lambda: len(receiver.webhooks()) == 2)

    assert subjects(receiver) == ["Pushed", "Pushed again"]
    jobs = world.query("SELECT reason, folder, state FROM sync_jobs WHERE reason = 'push'")
    assert jobs and all(job == {"reason": "push", "folder": "INBOX", "state": "done"} for job in jobs)
    # a push syncs one folder: the periodic full sync keeps its schedule
    assert world.query("SELECT last_sync_stop FROM sources") == [before]
    assert world.query("SELECT count(*) AS n FROM idle_holders") == [{"n": 0}]  # let go on stop


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)
def test_a_changed_password_is_one_status_callback_and_the_source_is_let_go(
    world, dovecot, mailbox_user, receiver
):
    user = mailbox_user()
    account_id = world.add_account()
    label = world.add_source(account_id, user, status_callback_url=receiver.status_url)
    world.sync()
    with running(world) as worker:
        eventually(lambda: worker.idle.held() == 1)
        dovecot.change_password(user, "a-new-password")
        append(dovecot, user, "After the change")  # the push's sync is refused
        eventually(lambda: receiver.statuses())
        eventually(lambda: worker.idle.held() == 0)
    [told] = receiver.statuses()
    assert (told["old_status"], told["status"], told["source_label"]) == ("OK", "INVALID_CREDENTIALS", label)


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)
def test_after_dovecot_restarts_idle_comes_back_and_the_next_message_is_pushed(
    world, dovecot, mailbox_user, receiver
):
    account_id, user = connected_account(world, mailbox_user, receiver)
    with running(world) as worker:
        eventually(lambda: worker.idle.held() == 1)
        dovecot.restart()
        append(dovecot, user, "While reconnecting")  # caught up once IDLE is back
        eventually(lambda: receiver.webhooks())
        eventually(lambda: worker.idle.held() == 1)
        append(dovecot, user, "Pushed after the restart")
        eventually(lambda: len(receiver.webhooks()) == 2)
    assert subjects(receiver) == ["While reconnecting", "Pushed after the restart"]


def test_each_source_is_held_by_one_worker_up_to_its_capacity_and_taken_over_when_it_dies(
    world, mailbox_user
):
    from connect import storage

    account_id = world.add_account()
    for _ in range(3):
        world.add_source(account_id, mailbox_user())
    world.sync()
    now = int(time.time())

    def hold(owner: str, at: int, capacity: int = 10) -> list[int]:
        storage.heartbeat(world.database, owner, at)
        rows = storage.hold_idle_sources(world.database, owner, at, at - 60, capacity)
        return [row["source_id"] for row in rows]

    first = hold("worker-a", now, capacity=2)
    second = hold("worker-b", now)
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert hold("worker-a", now + 30, capacity=2) == first  # a live holder keeps what it holds

    later = now + 120  # worker-a went silent (killed): worker-b takes everything over
    assert sorted(hold("worker-b", later)) == sorted(first + second)
    assert all(
        row["folders"] for row in storage.hold_idle_sources(world.database, "worker-b", later, later - 60, 10)
    )
