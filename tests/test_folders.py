"""A source's folders (``contextio-2.0-more.md`` §6): listed and read by full path (slashes in
the URL) or symbolic name, and a folder's messages listed after a sync of that folder."""

from __future__ import annotations

import pytest

from tests.dovecot import message


@pytest.fixture
def mailbox(world, dovecot, mailbox_user):
    user = mailbox_user(folders=("Sent", "Projects/Alpha"))
    dovecot.deliver(user, message("In the inbox"))
    dovecot.deliver(user, message("Sent one"), folder="Sent")
    dovecot.deliver(user, message("Alpha notes"), folder="Projects/Alpha")
    account_id = world.add_account(user)
    label = world.add_source(account_id, user)
    world.sync()
    return account_id, label, user


def test_folders_are_listed_and_read_by_path_or_symbolic_name(world, mailbox):
    account_id, label, _ = mailbox
    base = f"accounts/{account_id}/sources/{label}/folders"
    listed = {folder["name"]: folder for folder in world.api(base)}
    assert set(listed) == {"INBOX", "Sent", "Projects", "Projects/Alpha"} or set(listed) >= {
        "INBOX",
        "Sent",
        "Projects/Alpha",
    }
    assert listed["Sent"]["symbolic_name"] == "\\Sent" and listed["INBOX"]["symbolic_name"] == "\\Inbox"
    assert "symbolic_name" not in listed["Projects/Alpha"]
    assert "nb_unseen_messages" not in listed["INBOX"] and listed["INBOX"]["included_in_sync"] is True
    assert listed["Projects/Alpha"]["resource_url"].endswith(f"/{base}/Projects/Alpha")

    alpha = world.api(f"{base}/Projects/Alpha/", include_extended_counts=1)
    assert (alpha["name"], alpha["nb_messages"], alpha["nb_unseen_messages"]) == ("Projects/Alpha", 1, 0)
    assert world.api(f"{base}/%5CSent")["name"] == "Sent"
    assert world.get(f"{base}/Nowhere").status_code == 404
    assert world.get(f"{base}/%5CJunk").status_code == 404  # a symbolic name no folder carries


def test_messages_are_filtered_by_a_symbolic_folder_name(world, mailbox):
    account_id, _, _ = mailbox
    assert [m["subject"] for m in world.api(f"accounts/{account_id}/messages", folder="\\Sent")] == [
        "Sent one"
    ]
    assert [m["subject"] for m in world.api(f"accounts/{account_id}/messages", folder="inbox")] == [
        "In the inbox"
    ]


def test_a_folders_messages_include_what_arrived_since_the_last_sync(world, dovecot, mailbox):
    account_id, label, user = mailbox
    dovecot.deliver(user, message("Just now"), flags="")  # unread, after the sync
    path = f"accounts/{account_id}/sources/{label}/folders/INBOX/messages"
    assert [m["subject"] for m in world.api(path)] == ["Just now", "In the inbox"]
    assert [m["subject"] for m in world.api(path, flag_seen=0)] == ["Just now"]
    assert [m["subject"] for m in world.api(path, flag_seen=1)] == ["In the inbox"]
    jobs = world.query("SELECT folder, state FROM sync_jobs WHERE reason = 'push'")
    assert jobs == [{"folder": "INBOX", "state": "done"}] * 3  # one sync of the folder per listing


def test_no_cache_lists_the_servers_folders_now_and_expunge_removes_deleted_mail(world, dovecot, mailbox):
    account_id, label, user = mailbox
    base = f"accounts/{account_id}/sources/{label}/folders"
    with dovecot.imap(user) as session:  # a mail client makes a folder and marks a message deleted
        session.create_folder("Fresh")
        session.select_folder("INBOX")
        session.add_flags(session.search(), [b"\\Deleted"])
    assert "Fresh" not in [f["name"] for f in world.api(base)]
    assert "Fresh" in [f["name"] for f in world.api(base, no_cache=1)]

    assert world.signed("POST", f"/2.0/{base}/INBOX/expunge").json == {"success": True}
    with dovecot.imap(user) as session:
        assert session.select_folder("INBOX")[b"EXISTS"] == 0
    assert world.api(f"accounts/{account_id}/messages", folder="INBOX") == []
