"""Writes to the mail itself: done on the IMAP server (checked there with a session of our
own), and shown by the very next read, not the next sync."""

from __future__ import annotations

import pytest

from tests.dovecot import message


@pytest.fixture
def mailbox(world, dovecot, mailbox_user):
    user = mailbox_user(folders=("Sent", "Archive"))
    dovecot.deliver(user, message("Keep", message_id="<keep@x>"), flags="")
    dovecot.deliver(user, message("Drop", message_id="<drop@x>"))
    account_id = world.add_account(user)
    label = world.add_source(account_id, user)
    world.sync()
    ids = {m["subject"]: m["message_id"] for m in world.api(f"accounts/{account_id}/messages")}
    return account_id, label, user, ids


def server_flags(dovecot, user: str, folder: str = "INBOX") -> dict[str, set]:
    with dovecot.imap(user) as session:
        session.select_folder(folder)
        fetched = session.fetch(session.search(), ["FLAGS", "ENVELOPE"])
        return {
            data[b"ENVELOPE"].subject.decode(): set(data[b"FLAGS"]) - {b"\\Recent"}
            for data in fetched.values()
        }


def test_flags_are_set_on_the_server_and_read_back(world, dovecot, mailbox):
    account_id, _, user, ids = mailbox
    path = f"/2.0/accounts/{account_id}/messages/{ids['Keep']}/flags"
    answer = world.signed("POST", path, seen=1, flagged=1, nonjunk=1)
    assert answer.status_code == 200 and answer.json["success"] is True
    assert answer.json["flags"] == {
        "seen": True, "answered": False, "flagged": True, "deleted": False, "draft": False, "nonjunk": True,
    }  # fmt: skip
    assert {b"\\Seen", b"\\Flagged", b"$NotJunk"} <= server_flags(dovecot, user)["Keep"]
    indexed = world.api(f"accounts/{account_id}/messages/{ids['Keep']}", include_flags=1)["flags"]
    assert indexed["flagged"] is True  # the index shows it at once
    world.signed("POST", path, flagged=0)
    assert b"\\Flagged" not in server_flags(dovecot, user)["Keep"]
    assert world.signed("POST", path).json["flags"]["seen"] is True  # no flag named: nothing changes


def test_a_deleted_message_is_gone_from_the_server_and_the_index_and_others_stay(world, dovecot, mailbox):
    account_id, _, user, ids = mailbox
    assert world.signed("DELETE", f"/2.0/accounts/{account_id}/messages/{ids['Drop']}/").json == {
        "success": True
    }
    assert list(server_flags(dovecot, user)) == ["Keep"]
    assert [m["subject"] for m in world.api(f"accounts/{account_id}/messages")] == ["Keep"]
    assert world.signed("DELETE", f"/2.0/accounts/{account_id}/messages/{ids['Drop']}").status_code == 404


def test_a_message_is_added_to_a_folder_with_its_flags(world, dovecot, mailbox):
    account_id, _, user, _ = mailbox
    raw = message("Filed by the API").decode()
    answer = world.signed(
        "POST", f"/2.0/accounts/{account_id}/messages", dst_folder="Archive", message=raw, flag_seen=1
    )
    assert answer.json == {"success": True}
    assert server_flags(dovecot, user, "Archive") == {"Filed by the API": {b"\\Seen"}}
    [filed] = world.api(f"accounts/{account_id}/messages", folder="Archive")
    assert filed["subject"] == "Filed by the API"
    assert (
        world.signed(
            "POST", f"/2.0/accounts/{account_id}/messages", dst_folder="Nowhere", message=raw
        ).status_code
        == 404
    )
    assert (
        world.signed("POST", f"/2.0/accounts/{account_id}/messages", dst_folder="Archive").status_code == 400
    )


def test_folders_are_created_and_deleted_on_the_server(world, dovecot, mailbox):
    account_id, label, user, _ = mailbox
    base = f"/2.0/accounts/{account_id}/sources/{label}/folders"
    assert world.signed("PUT", f"{base}/Projects.Beta", delim=".").json == {"success": True}
    assert world.signed("PUT", f"{base}/Projects.Beta", delim=".").json == {"success": True}  # idempotent
    with dovecot.imap(user) as session:
        assert session.folder_exists("Projects/Beta")
    assert (
        world.api(f"accounts/{account_id}/sources/{label}/folders/Projects/Beta")["name"] == "Projects/Beta"
    )

    assert world.signed("DELETE", f"{base}/Archive").json == {"success": True}
    with dovecot.imap(user) as session:
        assert not session.folder_exists("Archive")
    assert world.get(f"accounts/{account_id}/sources/{label}/folders/Archive").status_code == 404
    assert world.signed("DELETE", f"{base}/INBOX").status_code == 400
    assert world.signed("DELETE", f"{base}/Nowhere").status_code == 404
