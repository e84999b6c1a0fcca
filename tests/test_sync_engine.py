"""The sync engine against a real Dovecot: logins, statuses from real causes, the index."""

from __future__ import annotations

import json
import socket
import threading
import time

from connect import storage
from connect.sync.transport import Limits
from tests.dovecot import GMAIL_ALL_MAIL, message
from tests.servers import free_port


def subjects(world, account_id):
    return sorted(m["subject"] for m in world.api(f"accounts/{account_id}/messages", limit="100"))


def test_a_password_source_syncs_over_tls(world, dovecot, mailbox_user):
    user = mailbox_user(folders=("Sent",))
    dovecot.deliver(
        user, message("Hello over TLS", attachments=[("report.pdf", "application/pdf", b"%PDF-1.4")])
    )
    dovecot.deliver(user, message("Sent by me"), folder="Sent")
    account_id = world.add_account()
    label = world.add_source(account_id, user)

    assert world.sync()["jobs"] == 1

    source = world.source(account_id, label)
    assert (source["status"], source["initial_import_finished"]) == ("OK", 1)
    assert source["status_message"].startswith("Synced at")
    assert subjects(world, account_id) == ["Hello over TLS", "Sent by me"]
    folders = world.api(f"accounts/{account_id}/sources/{label}/folders")
    assert {f["name"]: f["nb_messages"] for f in folders} == {"INBOX": 1, "Sent": 1}
    assert next(f for f in folders if f["name"] == "Sent")["attributes"]["Sent"] is True
    [file] = world.api(f"accounts/{account_id}/files")
    assert (file["file_name"], file["type"]) == ("report.pdf", "application/pdf")


