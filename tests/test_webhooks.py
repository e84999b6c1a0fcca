"""Webhooks (``contextio-2.0-more.md`` §1): created, read, paused and deleted over the API on an
account or app-wide; fired once per new message after a sync sees it, matched by their
filters, signed and delivered through the one pipeline, and recorded once by the receiver."""

from __future__ import annotations

import time

import pytest

from connect import message_received
from tests.dovecot import message
from tests.mail_world import Receiver


@pytest.fixture
def synced(world, mailbox_user):
    """An account with one mailbox whose initial sync is done (its one message is old news)."""
    user = mailbox_user()
    world.dovecot.deliver(user, message("Before any webhook"))
    account_id = world.add_account()
    world.add_source(account_id, user)
    world.sync()
    return account_id, user


def create(world, path: str, **parameters) -> str:
    answer = world.signed("POST", f"/2.0/{path}", **parameters)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["success"] is True
    return answer.json["webhook_id"]


def sync_now(world, account_id: str) -> None:
    """What the account's mailboxes hold now, synced as a manual sync does (not the first)."""
    assert world.signed("POST", f"/2.0/accounts/{account_id}/sync").status_code == 200
    world.sync()


def subjects(receiver: Receiver) -> list[str]:
    return [row["message_data"]["subject"] for row in receiver.webhooks()]


def test_a_webhook_is_created_read_paused_and_deleted(world, synced, receiver):
    account_id, _ = synced
    path = f"accounts/{account_id}/webhooks"
    webhook_id = create(
        world,
        path,
        callback_url=receiver.webhook_url,
        filter_subject="invoice",
        include_body=1,
        body_type="text/plain",
    )

    [listed] = world.api(path)
    assert listed == world.api(f"{path}/{webhook_id}/")
    assert listed["webhook_id"] == webhook_id and listed["filter_subject"] == "invoice"
    assert (listed["active"], listed["failure"], listed["include_body"], listed["body_type"]) == (
        True, False, True, "text/plain",
    )  # fmt: skip
    assert listed["resource_url"].endswith(f"/2.0/{path}/{webhook_id}")
    assert "receive_historical" not in listed and "filter_from" not in listed

    assert world.signed("POST", f"/2.0/{path}/{webhook_id}", active=0).json["success"] is True
    assert world.api(f"{path}/{webhook_id}")["active"] is False
    empty_update = world.signed("POST", f"/2.0/{path}/{webhook_id}")
    assert empty_update.json == {"success": True, "resource_url": listed["resource_url"]}
    assert world.api(f"{path}/{webhook_id}") == {**listed, "active": False}
    assert world.signed("DELETE", f"/2.0/{path}/{webhook_id}/").json == {"success": True}
    assert world.get(f"{path}/{webhook_id}").status_code == 404
    assert world.api(path) == []


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)  # the SQL is the main test's
@pytest.mark.parametrize(
    ("path", "parameters", "complaint"),
    [
        ("accounts/{account}/webhooks", {}, "callback_url is required"),
        ("accounts/{account}/webhooks", {"callback_url": "ftp://example.com/x"}, "callback_url"),
        ("accounts/{account}/webhooks", {"callback_url": "{url}", "receive_historical": 1}, "app-level"),
        ("accounts/{account}/webhooks", {"callback_url": "{url}", "include_body": "maybe"}, "include_body"),
        (
            "accounts/{account}/webhooks",
            {"callback_url": "{url}", "filter_subject": "/(/"},
            "regular expression",
        ),
        ("webhooks", {"callback_url": "{url}", "body_type": "image/png"}, "body_type"),
    ],
)
def test_a_webhook_that_cannot_work_is_refused_with_the_reason(
    world, synced, receiver, path, parameters, complaint
):
    account_id, _ = synced
    filled = {name: str(value).replace("{url}", receiver.webhook_url) for name, value in parameters.items()}
    answer = world.signed("POST", "/2.0/" + path.replace("{account}", account_id), **filled)
    assert answer.status_code == 400
    assert answer.json["type"] == "error" and complaint in answer.json["value"]
    assert world.query("SELECT count(*) AS n FROM webhooks") == [{"n": 0}]


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)  # the SQL is the main test's
def test_another_clients_or_a_missing_webhook_is_not_found(world, synced):
    account_id, _ = synced
    assert world.get(f"accounts/{account_id}/webhooks/0123456789abcdef01234567").status_code == 404
    assert world.get("accounts/0123456789abcdef01234567/webhooks").status_code == 404
    assert world.signed("DELETE", "/2.0/webhooks/nope").status_code == 404


