"""A source's status changes are told: to its status_callback_url and to the API client's
app-level one, signed like every callback, through the one delivery pipeline; the project's
own receiver records each once and tells the host app."""

from __future__ import annotations

from connect import source_status_changed, storage
from tests.mail_world import Receiver


def changes(receiver: Receiver) -> list[tuple[str, str]]:
    return [(row["old_status"], row["status"]) for row in receiver.statuses()]


def test_a_refused_password_and_the_reconnect_are_each_told_once(world, dovecot, mailbox_user, receiver):
    user = mailbox_user()
    account_id = world.add_account()
    told = []
    with source_status_changed.connected_to(lambda app, status: told.append(status), receiver.app):
        label = world.add_source(
            account_id, user, password="not-the-password", status_callback_url=receiver.status_url
        )
        world.sync()
        world.update_source(account_id, label, force_status_check=1)
        world.sync()  # refused again: the same status, nothing new to tell

        assert changes(receiver) == [("OK", "INVALID_CREDENTIALS")]
        [refused] = receiver.statuses()
        assert (refused["account_id"], refused["source_label"], refused["email"]) == (account_id, label, user)
        assert refused["status_message"] and refused["scheme"] == "standard-webhooks"

        world.update_source(account_id, label, password=dovecot.users[user])  # the end user reconnects
        world.sync()

    assert changes(receiver) == [("OK", "INVALID_CREDENTIALS"), ("INVALID_CREDENTIALS", "OK")]
    assert [(status.old_status, status.status) for status in told] == changes(receiver)
    kinds = world.query("SELECT kind, state FROM callback_events ORDER BY id")
    assert kinds == [{"kind": "source_status", "state": "delivered"}] * 2


def test_the_app_level_url_hears_every_source_until_it_is_deleted(world, dovecot, mailbox_user, receiver):
    assert world.signed("POST", "/app/status_callback_url", status_callback_url=receiver.status_url).json == {
        "success": True
    }
    assert world.signed("GET", "/app/status_callback_url/").json["status_callback_url"] == receiver.status_url
    account_id = world.add_account()
    first = world.add_source(account_id, mailbox_user(), password="wrong")
    world.sync()
    assert [(row["source_label"], row["status"]) for row in receiver.statuses()] == [
        (first, "INVALID_CREDENTIALS")
    ]

    assert world.signed("DELETE", "/app/status_callback_url").json == {"success": True}
    world.add_source(account_id, mailbox_user(), password="wrong")
    world.sync()

    assert len(receiver.statuses()) == 1
    assert world.signed("GET", "/app/status_callback_url").json["status_callback_url"] is None


def test_a_source_that_asked_twice_is_told_once_per_url(world, mailbox_user, receiver):
    world.signed("POST", "/app/status_callback_url", status_callback_url=receiver.status_url)
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user(), password="wrong", status_callback_url=receiver.status_url)

    world.sync()

    assert changes(receiver) == [("OK", "INVALID_CREDENTIALS")]  # the same URL twice: one event


def test_creating_a_source_and_syncing_it_fine_tells_nothing(world, dovecot, mailbox_user, receiver):
    account_id = world.add_account()
    label = world.add_source(account_id, mailbox_user(), status_callback_url=receiver.status_url)
    world.sync()
    world.update_source(account_id, label, force_status_check=1)
    world.sync()

    assert receiver.requests == 0 and world.query("SELECT * FROM callback_events") == []


def test_a_status_callback_sent_again_is_recorded_once(world, mailbox_user, receiver):
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user(), password="wrong", status_callback_url=receiver.status_url)
    world.sync()
    [event] = world.query("SELECT id FROM callback_events")
    with world.app.app_context():
        assert storage.resend_callback(storage.get_db(), event["id"], 0)
    world.sync()

    assert receiver.requests == 2 and len(receiver.statuses()) == 1


def test_an_app_level_url_must_be_one_the_server_may_call(world):
    answer = world.signed("POST", "/app/status_callback_url", status_callback_url="ftp://example.com/x")

    assert answer.status_code == 400 and answer.json["type"] == "error"
    assert world.signed("POST", "/app/status_callback_url").status_code == 400