def test_starttls_is_used_on_a_plain_port(world, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(user, message("Over STARTTLS"))
    account_id = world.add_account()
    label = world.add_source(account_id, user, port=dovecot.imap_port, use_ssl=0)

    world.sync()

    assert world.source(account_id, label)["status"] == "OK"
    logins = [
        line for line in (dovecot.root / "dovecot.log").read_text().splitlines() if f"user=<{user}>" in line
    ]
    assert logins and all("TLS" in line for line in logins if "Login:" in line)


def test_an_oauth2_source_logs_in_with_xoauth2(world, dovecot, oauth_provider, mailbox_user):
    user = mailbox_user(folders=(GMAIL_ALL_MAIL,))
    dovecot.deliver(user, message("Gmail message"), folder=GMAIL_ALL_MAIL)
    account_id = world.add_account()
    label = world.add_gmail_source(account_id, user, oauth_provider.issue_refresh_token(user))

    world.sync()

    assert world.source(account_id, label)["status"] == "OK"
    assert subjects(world, account_id) == ["Gmail message"]
    log = (dovecot.root / "dovecot.log").read_text()
    assert any(f"user=<{user}>" in line and "method=XOAUTH2" in line for line in log.splitlines())


def test_a_wrong_password_is_invalid_credentials_and_not_retried(world, mailbox_user):
    user = mailbox_user()
    account_id = world.add_account()
    label = world.add_source(account_id, user, password="not the password")

    world.sync()

    source = world.source(account_id, label)
    assert source["status"] == "INVALID_CREDENTIALS"
    assert "refused the login" in source["status_message"]
    assert world.query("SELECT * FROM sync_jobs WHERE state = 'queued'") == []


def test_a_fixed_password_is_retried_at_once(world, dovecot, mailbox_user):
    user = mailbox_user()
    account_id = world.add_account()
    label = world.add_source(account_id, user, password="typo")
    world.sync()
    assert world.source(account_id, label)["status"] == "INVALID_CREDENTIALS"

    world.update_source(account_id, label, password=dovecot.users[user])
    world.sync()

    assert world.source(account_id, label)["status"] == "OK"


def test_a_revoked_refresh_token_is_invalid_credentials_with_the_reason(world, oauth_provider, mailbox_user):
    user = mailbox_user(folders=(GMAIL_ALL_MAIL,))
    token = oauth_provider.issue_refresh_token(user)
    oauth_provider.revoke(token)
    account_id = world.add_account()
    label = world.add_gmail_source(account_id, user, token)

    world.sync()

    source = world.source(account_id, label)
    assert source["status"] == "INVALID_CREDENTIALS"
    assert "invalid_grant" in source["status_message"]


def test_a_refused_connection_is_connection_impossible_and_retried(world, mailbox_user):
    account_id = world.add_account()
    label = world.add_source(account_id, mailbox_user(), port=free_port())

    world.sync()

    source = world.source(account_id, label)
    assert source["status"] == "CONNECTION_IMPOSSIBLE"
    assert "refused the connection" in source["status_message"]
    [retry] = world.query("SELECT * FROM sync_jobs WHERE state = 'queued'")
    assert retry["reason"] == "retry" and retry["run_after"] > time.time()


def test_a_failed_tls_handshake_is_connection_impossible(world, dovecot, mailbox_user):
    account_id = world.add_account()
    label = world.add_source(account_id, mailbox_user(), port=dovecot.imap_port, use_ssl=1)
    world.sync()
    source = world.source(account_id, label)
    assert source["status"] == "CONNECTION_IMPOSSIBLE"
    assert "TLS" in source["status_message"]


def test_a_silent_server_is_connection_impossible(world, mailbox_user):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    account_id = world.add_account()
    label = world.add_source(account_id, mailbox_user(), port=listener.getsockname()[1], use_ssl=0)

    world.sync(limits=Limits(idle_seconds=1))

    assert world.source(account_id, label)["status"] == "CONNECTION_IMPOSSIBLE"
    assert "did not answer in time" in world.source(account_id, label)["status_message"]
    listener.close()


def test_gmail_without_all_mail_is_no_access_to_all_mail(world, oauth_provider, mailbox_user):
    user = mailbox_user(folders=())
    account_id = world.add_account()
    label = world.add_gmail_source(account_id, user, oauth_provider.issue_refresh_token(user))
    world.sync()
    source = world.source(account_id, label)
    assert source["status"] == "NO_ACCESS_TO_ALL_MAIL"
    assert "All Mail" in source["status_message"]


def test_repeated_failures_end_in_temp_disabled_until_reset(world, dovecot, mailbox_user):
    user = mailbox_user()
    port = free_port()
    account_id = world.add_account()
    label = world.add_source(account_id, user, port=port)
    later = int(time.time())
    for _ in range(5):
        world.sync(now=later)
        later += 7 * 24 * 3600  # past any backoff

    source = world.source(account_id, label)
    assert source["status"] == "TEMP_DISABLED"
    assert "5 failed attempts" in source["status_message"]
    assert world.sync(now=later)["jobs"] == 0

    world.update_source(account_id, label, status=1)
    assert world.source(account_id, label)["status"] == "OK"
    assert world.query("SELECT count(*) AS n FROM sync_jobs WHERE state = 'queued'")[0]["n"] == 1


def test_two_sources_merge_and_a_shared_message_appears_once(world, dovecot, mailbox_user):
    alice, bob = mailbox_user(), mailbox_user()
    shared = message("Shared thread", message_id="<shared-1@example.com>")
    dovecot.deliver(alice, shared)
    dovecot.deliver(bob, shared)
    dovecot.deliver(alice, message("Only Alice"))
    dovecot.deliver(bob, message("Only Bob"))
    account_id = world.add_account()
    first, second = world.add_source(account_id, alice), world.add_source(account_id, bob)

    world.sync()

    assert subjects(world, account_id) == ["Only Alice", "Only Bob", "Shared thread"]
    [merged] = world.api(f"accounts/{account_id}/messages", subject="Shared")
    assert sorted(s["label"] for s in merged["sources"]) == sorted([first, second])
    assert merged["email_message_id"] == "<shared-1@example.com>"
    assert world.api(f"accounts/{account_id}")["nb_messages"] == 3


def test_raw_file_list_shows_signature_images_and_winmail_dat(world, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(
        user,
        message(
            "With noise",
            attachments=[
                ("contract.pdf", "application/pdf", b"%PDF" * 100),
                ("winmail.dat", "application/ms-tnef", b"x"),
            ],
            inline_images=[("image001.png", b"\x89PNG" + b"0" * 100)],
        ),
    )
    account_id = world.add_account()
    label = world.add_source(account_id, user)
    world.sync()

    assert [f["file_name"] for f in world.api(f"accounts/{account_id}/files")] == ["contract.pdf"]
    world.update_source(account_id, label, raw_file_list=1)
    shown = sorted(f["file_name"] for f in world.api(f"accounts/{account_id}/files"))
    assert shown == ["contract.pdf", "image001.png", "winmail.dat"]


def test_incremental_sync_picks_up_appended_expunged_and_changed_messages(world, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(user, message("Stays"), flags="")
    dovecot.deliver(user, message("Goes away"))
    account_id = world.add_account()
    label = world.add_source(account_id, user)
    world.sync()
    assert subjects(world, account_id) == ["Goes away", "Stays"]

    with dovecot.imap(user) as client:
        client.append("INBOX", message("Arrives later"))
        client.select_folder("INBOX")
        [gone] = client.search(["SUBJECT", "Goes away"])
        client.delete_messages([gone])
        client.expunge()
        [stays] = client.search(["SUBJECT", "Stays"])
        client.add_flags([stays], [b"\\Flagged"])
    world.update_source(account_id, label, force_status_check=1)
    world.sync()

    assert subjects(world, account_id) == ["Arrives later", "Stays"]
    [kept] = world.api(f"accounts/{account_id}/messages", subject="Stays", include_flags="1")
    assert kept["flags"]["flagged"] is True


def test_an_unchanged_mailbox_costs_no_select(world, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(user, message("Quiet"))
    account_id = world.add_account()
    label = world.add_source(account_id, user)
    world.sync()
    before = world.query("SELECT * FROM folders")

    world.update_source(account_id, label, force_status_check=1)
    world.sync()

    assert world.query("SELECT * FROM folders") == before
    assert world.source(account_id, label)["status"] == "OK"


def test_a_new_uidvalidity_reindexes_the_folder(world, dovecot, mailbox_user):
    user = mailbox_user(folders=("Projects",))
    dovecot.deliver(user, message("Old project mail"), folder="Projects")
    account_id = world.add_account()
    label = world.add_source(account_id, user)
    world.sync()
    [old] = world.query("SELECT uidvalidity FROM folders WHERE name = 'Projects'")

    with dovecot.imap(user) as client:
        client.delete_folder("Projects")
        client.create_folder("Projects")
        client.append("Projects", message("New project mail"))
    world.update_source(account_id, label, force_status_check=1)
    world.sync()

    [new] = world.query("SELECT uidvalidity FROM folders WHERE name = 'Projects'")
    assert new["uidvalidity"] != old["uidvalidity"]
    assert subjects(world, account_id) == ["New project mail"]


def the_end_users_view(world, account_id) -> list[tuple[str, str, str]]:
    """What /connect/ shows the helper's user who owns the account."""
    with world.app.app_context():
        storage.save_helper_account(storage.get_db(), "end-user", account_id, 0)
        world.app.config["CONTEXTIO_CONSUMER_KEY"] = world.consumer_key
        world.app.config["CONTEXTIO_CONSUMER_SECRET"] = world.consumer_secret
    browser = world.app.test_client()
    with browser.session_transaction() as session:
        session["connect_user"] = "end-user"
    listing = browser.get("/connect/status.json").json["mailboxes"]
    return [(m["state"], m["message"], m["progress"]) for m in listing]


def test_the_initial_sync_counts_its_progress_from_status_up_front(world, dovecot, mailbox_user, monkeypatch):
    from connect.storage import index
    from connect.sync.worker import Worker

    user = mailbox_user()
    for number in range(25):
        dovecot.deliver(user, message(f"Counted {number:02d}"))
    account_id = world.add_account()
    label = world.add_source(account_id, user)
    [before] = world.api(f"accounts/{account_id}/sources")
    assert before["initial_sync"] == {"finished": False, "messages_total": None, "messages_indexed": None}

    worker = Worker(world.app, batch_size=10)
    store = index.index_batch

    def stop_after_the_first_window(*arguments, **options):
        store(*arguments, **options)
        worker.stopping.set()  # the worker is told to stop: the sync is left part-way

    monkeypatch.setattr("connect.storage.index_batch", stop_after_the_first_window)
    worker.run_pending()
    monkeypatch.undo()

    [part_way] = world.api(f"accounts/{account_id}/sources")
    assert part_way["initial_sync"] == {"finished": False, "messages_total": 25, "messages_indexed": 10}
    assert the_end_users_view(world, account_id) == [("syncing", "Syncing…", "10 of 25 messages")]

    world.sync(batch_size=10)  # resumes: what was indexed already still counts

    source = world.api(f"accounts/{account_id}/sources/{label}")
    assert source["initial_sync"] == {"finished": True, "messages_total": 25, "messages_indexed": 25}


def test_a_large_folder_is_indexed_in_batches_and_resumes(world, dovecot, mailbox_user):
    user = mailbox_user()
    for number in range(25):
        dovecot.deliver(user, message(f"Bulk {number:02d}"))
    account_id = world.add_account()
    label = world.add_source(account_id, user)

    world.sync(batch_size=10)

    assert len(subjects(world, account_id)) == 25
    [inbox] = world.query("SELECT * FROM folders WHERE name = 'INBOX'")
    assert inbox["synced_uid"] == 25
    assert json.loads(inbox["attributes"])
    assert world.source(account_id, label)["status"] == "OK"


def test_a_worker_starting_with_several_threads_syncs_a_source_once(world, dovecot, mailbox_user, caplog):
    import logging
    import threading
    import time

    from connect.sync.worker import Worker

    user = mailbox_user()
    dovecot.deliver(user, message("Once"))
    account_id = world.add_account()
    label = world.add_source(account_id, user)
    worker = Worker(world.app, concurrency=4, poll_seconds=0.05)
    with caplog.at_level(logging.INFO, logger="connect.sync"):
        running = threading.Thread(target=worker.run)
        running.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not world.source(account_id, label)["initial_import_finished"]:
            time.sleep(0.05)
        time.sleep(0.5)  # room for a second claim of the same job, were there one
        worker.stop()
        running.join(timeout=20)

    synced = [r for r in caplog.records if r.name == "connect.sync" and "synced" in r.getMessage()]
    assert len(synced) == 1, world.query("SELECT id, state, reason, attempts FROM sync_jobs")