def test_a_new_message_fires_the_webhook_once_with_the_message_in_the_2_0_shape(
    world, dovecot, synced, receiver
):
    account_id, user = synced
    webhook_id = create(
        world, f"accounts/{account_id}/webhooks", callback_url=receiver.webhook_url, include_body=1
    )
    told = []
    with message_received.connected_to(lambda app, webhook: told.append(webhook), receiver.app):
        dovecot.deliver(user, message("Fresh news", sender="Ada Lovelace <ada@analytical.example>"))
        sync_now(world, account_id)
        sync_now(world, account_id)  # again: nothing new, nothing sent

    [received] = receiver.webhooks()
    data = received["message_data"]
    assert (received["account_id"], received["webhook_id"], received["event"]) == (
        account_id,
        webhook_id,
        "message_new",
    )
    assert data["subject"] == "Fresh news" and data["addresses"]["from"]["email"] == "ada@analytical.example"
    assert data["folders"] == ["INBOX"] and data["flags"]["seen"] is True
    assert data["body"][0]["content"].strip() == "Body of Fresh news"
    assert data["resource_url"] == f"http://localhost/2.0/accounts/{account_id}/messages/{data['message_id']}"
    assert world.api(f"accounts/{account_id}/messages/{data['message_id']}")["subject"] == "Fresh news"
    assert [(hook.event, hook.message_id, hook.token) for hook in told] == [
        ("message_new", data["message_id"], received["token"])
    ]
    assert world.query("SELECT kind, state FROM callback_events") == [
        {"kind": "webhook", "state": "delivered"}
    ]


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)  # the SQL is the main test's
def test_an_app_level_webhook_hears_every_account_even_one_made_after_it(
    world, dovecot, mailbox_user, receiver
):
    create(world, "webhooks", callback_url=receiver.webhook_url, filter_from_domain="example.org")
    assert world.api("webhooks")[0]["version"] == "2.0"
    for name in ("first", "second"):
        user = mailbox_user()
        account_id = world.add_account(f"{name}@example.com")
        world.add_source(account_id, user)
        world.sync()
        dovecot.deliver(user, message(f"To the {name}", sender="x@mail.example.org"))
        dovecot.deliver(user, message(f"Ignored by the {name}", sender="x@example.com"))
        sync_now(world, account_id)
    assert sorted(subjects(receiver)) == ["To the first", "To the second"]


def test_a_message_in_several_folders_and_sources_fires_once(world, dovecot, mailbox_user, receiver):
    user = mailbox_user(folders=("Archive",))
    account_id = world.add_account()
    world.add_source(account_id, user)
    world.sync()
    create(world, f"accounts/{account_id}/webhooks", callback_url=receiver.webhook_url)
    same = message("Filed twice", message_id="<twice@example.com>")
    dovecot.deliver(user, same)
    dovecot.deliver(user, same, folder="Archive")
    sync_now(world, account_id)
    assert subjects(receiver) == ["Filed twice"]


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)  # the SQL is the main test's
def test_drafts_fire_only_for_webhooks_that_want_them(world, dovecot, synced, receiver):
    account_id, user = synced
    path = f"accounts/{account_id}/webhooks"
    create(world, path, callback_url=receiver.webhook_url)
    wanting = create(world, path, callback_url=receiver.webhook_url, receive_drafts=1)
    dovecot.deliver(user, message("Half written"), flags="DS")
    sync_now(world, account_id)
    assert [(row["webhook_id"], row["message_data"]["subject"]) for row in receiver.webhooks()] == [
        (wanting, "Half written")
    ]


def test_all_changes_tell_a_flag_set_from_another_session(world, dovecot, synced, receiver):
    account_id, user = synced
    path = f"accounts/{account_id}/webhooks"
    create(world, path, callback_url=receiver.webhook_url)
    everything = create(world, path, callback_url=receiver.webhook_url, receive_all_changes=1)
    with dovecot.imap(user) as session:
        session.select_folder("INBOX")
        session.add_flags(session.search(), [b"\\Flagged"])
    sync_now(world, account_id)
    [changed] = receiver.webhooks()
    assert (changed["webhook_id"], changed["event"]) == (everything, "message_changed")
    assert changed["message_data"]["flags"]["flagged"] is True


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)  # the SQL is the main test's
def test_a_paused_webhook_drops_what_happens_meanwhile_and_resumes(world, dovecot, synced, receiver):
    account_id, user = synced
    path = f"accounts/{account_id}/webhooks"
    webhook_id = create(world, path, callback_url=receiver.webhook_url)
    world.signed("POST", f"/2.0/{path}/{webhook_id}", active=0)
    dovecot.deliver(user, message("While paused"))
    sync_now(world, account_id)
    time.sleep(1)  # the resumption's second is after the paused event's
    world.signed("POST", f"/2.0/{path}/{webhook_id}", active=1)
    dovecot.deliver(user, message("After resuming"))
    sync_now(world, account_id)
    assert subjects(receiver) == ["After resuming"]


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)  # the SQL is the main test's
def test_a_receiver_answering_500_then_200_gets_one_delivery_with_the_same_token(
    tmp_path, world, dovecot, synced
):
    account_id, user = synced
    struggling = Receiver(tmp_path / "struggling", world.consumer_secret, refuse_first=1)
    try:
        create(world, f"accounts/{account_id}/webhooks", callback_url=struggling.webhook_url)
        dovecot.deliver(user, message("Eventually"))
        sync_now(world, account_id)
        assert struggling.webhooks() == [] and struggling.requests == 1
        world.sync(now=int(time.time()) + 3600)  # the retry is due
        [received] = struggling.webhooks()
    finally:
        struggling.stop()
    [event] = world.query("SELECT token, attempts, state FROM callback_events")
    assert (event["token"], event["attempts"], event["state"]) == (received["token"], 2, "delivered")


def test_a_delivery_that_fails_for_good_fails_the_webhook_and_tells_its_failure_url_once(
    world, dovecot, synced, receiver
):
    account_id, user = synced
    path = f"accounts/{account_id}/webhooks"
    gone = receiver.webhook_url.replace("/connect/callbacks/webhook", "/gone")  # 404: retried, in vain
    webhook_id = create(world, path, callback_url=gone, failure_notif_url=receiver.failure_url)
    dovecot.deliver(user, message("Nobody listens"))
    dovecot.deliver(user, message("Nobody listens either"))
    sync_now(world, account_id)
    world.sync(now=int(time.time()) + 2 * 86400)  # past the 24 hours of retries

    hook = world.api(f"{path}/{webhook_id}")
    assert (hook["failure"], hook["active"]) == (True, False)
    [notice] = receiver.failures
    assert (notice["account_id"], notice["webhook_id"]) == (account_id, webhook_id)
    assert "failed for good" in notice["data"] and notice["signature"]

    world.signed("POST", f"/2.0/{path}/{webhook_id}", active=1)
    assert world.api(f"{path}/{webhook_id}")["failure"] is False


@pytest.mark.parametrize("database_setting", ["sqlite"], indirect=True)
def test_receive_historical_tells_a_new_accounts_past_once(world, dovecot, mailbox_user, receiver):
    older = mailbox_user()
    dovecot.deliver(older, message("An older account's mail"))
    before = world.add_account("before@example.com")
    world.add_source(before, older)
    world.sync()
    create(world, "webhooks", callback_url=receiver.webhook_url, receive_historical=1)
    assert world.api("webhooks")[0]["receive_historical"] is True

    user = mailbox_user()
    for subject in ("Old one", "Old two"):
        dovecot.deliver(user, message(subject))
    account_id = world.add_account("new@example.com")
    world.add_source(account_id, user)
    world.sync()  # the initial sync: the past, once
    sync_now(world, before)
    sync_now(world, account_id)

    received = receiver.webhooks()
    assert sorted(subjects(receiver)) == ["Old one", "Old two"]
    assert {(row["event"], row["account_id"]) for row in received} == {("historical", account_id)}
